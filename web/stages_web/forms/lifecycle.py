"""Forms of the personal-data lifecycle (docs/privacy.md): confirming the deletion of one's account."""
from __future__ import annotations

from django import forms

from .base import ApiForm


class DeleteAccountForm(ApiForm):
    password = forms.CharField(label="Mot de passe", max_length=1000,
                               help_text="Saisissez de nouveau votre mot de passe pour confirmer.",
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
