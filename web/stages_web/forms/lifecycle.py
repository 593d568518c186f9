"""Forms of the personal-data lifecycle (docs/privacy.md): confirming the deletion of one's account."""
from __future__ import annotations

from django import forms

from .base import ApiForm


class DeleteAccountForm(ApiForm):
    password = forms.CharField(label="Mot de passe", max_length=1000,
                               help_text="Saisissez de nouveau votre mot de passe pour confirmer.",
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class RolloverForm(ApiForm):
    school_year = forms.RegexField(label="Année scolaire terminée", regex=r"^\d{4}-\d{4}$", max_length=9,
                                   help_text="Par exemple 2026-2027 (possible à partir du 1er juillet 2027).",
                                   error_messages={"invalid": "Année scolaire invalide (exemple : 2026-2027)."})
