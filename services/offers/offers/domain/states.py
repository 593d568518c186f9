"""The offer state machine.

draft --publish--> published --unpublish--> unpublished --publish--> published
published --(no seat left | every week past)--> need_to_be_updated
need_to_be_updated --(seat released / seats or weeks updated)--> published
any state but removed --remove--> removed (kept, hidden, final)
"""
from __future__ import annotations

import datetime as dt

from common.errors import Conflict

from . import calendar as cal
from .offer import future_weeks

DRAFT, PUBLISHED, UNPUBLISHED, NEED_TO_BE_UPDATED, REMOVED = (
    "draft", "published", "unpublished", "need_to_be_updated", "removed")
STATES = (DRAFT, PUBLISHED, UNPUBLISHED, NEED_TO_BE_UPDATED, REMOVED)

TRANSITIONS = {
    "publish": {DRAFT, UNPUBLISHED, NEED_TO_BE_UPDATED},
    "unpublish": {PUBLISHED, NEED_TO_BE_UPDATED},
    "remove": {DRAFT, PUBLISHED, UNPUBLISHED, NEED_TO_BE_UPDATED},
    "update": {DRAFT, PUBLISHED, UNPUBLISHED, NEED_TO_BE_UPDATED},
    "duplicate": {DRAFT, PUBLISHED, UNPUBLISHED, NEED_TO_BE_UPDATED, REMOVED},
}

STATE_LABELS = {
    DRAFT: "brouillon", PUBLISHED: "publiée", UNPUBLISHED: "dépubliée",
    NEED_TO_BE_UPDATED: "à mettre à jour", REMOVED: "supprimée",
}

BLOCKER_SEATS = "seats"
BLOCKER_WEEKS = "weeks"
BLOCKER_DUPLICATE = "duplicate"

BLOCKER_MESSAGES = {
    BLOCKER_SEATS: "Toutes les places de cette offre sont prises : augmentez le nombre de places pour la republier.",
    BLOCKER_WEEKS: "Toutes les semaines de cette offre sont passées : choisissez des semaines à venir pour la republier.",
    BLOCKER_DUPLICATE: "Cette offre appartient à une année scolaire terminée : dupliquez-la pour une nouvelle période.",
}


def can(action: str, state: str) -> bool:
    return state in TRANSITIONS.get(action, set())


def check_transition(action: str, state: str) -> None:
    if not can(action, state):
        raise Conflict(
            f"Impossible : l'offre est {STATE_LABELS.get(state, state)}.",
            code="invalid_state", extra={"state": state, "action": action})


def republish_blockers(offer: dict, seats_taken: int, today: dt.date, overrides: dict | None = None) -> list[dict]:
    """What keeps an offer from being (re)published, as [{code, message}] in French.

    A past school year can only be duplicated; otherwise every seat taken or
    every week past blocks until the employer changes the offer.
    """
    out = []
    year = offer.get("school_year")
    if year and cal.parse_school_year(year) is not None:
        if cal.parse_school_year(year) < cal.parse_school_year(cal.school_year_of(today)):
            return [{"code": BLOCKER_DUPLICATE, "message": BLOCKER_MESSAGES[BLOCKER_DUPLICATE]}]
    if (offer.get("seats") or 0) - seats_taken <= 0:
        out.append({"code": BLOCKER_SEATS, "message": BLOCKER_MESSAGES[BLOCKER_SEATS]})
    if not future_weeks(offer, today, overrides):
        out.append({"code": BLOCKER_WEEKS, "message": BLOCKER_MESSAGES[BLOCKER_WEEKS]})
    return out


def raise_if_blocked(blockers: list[dict]) -> None:
    if blockers:
        raise Conflict(
            " ".join(b["message"] for b in blockers),
            code="republish_blocked",
            extra={"blockers": blockers})


def live_state(state: str, blockers: list[dict]) -> str:
    """The state a live offer (published / need_to_be_updated) should be in,
    given its blockers. Other states never move on their own."""
    if state not in (PUBLISHED, NEED_TO_BE_UPDATED):
        return state
    return NEED_TO_BE_UPDATED if blockers else PUBLISHED


def is_searchable(state: str) -> bool:
    return state == PUBLISHED
