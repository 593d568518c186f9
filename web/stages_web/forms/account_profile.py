"""Forms of one's own profile: name, function or job title; a new e-mail address; a new mobile number and its code."""
from __future__ import annotations

from django import forms

from .base import ApiForm

FUNCTIONS = [("head", "Chef d'établissement"), ("teacher", "Professeur"), ("cpe", "CPE"),
             ("admin_staff", "Personnel administratif")]


class ProfileForm(ApiForm):
    first_name = forms.CharField(label="Prénom", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label="Nom", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    function = forms.ChoiceField(label="Fonction", choices=FUNCTIONS,
                                 help_text="Un changement de fonction doit être confirmé à nouveau par le chef "
                                           "d'établissement.")
    job_title = forms.CharField(label="Intitulé du poste", max_length=100, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "organization-title"}))

    def __init__(self, *args, role: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.role = role
        if role != "school_staff":
            del self.fields["function"]
        if role in ("school_staff", "pupil"):
            del self.fields["job_title"]
        elif role in ("employer", "operator"):
            self.fields["job_title"].required = True

    def body(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k in self.fields}
        if "job_title" in data:
            data["job_title"] = data["job_title"] or None
        return data


class NewEmailForm(ApiForm):
    email = forms.EmailField(label="Nouvelle adresse e-mail", max_length=254,
                             error_messages={"invalid": "Saisissez une adresse e-mail valide."},
                             help_text="Un lien de confirmation, valable 24 heures, y sera envoyé.",
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class NewPhoneForm(ApiForm):
    phone = forms.CharField(label="Nouveau numéro de mobile", max_length=30,
                            help_text="Un code de confirmation y sera envoyé par SMS. Exemple : 06 12 34 56 78.",
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))


class PhoneCodeForm(ApiForm):
    code = forms.CharField(label="Code reçu par SMS", max_length=10, help_text="6 chiffres, valable 15 minutes.",
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))
