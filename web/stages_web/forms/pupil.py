"""Forms of the pupils' pages."""
from __future__ import annotations

from django import forms

from .base import ApiForm

MOTIVATION_MAX = 1500


class ApplyForm(ApiForm):
    api_fields = {"legal_representative.name": "legal_name", "legal_representative.email": "legal_email",
                  "legal_representative.phone": "legal_phone", "legal_representative": "legal_name"}

    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    week = forms.ChoiceField(label="Semaine de stage", choices=[])
    motivation = forms.CharField(
        label="Votre motivation", max_length=MOTIVATION_MAX,
        help_text=f"Pourquoi ce stage vous intéresse, en quelques phrases ({MOTIVATION_MAX} caractères au plus).",
        widget=forms.Textarea(attrs={"rows": 8, "data-maxlength": MOTIVATION_MAX}))
    email = forms.EmailField(label="Votre adresse e-mail", max_length=254,
                             error_messages={"invalid": "Saisissez une adresse e-mail valide."},
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = forms.CharField(label="Votre téléphone mobile", max_length=30, help_text="Par exemple 06 12 34 56 78.",
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    address = forms.CharField(label="Votre adresse postale", max_length=170,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    legal_name = forms.CharField(label="Nom et prénom de votre représentant légal", max_length=100)
    legal_email = forms.EmailField(label="Adresse e-mail de votre représentant légal", max_length=254,
                                   error_messages={"invalid": "Saisissez une adresse e-mail valide."})
    legal_phone = forms.CharField(label="Téléphone mobile de votre représentant légal", max_length=30,
                                  widget=forms.TextInput(attrs={"inputmode": "tel"}))

    def __init__(self, *args, weeks=None, **kwargs):
        super().__init__(*args, **kwargs)
        if weeks is None:  # 2nde: the offer's period, nothing to choose
            del self.fields["week"]
        else:
            self.fields["week"].choices = [("", "Choisissez une semaine")] + list(weeks)
        # the counter is announced as the help text's neighbour (site.js fills it)
        self.fields["motivation"].widget.attrs["aria-describedby"] = "id_motivation-counter"

    def body(self) -> dict:
        d = self.cleaned_data
        out = {"motivation": d["motivation"], "email": d["email"], "phone": d["phone"], "address": d["address"],
               "legal_representative": {"name": d["legal_name"], "email": d["legal_email"], "phone": d["legal_phone"]}}
        if "week" in self.fields:
            out["week"] = d.get("week") or None
        return out


class CancelForm(ApiForm):
    reason = forms.CharField(label="Motif", max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
