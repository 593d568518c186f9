"""Forms of the school's register page: the 3e internship weeks a collège declares (issue 20)."""
from __future__ import annotations

from django import forms

from .base import ApiForm


class InternshipWeeksForm(ApiForm):
    weeks = forms.MultipleChoiceField(
        label="Semaines de stage de vos élèves de 3e", required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Vos élèves de 3e ne pourront candidater que sur ces semaines. Aucune semaine cochée : pas de "
                  "restriction. 20 semaines au plus.")

    def __init__(self, *args, weeks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weeks"].choices = list(weeks)

    def body(self) -> dict:
        return {"weeks": sorted(self.cleaned_data.get("weeks") or [])}


class RegisterImportForm(ApiForm):
    """One button; its nonce is sent as Idempotency-Key (a double click starts one import)."""
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
