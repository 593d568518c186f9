"""Administrators' view of the messages: the list (failed ones first of all), and sending again."""
from __future__ import annotations

import datetime as dt
import logging

from common.errors import Conflict, FieldErrors, NotFound, ValidationError

from .. import views
from ..domain import records
from ..domain.messages import EMAIL, IN_APP, SMS
from .access import page_bounds, require_admin

log = logging.getLogger("notifications.admin")


def list_messages(uow, actor, status="failed", page=1, page_size=50, event_id=None, user_id=None) -> dict:
    with uow.read() as q:
        require_admin(actor)
        if status and status not in records.STATUSES:
            raise ValidationError(errors={"status": [f"Statut inconnu ({', '.join(records.STATUSES)})."]})
        page, page_size = page_bounds(page, page_size, 50, 200)
        found = q.messages_page(status, event_id, user_id, page, page_size)
        return {"items": [views.message(r) for r in found["items"]], "total": found["total"], "page": page,
                "page_size": page_size}


def retry_message(uow, actor, message_id, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        require_admin(actor)
        row = repo.lock_message(str(message_id))
        if row is None:
            raise NotFound("Message introuvable.", code="message_not_found")
        try:
            d = records.retry_failed(records.Delivery(row["status"], row["attempts"]), now)
        except records.InvalidTransition:
            raise Conflict("Seul un message en échec peut être renvoyé.", code="message_not_failed")
        repo.update_message(row["id"], status=d.status, attempts=d.attempts, next_attempt_at=d.next_attempt_at,
                            updated_at=now)
        return views.message(repo.message(row["id"]))


def retry_failed_messages(uow, actor, created_from, created_to, channel, now: dt.datetime) -> dict:
    """Send again every failed message created in ``[created_from, created_to)`` (ISO 8601 datetimes), on one
    channel or all: a fresh round of attempts for each."""
    with uow.begin() as repo:
        require_admin(actor)
        errors = FieldErrors()
        start, end = _datetime_field(errors, "from", created_from), _datetime_field(errors, "to", created_to)
        if start and end and start >= end:
            errors.add("to", "La fin de la période doit suivre son début.")
        if channel is not None and channel not in (EMAIL, SMS, IN_APP):
            errors.add("channel", "Canal inconnu : email, sms ou in_app.")
        errors.raise_if_any()
        n = repo.retry_failed_messages(start, end, channel, now)
        log.info("admin %s retried %s failed messages created in [%s, %s) (%s)", actor.get("user_id"), n,
                 start.isoformat(), end.isoformat(), channel or "all channels")
        return {"retried": n}


def _datetime_field(errors: FieldErrors, field: str, value) -> dt.datetime | None:
    """An aware ISO 8601 datetime from a request field, or an error on that field."""
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        errors.add(field, "Date et heure attendues au format ISO 8601 avec fuseau, par exemple "
                          "2027-02-13T08:00:00+01:00.")
        return None
    return parsed
