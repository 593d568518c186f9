"""Admin forms of the platform's switches (issue 21): the opening calendar of a school year, the
maintenance mode. Dates are typed in Paris time (``datetime-local``) and sent with their offset."""
from __future__ import annotations

from django import forms
from django.utils import timezone

from ..templatetags.stages import parse_dt
from .base import ApiForm

GRADES = (("quatrieme", "4e"), ("troisieme", "3e"), ("seconde", "Seconde"))
KINDS = (("publish_from", "publication des offres par les employeurs"),
         ("browse_from", "consultation des offres par les élèves"),
         ("apply_from", "candidatures des élèves"))
LOCAL = "%Y-%m-%dT%H:%M"
MSG_INVALID = "Saisissez une date et une heure."


def _moment(label: str, required: bool = False, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=required, input_formats=[LOCAL], help_text=help_text,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL),
                               error_messages={"required": "Ce champ est obligatoire.", "invalid": MSG_INVALID})


def local_value(iso: str | None) -> str | None:
    """An API datetime as the value of a ``datetime-local`` field (Paris time)."""
    d = parse_dt(iso)
    return timezone.localtime(d).strftime(LOCAL) if d is not None and hasattr(d, "hour") else None


class OpeningCalendarForm(ApiForm):
    """Per grade, three dates; an empty date means no restriction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.api_fields = {}
        for grade, glabel in GRADES:
            for kind, klabel in KINDS:
                name = f"{grade}__{kind}"
                self.fields[name] = _moment(f"{glabel} : {klabel}",
                                            help_text="Heure de Paris. Vide : pas de restriction.")
                self.api_fields[f"grades.{grade}.{kind}"] = name

    @staticmethod
    def initial_from(calendar: dict) -> dict:
        """The year's dates when an admin set them, else the proposed ones."""
        source = calendar["grades"] if calendar.get("set") else calendar.get("proposed") or {}
        return {f"{g}__{k}": local_value((source.get(g) or {}).get(k)) for g, _ in GRADES for k, _ in KINDS}

    def body(self) -> dict:
        d = self.cleaned_data
        return {"grades": {g: {k: (d[f"{g}__{k}"].isoformat() if d.get(f"{g}__{k}") else None) for k, _ in KINDS}
                           for g, _ in GRADES}}


class MaintenanceForm(ApiForm):
    """Turning maintenance on: the message people read and the announced end."""

    message = forms.CharField(label="Message affiché sur toutes les pages", max_length=500, min_length=5,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              error_messages={"required": "Ce champ est obligatoire.",
                                              "min_length": "Le message doit contenir de 5 à 500 caractères.",
                                              "max_length": "Le message doit contenir de 5 à 500 caractères."})
    ends_at = _moment("Fin prévue", required=True, help_text="Heure de Paris.")

    def clean_ends_at(self):
        at = self.cleaned_data["ends_at"]
        if at is not None and at <= timezone.now():
            raise forms.ValidationError("La fin annoncée doit être dans le futur.")
        return at

    def body(self) -> dict:
        return {"active": True, "message": self.cleaned_data["message"].strip(),
                "ends_at": self.cleaned_data["ends_at"].isoformat()}
