"""Reserving and releasing a seat for an application (rules: ``domain/seats.py``).

Both are idempotent per application. The offer row is locked first: concurrent calls on one offer run one
after the other, and the CHECK constraint of the table guards the invariant as well."""
from __future__ import annotations

import datetime as dt
import uuid

from common.clock import paris_date
from common.errors import ValidationError

from ..domain import offer as od
from ..domain import seats as seats_rules
from ..domain import states as st
from .lookup import load
from .publication import emit_published

MSG_APPLICATION_ID = "Identifiant de candidature invalide."


def _application_id(value) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError):
        raise ValidationError(None, {"application_id": [MSG_APPLICATION_ID]})


def reserve_seat(uow, offer_id, application_id, week, now: dt.datetime) -> dict:
    """Take a seat for an application (a second call answers the first seat, ``replayed``)."""
    with uow.begin() as repo:
        application_id = _application_id(application_id)
        row = load(repo, offer_id, lock=True)
        held = repo.reserved_week(row["id"], application_id)
        if held is not None:
            return {"offer_id": row["id"], "application_id": application_id, "week": held,
                    "seats_left": seats_rules.left_of(row), "replayed": True}
        seat = seats_rules.reserve(row, week, paris_date(now))
        repo.add_reservation(row["id"], application_id, seat.week, now)
        repo.change(row["id"], {"seats_taken": seat.taken, "updated_at": now, **seat.state_change})
        if seat.full:
            repo.emit("offer.full", {"offer_id": row["id"], "seats": row["seats"]})
        return {"offer_id": row["id"], "application_id": application_id, "week": seat.week,
                "seats_left": row["seats"] - seat.taken, "replayed": False}


def release_seat(uow, offer_id, application_id, now: dt.datetime) -> dict:
    """Give a seat back (``released`` false when the application held none). A full offer goes back to
    the search when nothing else blocks it."""
    with uow.begin() as repo:
        row = load(repo, offer_id, lock=True)
        application_id = _application_id(application_id)
        if repo.remove_reservation(row["id"], application_id) is None:
            return {"offer_id": row["id"], "application_id": application_id, "released": False,
                    "seats_left": seats_rules.left_of(row)}
        taken = seats_rules.taken_after_release(row["seats_taken"])
        values = {"seats_taken": taken, "updated_at": now}
        back = False
        if row["state"] == st.NEED_TO_BE_UPDATED:
            blockers = st.republish_blockers(od.content(row), taken, paris_date(now), repo.overrides())
            back = seats_rules.back_in_search(row["state"], blockers)
            if back:
                values["state"] = st.PUBLISHED
        repo.change(row["id"], values)
        fresh = load(repo, row["id"])
        if back:
            emit_published(repo, fresh, republished=True)
        return {"offer_id": row["id"], "application_id": application_id, "released": True,
                "seats_left": seats_rules.left_of(fresh)}
