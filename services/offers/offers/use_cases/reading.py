"""Reading offers: one offer for another service or for an HTTP caller (who may see it, whether a pupil may
apply), several for another service, an owner's list, and the personal-data export."""
from __future__ import annotations

import datetime as dt
import uuid

from common.errors import Forbidden, NotFound, ValidationError

from .. import views
from ..domain import access
from ..domain import calendar as cal
from ..domain import offer as od
from ..domain import opening as opening_rules
from ..domain import search as sd
from ..domain import seats as seats_rules
from ..domain import states as st
from .lookup import MSG_NOT_FOUND, load

MSG_STATE = "État inconnu (draft, published, unpublished, need_to_be_updated, removed)."


def _iso(at):
    return at.isoformat() if at is not None else None


def get_offer(uow, offer_id) -> dict:
    """For other services: the whole offer (eligibility and agreement data) with its holiday weeks."""
    with uow.begin() as repo:
        row = load(repo, offer_id)
        view = views.with_holidays(views.offer_view(row, "internal"), repo.overrides(cached=True))
        # the application date of each grade of the offer's year (the applications service decides with it)
        opening = repo.opening(row["school_year"], cached=True) if row.get("school_year") else {}
        view["apply_from"] = {g: _iso((opening.get(g) or {}).get("apply_from")) for g in row.get("grades") or ()}
        last = repo.last_moderation(view["id"])   # what notifications tell the employer (never in events)
        view["moderation"] = None if last is None else {
            "id": last["id"], "decision": last["decision"], "reason": last["reason"],
            "decided_at": last["created_at"].isoformat()}
        return view


def view_offer(uow, actor, offer_id, now: dt.datetime) -> dict:
    """An offer as an HTTP caller may see it: owners and admins see everything;
    others see live offers they are allowed to see, with can_apply."""
    with uow.begin() as repo:
        row = load(repo, offer_id)
        overrides = repo.overrides(cached=True)
        if access.manages(actor, row):
            return views.with_holidays(views.offer_view(row, "owner"), overrides)
        if row["state"] in (st.DRAFT, st.REMOVED):
            raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
        viewer = sd.viewer_from_actor(actor)
        data = od.content(row)
        if not sd.reservation_visible(data, viewer):
            raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
        out = views.with_holidays(views.offer_view(row, "public"), overrides)
        out["can_apply"] = (sd.can_apply(data, viewer, seats_rules.left_of(row)) and row["last_day"] is not None
                            and not cal.week_is_past(cal.week_key(row["last_day"]), now))
        if out["can_apply"]:   # before the grade's application date: the date instead (domain/opening.py)
            closed = opening_rules.apply_closed(now, viewer.get("grade"), repo.opening(row["school_year"], cached=True))
            if closed is not None:
                out["can_apply"], out["applications_open"] = False, closed
        return out


def get_offers(uow, offer_ids: list) -> list[dict]:
    with uow.read() as queries:
        ids = []
        for i in offer_ids or []:
            try:
                ids.append(str(uuid.UUID(str(i))))
            except ValueError:
                continue
        return [views.offer_view(r, "internal") for r in queries.by_ids(ids)]


def list_my_offers(uow, actor, state: str | None, page: int, owner_id: str | None = None) -> dict:
    """The caller's offers; an administrator may name another owner (``owner_id``: an employer's offers)."""
    with uow.read() as queries:
        owner = access.owner_to_list(actor, owner_id)
        space = access.space_to_list(actor, owner_id)
        page = max(int(page or 1), 1)
        if state and state not in st.STATES:
            raise ValidationError(None, {"state": [MSG_STATE]})
        rows, total = queries.space_page(space, state, page) if space else queries.owner_page(owner, state, page)
        return {"items": [views.offer_view(r, "owner") for r in rows], "page": page, "per_page": queries.PER_PAGE,
                "total": total}


def export_personal_data(uow, actor) -> dict:
    """Everything the offers service keeps about the caller (GET /me/data): every offer they created, published
    or manage as an operator, removed ones included, as their owner sees it, with the internal columns kept
    (creation key, partner payload, dates), and the reports they made."""
    with uow.read() as queries:
        user_id = (actor or {}).get("user_id")
        if not user_id:
            raise Forbidden()
        return {"offers": [views.personal_item(r) for r in queries.of_person(str(user_id))],
                # the offers they reported (issue 21): reason, text, dates
                "reports": [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()
                             if k in ("offer_id", "reason", "text", "created_at", "closed_at")}
                            for r in queries.reports_by(str(user_id))]}
