"""Seat rules: never below zero, never oversold, never lowered below those taken.

The database enforces the same rules with a row lock / conditional update;
these functions state them and decide idempotent replays.
"""
from __future__ import annotations

from common.errors import Conflict, ValidationError

MSG_FULL = "Il n'y a plus de place disponible sur cette offre."
MSG_BELOW_TAKEN = "Impossible de descendre à {n} places : {t} places sont déjà prises."
MSG_WEEK_NOT_OFFERED = "Cette semaine n'est pas proposée par l'offre."


def seats_left(seats: int, taken: int) -> int:
    return max(0, (seats or 0) - (taken or 0))


def check_reserve(seats: int, taken: int, week: str, offer_weeks: list[str],
                  already_reserved_week: str | None) -> str:
    """Decide a reservation. Returns "replay" when the application already holds a
    seat (idempotent: nothing changes), "reserve" when a new seat is taken.
    Raises Conflict when full, ValidationError when the week is not offered."""
    if already_reserved_week is not None:
        return "replay"
    if week not in offer_weeks:
        raise ValidationError(None, {"week": [MSG_WEEK_NOT_OFFERED]})
    if seats_left(seats, taken) <= 0:
        raise Conflict(MSG_FULL, code="offer_full")
    return "reserve"


def check_seats_change(new_seats: int, taken: int) -> str | None:
    if new_seats < taken:
        return MSG_BELOW_TAKEN.format(n=new_seats, t=taken)
    return None
