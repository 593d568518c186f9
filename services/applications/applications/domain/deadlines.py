"""The deadlines of an application: the one home of its time rules, as pure functions of its dates
(``now`` is always a parameter).

- Unanswered applications (``submitted``, ``read_by_employer``, ``restored``) expire 15 days after the
  start of their answer clock; transferred ones 30 days after it. The answer clock starts at submission,
  and again at restoration (a restored application is sent to the employer again).
- An accepted application the pupil does not confirm within 15 days of the acceptance becomes
  ``expired_by_pupil``.
- A reminder is due 3 days before each deadline: to the employer for an unanswered/transferred one,
  to the pupil for an accepted one.
- A transfer link is valid 30 days after the transfer.

Deadlines are exact datetimes: the timer applies the transition as soon as ``now >= deadline_at`` (``is_due``).
The timer's batch statement (``applications.repository.expire_batch``) is built from ``EXPIRY_TARGETS`` and
checked against ``is_due`` by a test. Other services never re-derive a deadline: every application event
carries the state's deadline (``expires_at``; ``accept_expires_at`` on ``application.accepted``), see events.py.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import states as S

EMPLOYER_ANSWER_DAYS = 15
TRANSFER_ANSWER_DAYS = 30
PUPIL_CONFIRM_DAYS = 15
REMINDER_BEFORE_DAYS = 3
TRANSFER_LINK_DAYS = 30

EXPIRE = "expire"
EXPIRE_BY_PUPIL = "expire_by_pupil"


@dataclass(frozen=True)
class Clocks:
    """What the timer needs to know about one application (stored in indexed columns)."""

    deadline_at: dt.datetime | None = None
    deadline_action: str | None = None  # "expire" | "expire_by_pupil"
    reminder_at: dt.datetime | None = None
    reminder_to: str | None = None  # "employer" | "pupil"

    def as_columns(self) -> dict:
        return {"deadline_at": self.deadline_at, "deadline_action": self.deadline_action,
                "reminder_at": self.reminder_at, "reminder_to": self.reminder_to}


NO_CLOCK = Clocks()


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def answer_clock_start(submitted_at: dt.datetime, restored_at: dt.datetime | None = None) -> dt.datetime:
    """When the employer's answer clock started: the submission, or the latest restoration."""
    _aware(submitted_at, "submitted_at")
    _aware(restored_at, "restored_at")
    if restored_at is not None and restored_at > submitted_at:
        return restored_at
    return submitted_at


def employer_deadline(state: str, submitted_at: dt.datetime, restored_at: dt.datetime | None = None):
    start = answer_clock_start(submitted_at, restored_at)
    days = TRANSFER_ANSWER_DAYS if state == S.TRANSFERRED else EMPLOYER_ANSWER_DAYS
    return start + dt.timedelta(days=days)


def confirm_deadline(accepted_at: dt.datetime) -> dt.datetime:
    _aware(accepted_at, "accepted_at")
    return accepted_at + dt.timedelta(days=PUPIL_CONFIRM_DAYS)


def transfer_link_expires_at(transferred_at: dt.datetime) -> dt.datetime:
    _aware(transferred_at, "transferred_at")
    return transferred_at + dt.timedelta(days=TRANSFER_LINK_DAYS)


def clocks_for(state: str, *, submitted_at: dt.datetime, restored_at: dt.datetime | None = None,
               accepted_at: dt.datetime | None = None) -> Clocks:
    """The deadline and reminder of an application in ``state`` (none for settled states)."""
    if state in S.AWAITING_EMPLOYER:
        deadline = employer_deadline(state, submitted_at, restored_at)
        return Clocks(deadline, EXPIRE, deadline - dt.timedelta(days=REMINDER_BEFORE_DAYS), "employer")
    if state == S.ACCEPTED_BY_EMPLOYER:
        if accepted_at is None:
            raise ValueError("an accepted application needs accepted_at")
        deadline = confirm_deadline(accepted_at)
        return Clocks(deadline, EXPIRE_BY_PUPIL, deadline - dt.timedelta(days=REMINDER_BEFORE_DAYS), "pupil")
    return NO_CLOCK


def is_due(clocks: Clocks, now: dt.datetime) -> bool:
    _aware(now, "now")
    return clocks.deadline_at is not None and now >= clocks.deadline_at


def reminder_due(clocks: Clocks, now: dt.datetime) -> bool:
    _aware(now, "now")
    return clocks.reminder_at is not None and clocks.reminder_at <= now < clocks.deadline_at


# deadline action -> the state the timer moves an overdue application to
EXPIRY_TARGETS = {EXPIRE: S.EXPIRED, EXPIRE_BY_PUPIL: S.EXPIRED_BY_PUPIL}


def expiry_target(deadline_action: str) -> str:
    """The state the timer moves an overdue application to."""
    return EXPIRY_TARGETS[deadline_action]


def can_still_confirm(accepted_at: dt.datetime, now: dt.datetime) -> bool:
    return _aware(now, "now") < confirm_deadline(accepted_at)
