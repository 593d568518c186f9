"""Reminders before an application's deadline: planned from the application events (the deadline is the one
the event carries: ``domain.reminders``), fired by the reminder timer as intents to the employer or pupil."""
from __future__ import annotations

import datetime as dt
import logging

from ..domain import reminders as rules
from ..domain.routing import USER, RecipientRef

log = logging.getLogger("notifications.reminders")


def plan_from_event(repo, event_type: str, data: dict, occurred: dt.datetime, now: dt.datetime,
                    event_id: str = "") -> dict:
    """What one application event does to the application's reminders (in the event's transaction)."""
    plan = rules.plan(event_type, data)
    if plan.missing_deadline:
        log.warning("event %s (%s) of application %s gives no deadline: no reminder planned", event_id,
                    event_type, data.get("application_id"))
    app_id = str(data.get("application_id") or "")
    cancelled = created = 0
    if plan.cancel and app_id:
        cancelled = repo.cancel_reminders(app_id, occurred)
    if app_id and plan.create and not repo.planned_after(app_id, occurred):
        created = sum(repo.plan_reminder(r, occurred, now) for r in plan.create)
    return {"cancelled": cancelled, "created": created}


def fire_due(uow, now: dt.datetime, limit: int = 500) -> int:
    """Each due reminder becomes an intent while its deadline is ahead (``late`` after it). Returns how many
    were fired."""
    with uow.begin() as repo:
        fired = 0
        for r in repo.due_reminders(now, limit):
            if rules.still_relevant(r["deadline"], now):
                repo.add_intent(r["key"], "reminder", r["template"], RecipientRef(USER, r["user_id"]), r["context"],
                                now)
                status = "done"
                fired += 1
            else:
                status = "late"
            repo.set_reminder_status(r["id"], status)
        return fired
