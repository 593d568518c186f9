"""The opening calendar's shared vocabulary (pure, loads no library): when a moment of the opening calendar
has come, and the French sentences that say when it comes.

The opening calendar of a school year says, per grade, from when employers may publish offers
(``publish_from``), pupils may browse them (``browse_from``) and pupils may apply (``apply_from``). The
offers service owns it (``offers/domain/opening.py``: defaults, checks, ``may_publish`` / ``may_browse`` /
``may_apply``); the applications service reads a grade's ``apply_from`` from the offer it already asks
for and decides with ``is_open`` and ``apply_message`` here: one rule, one home, two services.

A moment is a tz-aware datetime (UTC when stored), or None: no restriction.
"""
from __future__ import annotations

import datetime as dt

from .clock import to_paris

KINDS = ("publish_from", "browse_from", "apply_from")
GRADES = ("quatrieme", "troisieme", "seconde")
GRADE_LABELS = {"quatrieme": "4e", "troisieme": "3e", "seconde": "seconde"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def parse_moment(value) -> dt.datetime | None:
    """An ISO 8601 datetime (or a datetime) as tz-aware UTC; None stays None. Raises ValueError."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip())
    if not isinstance(value, dt.datetime):
        raise ValueError(f"not a datetime: {value!r}")
    if value.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return value.astimezone(dt.timezone.utc)


def is_open(now: dt.datetime, opens_at) -> bool:
    """Has the moment come? (None: no restriction.)"""
    at = parse_moment(opens_at)
    return at is None or now >= at


def french_moment(at) -> str:
    """« 21 janvier 2025 à 14 h » (Paris time); « 13 février 2025 » at midnight; « 1er » for the first."""
    local = to_paris(parse_moment(at))
    day = "1er" if local.day == 1 else str(local.day)
    out = f"{day} {MONTHS[local.month - 1]} {local.year}"
    if local.hour or local.minute:
        out += f" à {local.hour} h" + (f" {local.minute:02d}" if local.minute else "")
    return out


def publish_message(at) -> str:
    return f"Les employeurs pourront publier leurs offres à partir du {french_moment(at)}."


def browse_message(grade: str | None, at) -> str:
    return f"Les élèves de {GRADE_LABELS.get(grade, grade or '')} pourront consulter les offres à partir du " \
           f"{french_moment(at)}."


def apply_message(grade: str | None, at) -> str:
    return f"Les candidatures des élèves de {GRADE_LABELS.get(grade, grade or '')} ouvriront le " \
           f"{french_moment(at)}. Vous pourrez postuler à partir de cette date."
