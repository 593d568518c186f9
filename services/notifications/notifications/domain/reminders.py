"""Reminders 3 days before an application's deadline.

- the employer, 3 days before an unanswered application (submitted, read,
  transferred, restored) expires;
- the pupil, 3 days before an accepted application they have not confirmed
  expires.

The notifications service keeps its own schedule from the application events
(no call to the applications service): each event either leaves the schedule
alone, or cancels the application's pending reminders and plans new ones.
The deadline is the one the event carries (``expires_at``; for an acceptance
``accept_expires_at``): the deadlines are defined once, by the applications
service, and never derived here. An event that should plan a reminder but
carries no deadline plans none (``ReminderPlan.missing_deadline``, logged).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .routing import USER, RecipientRef

REMINDER_LEAD = dt.timedelta(days=3)

EMPLOYER_REMINDER = "employer_expiry_reminder"
PUPIL_REMINDER = "pupil_acceptance_reminder"


@dataclass(frozen=True)
class Reminder:
    template: str
    application_id: str
    recipient: RecipientRef
    deadline: dt.datetime
    due_at: dt.datetime
    context: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Stands in for the event id in the message's idempotency key."""
        return f"reminder:{self.application_id}:{self.template}:{self.deadline.isoformat()}"


@dataclass
class ReminderPlan:
    cancel: bool = False                     # cancel the application's pending reminders planned earlier
    create: list[Reminder] = field(default_factory=list)
    missing_deadline: bool = False           # the event should have planned a reminder but gave no deadline


def parse_dt(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    return None


def _ctx(data: dict) -> dict:
    keys = ("application_id", "offer_id", "school_uai", "pupil_id", "employer_id")
    return {k: data[k] for k in keys if data.get(k) is not None}


def _reminder(template: str, id_field: str, data: dict, deadline: dt.datetime,
              lead: dt.timedelta) -> Reminder | None:
    uid = data.get(id_field)
    app = data.get("application_id")
    if not uid or not app:
        return None
    ctx = _ctx(data)
    ctx["deadline"] = deadline.isoformat()
    return Reminder(template, str(app), RecipientRef(USER, str(uid)), deadline, deadline - lead, ctx)


def _plan_for(out: ReminderPlan, template: str, id_field: str, data: dict, deadline: dt.datetime | None,
              lead: dt.timedelta) -> ReminderPlan:
    if deadline is None:
        out.missing_deadline = True
        return out
    r = _reminder(template, id_field, data, deadline, lead)
    out.create = [r] if r else []
    return out


def plan(event_type: str, data: dict, *, lead: dt.timedelta = REMINDER_LEAD) -> ReminderPlan:
    """What one application event does to the reminder schedule."""
    data = data or {}
    given = parse_dt(data.get("expires_at"))
    if event_type in ("application.submitted", "application.restored", "application.transferred"):
        out = ReminderPlan(cancel=event_type != "application.submitted")
        return _plan_for(out, EMPLOYER_REMINDER, "employer_id", data, given, lead)
    if event_type == "application.read":
        # Reading does not move the deadline; a producer that gives it refreshes the plan.
        if given:
            return _plan_for(ReminderPlan(cancel=True), EMPLOYER_REMINDER, "employer_id", data, given, lead)
        return ReminderPlan()
    if event_type == "application.accepted":
        deadline = parse_dt(data.get("accept_expires_at")) or given
        return _plan_for(ReminderPlan(cancel=True), PUPIL_REMINDER, "pupil_id", data, deadline, lead)
    if event_type in ("application.confirmed", "application.rejected", "application.cancelled",
                      "application.expired"):
        return ReminderPlan(cancel=True)
    # application.nudged and anything else: no change.
    return ReminderPlan()


def still_relevant(reminder_deadline: dt.datetime, now: dt.datetime) -> bool:
    """A reminder handled late (the service was down) is still sent while the
    deadline is ahead; after it, the expiry message says it all."""
    return now < reminder_deadline
