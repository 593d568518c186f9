"""The end-of-year rollover of accounts (docs/privacy.md « End-of-year rollover »): after the school year ends
(1 July), classes are archived and pupils move up or leave. Pure: ``today`` is given.

- 4e -> 3e, same school, no class yet (the school imports the new class lists);
- 3e (leaving the collège) and 2nde (the platform stops after 2nde) -> out: no school, grade or class; the account
  stays while the person may still sign in, and is anonymised by the idle rule (1 year after the last activity,
  warned 14 days before); agreements they signed are kept by conventions for their own legal period, which does
  not need the account;
- school staff: the classes they followed are archived (emptied).
"""
from __future__ import annotations

import datetime as dt
import re

from common.errors import ValidationError

from .roles import PUPIL

SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
MOVES_UP = {"quatrieme": "troisieme"}
LEAVES = ("troisieme", "seconde")
STEPS = ("pupils", "staff_classes")   # in this order; each is resumable (keyset on the user id)
BATCH = 500


def year_end(school_year) -> dt.date:
    """1 July of the year's second calendar year; ValidationError (French) for a malformed or unended year."""
    m = SCHOOL_YEAR.match(school_year) if isinstance(school_year, str) else None
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise ValidationError(errors={"school_year": ["Année scolaire invalide (exemple : 2026-2027)."]})
    return dt.date(int(m.group(2)), 7, 1)


def check_ended(school_year, today: dt.date) -> None:
    end = year_end(school_year)
    if today < end:
        raise ValidationError(errors={"school_year": [
            f"L'année scolaire {school_year} n'est pas terminée : le passage à l'année suivante est possible à "
            f"partir du {end.strftime('%d/%m/%Y')}."]})


def pupil_changes(user: dict) -> dict:
    """The columns that change for a pupil at the rollover ({} when nothing does)."""
    if user.get("role") != PUPIL:
        return {}
    grade = user.get("grade")
    if grade in MOVES_UP:
        return {"grade": MOVES_UP[grade], "class_name": None}
    if grade in LEAVES:
        return {"grade": None, "class_name": None, "school_uai": None}
    return {"class_name": None} if user.get("class_name") else {}


def staff_changes(user: dict) -> dict:
    return {"classes": None} if user.get("classes") else {}
