"""Forms of employers' spaces: inviting a colleague, creating one's employer account from an invitation."""
from __future__ import annotations

from django import forms

from .auth import NewPasswordForm
from .base import ApiForm


class InviteForm(ApiForm):
    email = forms.EmailField(label="Adresse e-mail du collègue", max_length=254,
                             error_messages={"invalid": "Saisissez une adresse e-mail valide."},
                             help_text="Un lien valable 7 jours lui sera envoyé.",
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))


class JoinForm(NewPasswordForm):
    api_fields = {}
    first_name = forms.CharField(label="Prénom", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label="Nom", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    job_title = forms.CharField(label="Fonction dans la structure", max_length=100,
                                widget=forms.TextInput(attrs={"autocomplete": "organization-title"}))
    field_order = ["first_name", "last_name", "job_title", "password", "password_again"]

    def body(self, token: str) -> dict:
        d = self.cleaned_data
        return {"token": token, "first_name": d["first_name"], "last_name": d["last_name"],
                "job_title": d["job_title"], "password": d["password"]}
