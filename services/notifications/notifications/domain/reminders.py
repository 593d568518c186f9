"""Reminders 3 days before an application's deadline.

- the employer, 3 days before an unanswered application (submitted, read,
  transferred, restored) expires;
- the pupil, 3 days before an accepted application they have not confirmed
  expires.

The notifications service keeps its own schedule from the application events
(no call to the applications service): each event either leaves the schedule
alone, or cancels the application's pending reminders and plans new ones.
The deadline comes from the event (``expires_at``) when the producer gives
it, otherwise from the documented rules (15 days after submission or
acceptance, 30 days after a transfer).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .routing import USER, RecipientRef

REMINDER_LEAD = dt.timedelta(days=3)
ANSWER_DELAY = dt.timedelta(days=15)
TRANSFER_DELAY = dt.timedelta(days=30)
CONFIRM_DELAY = dt.timedelta(days=15)

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


def plan(event_type: str, data: dict, occurred_at: dt.datetime, *, lead: dt.timedelta = REMINDER_LEAD) -> ReminderPlan:
    """What one application event does to the reminder schedule."""
    data = data or {}
    given = parse_dt(data.get("expires_at"))
    out = ReminderPlan()
    if event_type in ("application.submitted", "application.restored"):
        out.cancel = event_type == "application.restored"
        if event_type == "application.submitted":
            deadline = given or (parse_dt(data.get("submitted_at")) or occurred_at) + ANSWER_DELAY
        else:
            deadline = given or occurred_at + ANSWER_DELAY
        r = _reminder(EMPLOYER_REMINDER, "employer_id", data, deadline, lead)
        out.create = [r] if r else []
    elif event_type == "application.read":
        # Reading does not move the deadline; a producer that gives it refreshes the plan.
        if given:
            out.cancel = True
            r = _reminder(EMPLOYER_REMINDER, "employer_id", data, given, lead)
            out.create = [r] if r else []
    elif event_type == "application.transferred":
        out.cancel = True
        r = _reminder(EMPLOYER_REMINDER, "employer_id", data, given or occurred_at + TRANSFER_DELAY, lead)
        out.create = [r] if r else []
    elif event_type == "application.accepted":
        out.cancel = True
        deadline = parse_dt(data.get("accept_expires_at")) or given or occurred_at + CONFIRM_DELAY
        r = _reminder(PUPIL_REMINDER, "pupil_id", data, deadline, lead)
        out.create = [r] if r else []
    elif event_type in ("application.confirmed", "application.rejected", "application.cancelled",
                        "application.expired"):
        out.cancel = True
    # application.nudged and anything else: no change.
    return out


def still_relevant(reminder_deadline: dt.datetime, now: dt.datetime) -> bool:
    """A reminder handled late (the service was down) is still sent while the
    deadline is ahead; after it, the expiry message says it all."""
    return now < reminder_deadline
