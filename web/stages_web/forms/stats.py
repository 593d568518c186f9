"""Statistics: the narrowing of the figures inside the caller's scope (codes, never names)."""
from __future__ import annotations

from django import forms

from .base import ApiForm


class ScopeForm(ApiForm):
    """GET form: every field optional; the gateway refuses a scope outside the caller's (403) or an unknown code
    (422, shown next to its field)."""

    school_uai = forms.CharField(label="Établissement (UAI)", required=False, max_length=10,
                                 help_text="Exemple : 0130001A")
    departement = forms.CharField(label="Département (code)", required=False, max_length=3,
                                  help_text="Exemples : 13, 2A, 971")
    academie = forms.CharField(label="Académie (code)", required=False, max_length=3,
                               help_text="Exemple : 02 pour Aix-Marseille")
    region = forms.CharField(label="Région (code)", required=False, max_length=3,
                             help_text="Exemple : 93 pour Provence-Alpes-Côte d'Azur")

    def params(self) -> dict:
        return {k: v.strip() for k, v in self.cleaned_data.items() if v and v.strip()}
