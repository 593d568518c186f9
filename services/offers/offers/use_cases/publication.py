"""Publishing an offer (a collège + lycée offer becomes two linked offers), unpublishing, removing, the
changes of a live offer, and the daily move of offers whose weeks are all past (state machine:
``domain/states.py``)."""
from __future__ import annotations

import datetime as dt
import uuid

from common.clock import paris_date
from common.errors import ValidationError

from .. import views
from ..domain import moderation
from ..domain import offer as od
from ..domain import opening as opening_rules
from ..domain import seats as seats_rules
from ..domain import states as st
from ..domain.calendar import check_school_year as cal_year_error
from ..domain.search import index_columns
from .lookup import load, load_managed

MSG_CANNOT_PUBLISH = "L'offre ne peut pas être publiée : complétez ou corrigez les champs signalés."


def emit_published(repo, row: dict, republished: bool = False) -> None:
    repo.emit("offer.published", {
        "offer_id": row["id"], "employer_id": row.get("employer_id"), "operator_id": row.get("operator_id"),
        "linked_offer_id": row.get("linked_offer_id"), "grades": list(row.get("grades") or []),
        "school_year": row.get("school_year"), "seats_left": seats_rules.left_of(row),
        "is_partner": bool(row.get("is_partner")), "republished": republished})


def save_change(repo, row: dict, values: dict, changed: list[str], today: dt.date, overrides: dict) -> dict:
    """Write a change of an offer (by its employer or operator). A live offer moves between published and
    need_to_be_updated as its blockers say; a non-draft offer that changed emits ``offer.updated``, and one
    that comes back to the search ``offer.published`` (republished). Returns the fresh row."""
    new_state = row["state"]
    if row["state"] in (st.PUBLISHED, st.NEED_TO_BE_UPDATED):
        blockers = st.republish_blockers(od.content({**row, **values}), row["seats_taken"], today, overrides)
        new_state = st.live_state(row["state"], blockers)
        values = {**values, "state": new_state}
    repo.change(row["id"], values)
    fresh = load(repo, row["id"])
    if row["state"] != st.DRAFT and changed:
        repo.emit("offer.updated", {"offer_id": row["id"], "state": new_state, "fields": changed,
                                   "seats_left": seats_rules.left_of(fresh)})
    if row["state"] == st.NEED_TO_BE_UPDATED and new_state == st.PUBLISHED:
        emit_published(repo, fresh, republished=True)
    return fresh


def publish_offer(uow, actor, offer_id, now: dt.datetime) -> dict:
    """Publish (or republish) an offer. A collège + lycée offer is split into two
    linked offers. Returns {"offers": [views]} (one or two)."""
    with uow.begin() as repo:
        row = load_managed(repo, actor, offer_id)
        st.check_transition("publish", row["state"])
        if not cal_year_error(row.get("school_year")):   # the employers' date of the offer's year
            opening_rules.check_publish(now, repo.opening(row["school_year"], cached=True), row.get("grades"), actor)
        moderation.check_republish(row.get("moderation_status"))
        today = paris_date(now)
        overrides = repo.overrides()
        data = od.content(row)
        if row["state"] != st.DRAFT:
            st.raise_if_blocked(st.republish_blockers(data, row["seats_taken"], today, overrides))
        errors = od.validate_for_publish(data, today, overrides, repo.naf_mapping())
        if errors:
            raise ValidationError(MSG_CANNOT_PUBLISH, errors)
        parts = od.split_by_school_level(data)
        if len(parts) == 1:
            repo.change(row["id"], dict(
                state=st.PUBLISHED, published_at=row["published_at"] or now, updated_at=now,
                completed_steps=list(od.STEPS), moderation_status=None, **index_columns({**row, **data}, overrides)))
            fresh = load(repo, row["id"])
            emit_published(repo, fresh, republished=row["state"] != st.DRAFT)
            return {"offers": [views.offer_view(fresh, "owner")]}
        college, lycee = parts
        lycee_id = str(uuid.uuid4())
        repo.change(row["id"], dict(
            state=st.PUBLISHED, published_at=now, updated_at=now, linked_offer_id=lycee_id,
            completed_steps=list(od.STEPS), grades=college["grades"], seconde_period=None,
            **index_columns({**row, **college}, overrides)))
        copy = {k: v for k, v in row.items() if k != "creation_key"}
        copy.update(id=lycee_id, state=st.PUBLISHED, published_at=now, created_at=now, updated_at=now,
                    linked_offer_id=row["id"], grades=lycee["grades"], weeks=[], all_year=False,
                    seconde_period=lycee["seconde_period"], seats_taken=0, completed_steps=list(od.STEPS))
        copy.update(index_columns({**row, **lycee}, overrides))
        repo.add(copy)
        out = []
        for oid in (row["id"], lycee_id):
            fresh = load(repo, oid)
            emit_published(repo, fresh)
            out.append(views.offer_view(fresh, "owner"))
        return {"offers": out}


def unpublish_offer(uow, actor, offer_id, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        row = load_managed(repo, actor, offer_id)
        st.check_transition("unpublish", row["state"])
        repo.change(row["id"], {"state": st.UNPUBLISHED, "updated_at": now})
        repo.emit("offer.unpublished", {"offer_id": row["id"], "state": st.UNPUBLISHED, "reason": "employer"})
        return views.offer_view(load(repo, row["id"]), "owner")


def remove(repo, row: dict, now: dt.datetime) -> None:
    repo.change(row["id"], {"state": st.REMOVED, "removed_at": now, "updated_at": now})
    repo.emit("offer.removed", {"offer_id": row["id"]})


def remove_offer(uow, actor, offer_id, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        row = load_managed(repo, actor, offer_id)
        if row["state"] == st.REMOVED:
            return views.offer_view(row, "owner")  # idempotent
        st.check_transition("remove", row["state"])
        remove(repo, row, now)
        return views.offer_view(load(repo, row["id"]), "owner")


def move_past_offers(uow, now: dt.datetime) -> list[str]:
    """Published offers whose weeks are all past move to need_to_be_updated."""
    with uow.begin() as repo:
        today = paris_date(now)
        overrides = repo.overrides()
        moved = []
        # last day before today: the Friday is over (common.weeks.week_is_past); the weeks decide
        for row in repo.published_ending_before(today):
            if od.future_weeks(od.content(row), today, overrides):
                continue
            repo.change(row["id"], {"state": st.NEED_TO_BE_UPDATED, "updated_at": now})
            repo.emit("offer.unpublished", {"offer_id": row["id"], "state": st.NEED_TO_BE_UPDATED,
                                           "reason": "weeks_past"})
            moved.append(row["id"])
        return moved
