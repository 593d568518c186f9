"""The partner API: operators push, change, remove and list their offers by their own id (``remote_id``),
published at once, within a budget of 100 requests a minute per operator (rules: ``domain/partner.py``)."""
from __future__ import annotations

import datetime as dt
import uuid

from common.clock import paris_date
from common.errors import Conflict, NotFound, RateLimited, ValidationError

from .. import views
from ..domain import access
from ..domain import offer as od
from ..domain import opening as opening_rules
from ..domain import partner as pd
from ..domain import seats as seats_rules
from ..domain import states as st
from ..domain.search import index_columns
from . import publication
from .drafting import resolve_place
from .lookup import load

PARTNER_LIMIT = 100
PARTNER_WINDOW = 60  # seconds
PARTNER_COLUMNS = ("title", "description", "grades", "weeks", "all_year", "seconde_period", "school_year", "seats",
                   "permalink", "reserved_rep", "reserved_qpv")
MSG_DUPLICATE = "Une offre avec ce remote_id existe déjà pour votre compte."
MSG_NO_REMOTE = "Aucune offre avec cet identifiant distant."
MSG_REMOTE_FIXED = "L'identifiant distant ne peut pas être modifié."


def partner_hit(uow, actor, now: dt.datetime) -> None:
    """100 requests a minute per operator, sliding window, shared by every
    gateway and service process (the operator's lock serialises it)."""
    with uow.begin() as repo:
        operator_id = access.operator_of(actor)
        hits = repo.partner_hits_since(operator_id, now - dt.timedelta(seconds=PARTNER_WINDOW))
        if len(hits) >= PARTNER_LIMIT:
            oldest = hits[len(hits) - PARTNER_LIMIT]
            retry = max(1, int((oldest + dt.timedelta(seconds=PARTNER_WINDOW) - now).total_seconds() + 0.999))
            raise RateLimited(f"Limite de {PARTNER_LIMIT} requêtes par minute atteinte. Réessayez dans {retry} s.",
                              retry_after=retry)
        repo.add_partner_hit(operator_id, now)


def _columns(repo, out: dict) -> tuple[dict, dict]:
    cols = {k: out[k] for k in PARTNER_COLUMNS if k in out}
    errors = {}
    if "address" in out:
        place, errors = resolve_place(repo, out["address"])
        cols.update(place)
    if "organisation" in out:
        cols["organisation"] = out["organisation"]
        cols["sector"] = out["organisation"].get("sector")
    return cols, errors


def _validated(data: dict, today, overrides) -> dict:
    errors, out = pd.validate_partner_offer(data, today, overrides)
    if errors:
        raise ValidationError(None, errors)
    return out


def _live(repo, operator_id, remote_id, lock=False) -> dict:
    row = repo.live_partner_offer(operator_id, remote_id, lock=lock)
    if row is None:
        raise NotFound(MSG_NO_REMOTE, code="offer_not_found")
    return row


def partner_create(uow, actor, data: dict, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        operator_id = access.operator_of(actor)
        overrides = repo.overrides()
        out = _validated(data or {}, paris_date(now), overrides)
        if out.get("school_year"):   # published at once: the employers' date of the offer's year
            opening_rules.check_publish(now, repo.opening(out["school_year"], cached=True), out.get("grades"),
                                        actor)
        cols, perrs = _columns(repo, out)
        if perrs:
            raise ValidationError(None, perrs)
        dup = repo.live_partner_offer(operator_id, out["remote_id"])
        if dup is not None:
            raise Conflict(MSG_DUPLICATE, code="duplicate_remote_id", extra={"offer_id": dup["id"]})
        offer_id = str(uuid.uuid4())
        values = {"id": offer_id, "state": st.PUBLISHED, "owner_id": operator_id, "operator_id": operator_id,
                  "remote_id": out["remote_id"], "is_partner": True, "partner_payload": data,
                  "completed_steps": list(od.STEPS), "published_at": now, "created_at": now, "updated_at": now,
                  "hours": None, "lunch_break": None, **cols}
        values.update(index_columns(values, overrides))
        if not repo.add(values, unique="remote_id"):
            raise Conflict(MSG_DUPLICATE, code="duplicate_remote_id")
        fresh = load(repo, offer_id)
        publication.emit_published(repo, fresh)
        return views.partner_view(fresh)


def partner_update(uow, actor, remote_id, data: dict, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        operator_id = access.operator_of(actor)
        row = _live(repo, operator_id, remote_id, lock=True)
        if "remote_id" in (data or {}):
            raise ValidationError(None, {"remote_id": [MSG_REMOTE_FIXED]})
        merged = {**(row["partner_payload"] or {}), **(data or {})}
        today = paris_date(now)
        overrides = repo.overrides()
        out = _validated(merged, today, overrides)
        cols, perrs = _columns(repo, out)
        if not perrs:
            msg = seats_rules.check_seats_change(cols.get("seats", row["seats"]), row["seats_taken"])
            if msg:
                perrs = {"seats": [msg]}
        if perrs:
            raise ValidationError(None, perrs)
        values = {**cols, "partner_payload": merged, "updated_at": now}
        values.update(index_columns({**row, **values}, overrides))
        changed = sorted(k for k in cols if cols[k] != row.get(k))
        return views.partner_view(publication.save_change(repo, row, values, changed, today, overrides))


def partner_delete(uow, actor, remote_id, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        row = _live(repo, access.operator_of(actor), remote_id, lock=True)
        publication.remove(repo, row, now)
        return {"id": row["id"], "remote_id": remote_id, "state": st.REMOVED}


def partner_list(uow, actor, page: int) -> dict:
    with uow.read() as queries:
        operator_id = access.operator_of(actor)
        page = max(int(page or 1), 1)
        rows, total = queries.partner_page(operator_id, page)
        return {"items": [views.partner_view(r) for r in rows], "page": page, "per_page": queries.PER_PAGE,
                "total": total}
