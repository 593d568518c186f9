"""Seat reservation: the one home of the seat rules (pure).

- a seat is taken per application, at most once (a second call replays the first: idempotent);
- only a published offer with a seat left takes one, for one of the offer's weeks that is not past;
- seats never go below zero nor above the offer's seats; the employer cannot lower the seats below those
  taken;
- the last seat taken moves the offer to ``need_to_be_updated`` (event ``offer.full``); a seat released
  brings it back to ``published`` when nothing else blocks it (``states.republish_blockers``).

The use case (``offers.use_cases.seats``) locks the offer row, asks these functions, then writes; the
database guards the same invariant with a CHECK constraint (0 <= seats_taken <= seats).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from common.errors import Conflict, ValidationError
from common.weeks import week_is_past

from . import states as st

MSG_FULL = "Il n'y a plus de place disponible sur cette offre."
MSG_NOT_AVAILABLE = "Cette offre n'accepte plus de candidatures."
MSG_BELOW_TAKEN = "Impossible de descendre à {n} places : {t} places sont déjà prises."
MSG_WEEK_NOT_OFFERED = "Cette semaine n'est pas proposée par l'offre."
MSG_WEEK_PAST = "Cette semaine est passée."


def seats_left(seats: int, taken: int) -> int:
    return max(0, (seats or 0) - (taken or 0))


def left_of(offer: dict) -> int:
    """The seats left on an offer (its ``seats`` and ``seats_taken``)."""
    return seats_left(offer.get("seats"), offer.get("seats_taken"))


@dataclass(frozen=True)
class Reservation:
    week: str
    taken: int          # seats taken once this one is
    full: bool          # the last seat: the offer moves to need_to_be_updated

    @property
    def state_change(self) -> dict:
        return {"state": st.NEED_TO_BE_UPDATED} if self.full else {}


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


def reserve(offer: dict, week: str | None, today: dt.date) -> Reservation:
    """A new seat on ``offer`` (its state, seats, seats_taken, search_weeks) for ``week`` (default: the
    offer's first week). Raises Conflict (full, not available) or ValidationError (week)."""
    left = seats_left(offer["seats"], offer["seats_taken"])
    if offer["state"] != st.PUBLISHED:
        if offer["state"] == st.NEED_TO_BE_UPDATED and left == 0:
            raise Conflict(MSG_FULL, code="offer_full")
        raise Conflict(MSG_NOT_AVAILABLE, code="offer_not_available", extra={"state": offer["state"]})
    weeks = list(offer.get("search_weeks") or [])
    if week is None and weeks:
        week = weeks[0]
    check_reserve(offer["seats"], offer["seats_taken"], week, weeks, None)
    if week_is_past(week, today):
        raise ValidationError(None, {"week": [MSG_WEEK_PAST]})
    taken = offer["seats_taken"] + 1
    return Reservation(week=week, taken=taken, full=taken >= offer["seats"])


def taken_after_release(taken: int) -> int:
    return max((taken or 0) - 1, 0)


def back_in_search(state: str, blockers: list[dict]) -> bool:
    """A full offer (need_to_be_updated) goes back to published once a seat is released, unless something
    else still blocks it."""
    return state == st.NEED_TO_BE_UPDATED and not blockers


def check_seats_change(new_seats: int, taken: int) -> str | None:
    if new_seats < taken:
        return MSG_BELOW_TAKEN.format(n=new_seats, t=taken)
    return None
