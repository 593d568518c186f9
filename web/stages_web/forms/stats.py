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


SCOPES = [("", "Choisissez"), ("departement", "Un département"), ("academie", "Une académie"),
          ("region", "Une région"), ("national", "La France entière")]


def _register_form():
    from .employer import RegisterForm

    class StatisticianRegisterForm(RegisterForm):
        """A statistician's account: its scope (a kind and a code), validated by an administrator after the
        activation by e-mail."""
        api_fields = {"stat_scope_code": "stat_scope_code", "stat_scope": "stat_scope"}
        stat_scope = forms.ChoiceField(label="Périmètre des statistiques", choices=SCOPES,
                                       error_messages={"required": "Ce champ est obligatoire."})
        stat_scope_code = forms.CharField(label="Code du périmètre", max_length=10, required=False,
                                          help_text="Département : 13, 2A, 971 ; académie : 02 pour Aix-Marseille ; "
                                                    "région : 93. Vide pour la France entière.")
        field_order = ["first_name", "last_name", "function", "email", "phone", "stat_scope", "stat_scope_code",
                       "password", "password_again"]

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["function"].help_text = "Par exemple : chargée d'études statistiques"

        def clean(self):
            d = super().clean()
            if d.get("stat_scope") and d["stat_scope"] != "national" and not (d.get("stat_scope_code") or "").strip():
                self.add_error("stat_scope_code", "Indiquez le code de votre département, académie ou région.")
            return d

        def body(self) -> dict:
            d = self.cleaned_data
            national = d["stat_scope"] == "national"
            return {**super().body(), "role": "statistician", "stat_scope": d["stat_scope"],
                    "stat_scope_code": None if national else d["stat_scope_code"].strip()}

    return StatisticianRegisterForm


StatisticianRegisterForm = _register_form()
