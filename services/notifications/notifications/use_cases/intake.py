"""Stage 1 of a message: what one platform event does here, in the event handler's transaction. The domain's
routing gives intents (stored once per (event, recipient reference, template)); an agreement's signers are
remembered; application events move the reminders; ``user.anonymized`` erases what the service holds."""
from __future__ import annotations

import datetime as dt
import logging

from ..domain.reminders import parse_dt
from ..domain.routing import route
from . import personal_data, reminders

log = logging.getLogger("notifications.intake")

HANDLER = "notifications.on_event"   # the inbox claim of every event handler of the service


def handle_event(uow, envelope: dict, now: dt.datetime) -> dict | None:
    """Everything one platform event does here. None when it was handled already (redelivery, duplicate);
    else a summary (for logs and tests)."""
    with uow.begin() as repo:
        if not repo.claim(envelope, HANDLER):
            return None
        event_type = envelope.get("type", "")
        data = envelope.get("data") or {}
        event_id = str(envelope["event_id"])
        occurred = parse_dt(envelope.get("occurred_at")) or now
        if event_type in ("convention.signed", "convention.reopened") and data.get("convention_id"):
            data = _track_signers(repo, event_type, data, occurred)
        result = route(event_type, data)
        created = sum(repo.add_intent(event_id, event_type, i.template, i.recipient, i.context, now)
                      for i in result.intents)
        if result.skipped:
            log.warning("event %s (%s): no recipient for %s", event_id, event_type, result.skipped)
        summary = {"intents": created, "skipped": result.skipped}
        if event_type.startswith("application."):
            summary["reminders"] = reminders.plan_from_event(repo, event_type, data, occurred, now, event_id)
        if event_type == "user.anonymized" and data.get("user_id"):
            summary["anonymized"] = personal_data.erase(repo, str(data["user_id"]), now, data.get("role"))
        return summary


def _track_signers(repo, event_type: str, data: dict, occurred: dt.datetime) -> dict:
    """Remember who signed each agreement (reset when it is reopened); add ``signed_roles`` to the data."""
    conv = str(data["convention_id"])
    if event_type == "convention.reopened":
        repo.forget_signers(conv)
        return data
    if data.get("role"):
        repo.add_signer(conv, str(data["role"]), occurred)
    return {**data, "signed_roles": sorted(repo.signer_roles(conv))}
