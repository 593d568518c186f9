"""Forms of the visitors' pages (the offer search)."""
from __future__ import annotations

from django import forms

from .base import ApiForm

RADII = [5, 10, 20, 30, 40, 50, 60]
GRADES = [("", "Tous les niveaux"), ("quatrieme", "4e"), ("troisieme", "3e"), ("seconde", "2nde")]
PERIODS = [("", "Toutes les périodes"), ("week1", "Première semaine de juin"), ("week2", "Deuxième semaine de juin"),
           ("both", "Les deux semaines")]


class SearchForm(ApiForm):
    """A GET form: the query string is the search (bookmarkable, works without JavaScript)."""

    api_fields = {"commune": "place", "postal_code": "place", "lat": "place", "lon": "place"}

    place = forms.CharField(label="Commune, code postal ou adresse", max_length=200, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    radius_km = forms.TypedChoiceField(label="Rayon", coerce=int, initial=20, required=False,
                                       choices=[(r, f"{r} km") for r in RADII])
    grade = forms.ChoiceField(label="Niveau", choices=GRADES, required=False)
    week = forms.ChoiceField(label="Semaine (4e, 3e)", required=False, choices=[("", "Toutes les semaines")])
    period = forms.ChoiceField(label="Période (2nde)", choices=PERIODS, required=False)
    sector = forms.ChoiceField(label="Secteur d'activité", required=False, choices=[("", "Tous les secteurs")])
    q = forms.CharField(label="Mot-clé", max_length=200, required=False,
                        help_text="Un métier, une entreprise…")

    def __init__(self, *args, sectors=(), weeks=(), place_required=True, **kwargs):
        super().__init__(*args, **kwargs)
        # a visitor says where; a pupil may leave it empty to search around their school
        self.fields["place"].required = place_required
        self.fields["place"].error_messages["required"] = "Indiquez une commune, un code postal ou une adresse."
        self.fields["sector"].choices = [("", "Tous les secteurs")] + [(s["id"], s["name"]) for s in sectors]
        self.fields["week"].choices = [("", "Toutes les semaines")] + list(weeks)

    def clean(self):
        data = super().clean()
        if data.get("week") and data.get("period"):
            self.add_error("period", "Choisissez une semaine (4e, 3e) ou une période (2nde), pas les deux.")
        return data
