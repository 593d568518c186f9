"""Reporting an offer, the admins' moderation queue and decisions, an offer's moderation history
(rules: ``domain/moderation.py``)."""
from __future__ import annotations

import datetime as dt
import uuid

from common.errors import Forbidden, NotFound, ValidationError

from ..domain import access
from ..domain import moderation as mod
from ..domain import states as st
from . import publication
from .lookup import MSG_NOT_FOUND, load

MSG_ADMIN_ONLY = "Seul un administrateur modère les offres."
MSG_OWN_OFFER = "Vous ne pouvez pas signaler votre propre offre."
MSG_PAGE = "Numéro de page invalide."
MSG_KEY = "Clé d'idempotence invalide (200 caractères au plus)."


def _iso(v):
    return v.isoformat() if hasattr(v, "isoformat") else v


def _check_admin(actor) -> None:
    if not access.is_admin(actor):
        raise Forbidden(MSG_ADMIN_ONLY, code="role_forbidden")


def report_offer(uow, actor, offer_id, data, client_hash, now: dt.datetime) -> dict:
    """One open report per person and offer (repeating answers the same report). The offer is held (hidden
    from the search) once ``mod.REPORTS_TO_HIDE`` distinct people reported it."""
    clean = mod.clean_report(data)
    key = mod.reporter_key(actor, client_hash)
    with uow.begin() as repo:
        row = load(repo, offer_id, lock=True)
        if row["state"] in (st.DRAFT, st.REMOVED):
            raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
        if (actor or {}).get("user_id") and (actor or {}).get("user_id") == row.get("owner_id"):
            raise Forbidden(MSG_OWN_OFFER, code="own_offer")
        mod.check_reportable(row["state"])
        existing = repo.open_report(row["id"], key)
        if existing is not None:
            return {"offer_id": row["id"], "reason": existing["reason"], "reported_at": _iso(existing["created_at"]),
                    "created": False}
        repo.add_report({"id": str(uuid.uuid4()), "offer_id": row["id"], "reporter_key": key,
                         "reporter_id": (actor or {}).get("user_id"), "reason": clean["reason"],
                         "text": clean["text"], "created_at": now})
        reasons = repo.open_reasons(row["id"])
        hold = mod.should_hold(len(reasons))
        if hold and not row.get(mod.HOLD_COLUMN):
            repo.change(row["id"], {mod.HOLD_COLUMN: True})
        repo.emit("offer.reported", {"offer_id": row["id"], "reason": clean["reason"], "open_reports": len(reasons),
                                     "hidden": hold or bool(row.get(mod.HOLD_COLUMN))})
        return {"offer_id": row["id"], "reason": clean["reason"], "reported_at": _iso(now), "created": True}


def _queue_item(entry: dict) -> dict:
    offer = entry["offer"]
    return {"offer_id": offer["id"], "title": offer.get("title"),
            "organisation_name": (offer.get("organisation") or {}).get("name"), "state": offer.get("state"),
            "hidden": bool(offer.get(mod.HOLD_COLUMN)), "reports": len(entry["reasons"]),
            "counts": mod.counts_by_reason(entry["reasons"]),
            "texts": [{"reason": t["reason"], "text": t["text"], "reported_at": _iso(t["at"])}
                      for t in entry["texts"]],
            "first_reported_at": _iso(entry["first_reported_at"]),
            "last_reported_at": _iso(entry["last_reported_at"])}


def moderation_queue(uow, actor, page) -> dict:
    """The reported offers (open reports), the oldest first report first, for admins."""
    _check_admin(actor)
    try:
        page = int(page or 1)
    except (TypeError, ValueError):
        page = 0
    if page < 1:
        raise ValidationError(None, {"page": [MSG_PAGE]})
    with uow.read() as queries:
        entries, total = queries.moderation_queue(page)
        return {"items": [_queue_item(e) for e in entries], "page": page, "per_page": mod.QUEUE_PAGE_SIZE,
                "total": total}


def decision_view(row: dict, admin: bool) -> dict:
    out = {"id": row["id"], "offer_id": row["offer_id"], "decision": row["decision"],
           "decision_label": mod.DECISIONS.get(row["decision"], row["decision"]), "reason": row.get("reason"),
           "report_counts": dict(row.get("report_counts") or {}), "decided_at": _iso(row["created_at"]),
           "author_id": row.get("author_id") if admin else None}
    return out


def decide(uow, actor, offer_id, data, idempotency_key, now: dt.datetime) -> dict:
    """An admin's decision (keep, request_changes, remove) on an offer: recorded with its author and reason,
    the open reports closed, the offer changed; ``offer.moderated`` (and ``offer.unpublished`` /
    ``offer.removed`` where the offer leaves the search). Repeating with the same idempotency key answers
    the first decision."""
    _check_admin(actor)
    clean = mod.clean_decision(data)
    if idempotency_key is not None and (not isinstance(idempotency_key, str) or not idempotency_key.strip()
                                        or len(idempotency_key) > 200):
        raise ValidationError(None, {"idempotency_key": [MSG_KEY]})
    with uow.begin() as repo:
        if idempotency_key:
            done = repo.moderation_by_key(actor["user_id"], idempotency_key)
            if done is not None:
                return decision_view(done, admin=True)
        row = load(repo, offer_id, lock=True)
        mod.check_decidable(clean["decision"], row["state"])
        counts = mod.counts_by_reason(repo.open_reasons(row["id"]))
        effects = mod.effects(clean["decision"], row["state"])
        record = {"id": str(uuid.uuid4()), "offer_id": row["id"], "decision": clean["decision"],
                  "reason": clean["reason"], "author_id": actor["user_id"], "report_counts": counts,
                  "idempotency_key": idempotency_key, "created_at": now}
        repo.add_moderation(record)
        repo.close_reports(row["id"], record["id"], now)
        repo.change(row["id"], {**effects["columns"], "updated_at": now})
        if effects["unpublish"]:
            repo.emit("offer.unpublished", {"offer_id": row["id"], "state": st.UNPUBLISHED, "reason": "moderation"})
        if effects["remove"]:
            publication.remove(repo, row, now)
        repo.emit("offer.moderated", {"offer_id": row["id"], "moderation_id": record["id"],
                                      "decision": clean["decision"], "report_counts": counts,
                                      "reports": sum(counts.values())})
        return decision_view(record, admin=True)


def moderation_history(uow, actor, offer_id) -> dict:
    """Every decision on an offer, for its owner (without the moderators' ids) and admins."""
    with uow.read() as queries:
        rows = queries.by_ids([offer_id]) if _is_uuid(offer_id) else []
        if not rows or not access.manages(actor, rows[0]):
            raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
        row = rows[0]
        admin = access.is_admin(actor)
        return {"offer_id": row["id"], "hidden": bool(row.get(mod.HOLD_COLUMN)),
                "status": row.get("moderation_status"),
                "items": [decision_view(d, admin) for d in queries.moderations_of(row["id"])]}


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except (ValueError, TypeError):
        return False
    return True
