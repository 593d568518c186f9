"""CSV export of an employer's applications: one column per state date, filled from the history.

Each "date" column holds the latest time the application entered that state (empty if it never did),
in Europe/Paris local time ("AAAA-MM-JJ HH:MM"). « Niveau » is the grade (« 3e »), « Classe » the pupil's
class (« 3e B ») as the school recorded it. Contact columns follow the visibility rule (filled only
once accepted). Cells that a spreadsheet would run as a formula are neutralised.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from common.clock import to_paris

from . import states as S
from .conflicts import GRADE_LABELS
from .visibility import contact_visible

BASE_COLUMNS = [
    ("id", "Identifiant"),
    ("offer_id", "Offre"),
    ("offer_title", "Intitulé de l'offre"),
    ("pupil_name", "Élève"),
    ("grade", "Niveau"),
    ("class_name", "Classe"),
    ("school_name", "Établissement"),
    ("weeks", "Semaine(s)"),
    ("state", "Statut"),
    ("email", "E-mail"),
    ("phone", "Téléphone"),
]

DATE_COLUMNS = [
    (S.SUBMITTED, "Date d'envoi"),
    (S.READ_BY_EMPLOYER, "Date de lecture"),
    (S.TRANSFERRED, "Date de transfert"),
    (S.ACCEPTED_BY_EMPLOYER, "Date d'acceptation"),
    (S.CONFIRMED, "Date de confirmation par l'élève"),
    (S.REJECTED, "Date de refus"),
    (S.CANCELLED_BY_EMPLOYER, "Date d'annulation par l'entreprise"),
    (S.CANCELLED_BY_PUPIL, "Date d'annulation par l'élève"),
    (S.CANCELLED_AFTER_OTHER_CONFIRMED, "Date d'annulation (autre stage confirmé)"),
    (S.RESTORED, "Date de restauration"),
    (S.EXPIRED, "Date d'expiration"),
    (S.EXPIRED_BY_PUPIL, "Date d'expiration (non confirmée par l'élève)"),
]

HEADERS = [h for _, h in BASE_COLUMNS] + [h for _, h in DATE_COLUMNS]


def state_dates(history: list[dict]) -> dict[str, dt.datetime]:
    """state -> latest time the application entered it."""
    out: dict[str, dt.datetime] = {}
    for h in history or ():
        to, at = h.get("to_state"), h.get("at")
        if not to or at is None or (h.get("from_state") == to):
            continue  # nudges do not change the state
        if isinstance(at, str):
            at = dt.datetime.fromisoformat(at)
        if to not in out or at >= out[to]:
            out[to] = at
    return out


def _fmt(at: dt.datetime | None) -> str:
    if at is None:
        return ""
    return to_paris(at).strftime("%Y-%m-%d %H:%M")


def _safe(value) -> str:
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def row(app: dict, role: str = "employer") -> list[str]:
    dates = state_dates(app.get("history") or [])
    show_contact = contact_visible(role, app["state"])
    values = []
    for key, _ in BASE_COLUMNS:
        if key == "state":
            v = S.label(app["state"], role)
        elif key == "grade":
            v = GRADE_LABELS.get(app.get("grade"), app.get("grade"))
        elif key == "weeks":
            v = " ".join(app.get("weeks") or ())
        elif key in ("email", "phone"):
            v = app.get(key) if show_contact else ""
        else:
            v = app.get(key)
        values.append(_safe(v))
    values.extend(_fmt(dates.get(state)) for state, _ in DATE_COLUMNS)
    return values


def to_csv(apps: list[dict], role: str = "employer") -> str:
    """The CSV text (semicolon-separated, as French spreadsheets expect; BOM so Excel reads UTF-8)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(HEADERS)
    for app in apps:
        w.writerow(row(app, role))
    return "\ufeff" + buf.getvalue()
