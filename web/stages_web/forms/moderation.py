"""Forms of the reporting and moderation of offers (views/moderation.py)."""
from __future__ import annotations

from django import forms

from .base import ApiForm

REPORT_REASONS = [
    ("not_observation", "Ce n'est pas un stage d'observation"),
    ("disguised_work", "Travail dissimulé / emploi déguisé"),
    ("discriminatory", "Discriminatoire"),
    ("dangerous_for_minor", "Dangereux pour un mineur"),
    ("other", "Autre"),
]
REASON_LABELS = dict(REPORT_REASONS)
DECISIONS = [
    ("keep", "Conserver l'offre : elle redevient visible"),
    ("request_changes", "Demander des modifications : l'offre est dépubliée jusqu'à sa modification"),
    ("remove", "Supprimer l'offre : les candidatures en cours sont annulées"),
]
DECISION_LABELS = {"keep": "Offre conservée", "request_changes": "Modifications demandées",
                   "remove": "Offre supprimée"}


class ReportForm(ApiForm):
    reason = forms.ChoiceField(label="Motif du signalement", choices=REPORT_REASONS, widget=forms.RadioSelect,
                               error_messages={"required": "Choisissez un motif dans la liste.",
                                               "invalid_choice": "Choisissez un motif dans la liste."})
    text = forms.CharField(label="Précisions", required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text="Obligatoire pour « Autre ». 1000 caractères au plus. Ne donnez pas "
                                     "d'informations personnelles.",
                           error_messages={"max_length": "1000 caractères au plus."})

    def clean(self):
        d = super().clean()
        if d.get("reason") == "other" and not (d.get("text") or "").strip():
            self.add_error("text", "Précisez le motif du signalement.")
        return d

    def body(self) -> dict:
        d = self.cleaned_data
        return {"reason": d["reason"], "text": (d.get("text") or "").strip() or None}


class DecisionForm(ApiForm):
    decision = forms.ChoiceField(label="Décision", choices=DECISIONS, widget=forms.RadioSelect,
                                 error_messages={"required": "Choisissez une décision.",
                                                 "invalid_choice": "Choisissez une décision."})
    reason = forms.CharField(label="Motif", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4}),
                             help_text="Envoyé à l'employeur. Obligatoire pour demander des modifications ou "
                                       "supprimer l'offre.",
                             error_messages={"max_length": "2000 caractères au plus."})
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        d = super().clean()
        if d.get("decision") in ("request_changes", "remove") and not (d.get("reason") or "").strip():
            self.add_error("reason", "Indiquez le motif de la décision : il sera envoyé à l'employeur.")
        return d

    def body(self) -> dict:
        d = self.cleaned_data
        return {"decision": d["decision"], "reason": (d.get("reason") or "").strip() or None}
