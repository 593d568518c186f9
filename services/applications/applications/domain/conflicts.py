"""Conflict rules between a pupil's internships.

- Collège (4e, 3e): one confirmed internship. Any confirmed application blocks new ones, and confirming
  cancels every other pending application of the pupil.
- Lycée (2nde): one two-week internship, or one internship per week. An application conflicts with a
  confirmed one when their weeks overlap (a two-week internship overlaps everything of the period), and
  confirming cancels only the pending applications sharing a week with the confirmed one.
"""
from __future__ import annotations

from typing import Iterable

from . import states as S

COLLEGE = frozenset({"quatrieme", "troisieme"})
LYCEE = frozenset({"seconde"})
GRADES = ("quatrieme", "troisieme", "seconde")
GRADE_LABELS = {"quatrieme": "4e", "troisieme": "3e", "seconde": "2nde"}


def _overlap(a: Iterable[str], b: Iterable[str]) -> bool:
    return bool(set(a or ()) & set(b or ()))


def conflicting_confirmed(grade: str | None, weeks: Iterable[str], confirmed: Iterable[tuple]) -> list[str]:
    """Ids of the pupil's confirmed applications ``(id, weeks)`` that an application on ``weeks`` conflicts with."""
    out = []
    for app_id, confirmed_weeks in confirmed:
        if grade in LYCEE:
            if _overlap(weeks, confirmed_weeks):
                out.append(app_id)
        else:
            out.append(app_id)
    return out


def conflict_reason(grade: str | None) -> str:
    if grade in LYCEE:
        return ("Vous avez déjà confirmé un stage sur cette période : en 2nde, un seul stage de deux semaines "
                "ou un stage par semaine.")
    return "Vous avez déjà confirmé un stage : un seul stage est possible en 4e et en 3e."


def cancelled_by_confirmation(grade: str | None, confirmed_id: str, confirmed_weeks: Iterable[str],
                              others: Iterable[tuple]) -> list[str]:
    """Ids of the pupil's other applications ``(id, state, weeks)`` that confirming ``confirmed_id`` cancels."""
    out = []
    for app_id, state, weeks in others:
        if app_id == confirmed_id or state not in S.PENDING:
            continue
        if grade in LYCEE and not _overlap(weeks, confirmed_weeks):
            continue
        out.append(app_id)
    return out
