"""The internship weeks a collège declared for its 3e pupils (identity owns them): a 3e pupil of a school that
declared weeks (not past) applies only on one of them; a school that declared none restricts nothing."""
from __future__ import annotations

from common import weeks as W
from common.errors import ValidationError

RESTRICTED_GRADES = ("troisieme",)


def label(week: str) -> str:
    monday = W.week_monday(week)
    return f"semaine du {monday.strftime('%d/%m/%Y')} ({week})"


def refusal(grade: str | None, week, declared: list[str]) -> str | None:
    """The French message refusing ``week``, or None. ``declared``: the school's declared weeks still
    restricting (identity's ``restricting``)."""
    if grade not in RESTRICTED_GRADES or not declared or not isinstance(week, str) or week in declared:
        return None
    return ("Votre collège a fixé les semaines de stage des élèves de 3e ; choisissez l'une d'elles : "
            + ", ".join(label(w) for w in declared) + ".")


def check(grade: str | None, week, declared: list[str]) -> None:
    message = refusal(grade, week, declared)
    if message:
        raise ValidationError(errors={"week": [message]}, code="week_not_declared_by_school")
