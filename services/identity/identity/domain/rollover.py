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

from common import school_years

from .roles import PUPIL

MOVES_UP = {"quatrieme": "troisieme"}
LEAVES = ("troisieme", "seconde")
STEPS = ("pupils", "staff_classes")   # in this order; each is resumable (keyset on the user id)
BATCH = 500
year_end, check_ended = school_years.year_end, school_years.check_ended   # when a year is over: common


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
