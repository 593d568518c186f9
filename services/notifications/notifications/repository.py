"""Write-side SQL of the notifications service (SQLAlchemy core), used by the use cases through a unit of work.

``UnitOfWork(db)`` is what the use cases take (as ``uow``): ``with uow.begin() as repo:`` opens one transaction
(``common.db`` unit of work: commit on exit, rollback on exception) and yields a ``Repository`` over it;
``with uow.read() as q:`` gives the read side (``queries.Queries``).
Rows are plain dicts. The use-case fakes (``testkit.notifications``) implement the same methods in memory.

Concurrency: the dispatcher claims rows with ``FOR UPDATE SKIP LOCKED`` (``lock_*``, ``next_due_message``,
``due_reminders``), so two workers never handle the same row; ``due_intents`` reads without a lock (the
recipients are then asked by RPC, no lock held) and ``lock_pending_intent`` takes the row afterwards only if
nobody handled it meanwhile.
"""
from __future__ import annotations

import datetime as dt
import uuid

from common.db import ServiceUnitOfWork
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert

from .domain import erasure, records
from .domain.reminders import Reminder
from .domain.routing import USER, RecipientRef
from .models import convention_signers, inbox_items, intents, messages, preferences, reminders
from .queries import Queries


class UnitOfWork(ServiceUnitOfWork):
    """What the use cases take (``testkit.notifications.FakeUnitOfWork`` in unit tests): ``begin()`` one
    transaction yielding the ``Repository``, ``read()`` the ``Queries`` on a read-only session."""

    repository = staticmethod(lambda unit: Repository(unit))
    queries = staticmethod(lambda session: Queries(session))


class Repository:
    def __init__(self, unit):
        self.unit = unit
        self.session = unit.session

    def _x(self, statement):
        return self.session.execute(statement)

    # -- inbox and outbox of events ---------------------------------------------------------
    def claim(self, envelope: dict, handler: str) -> bool:
        return self.unit.claim(envelope, handler)

    def emit(self, event_type: str, data: dict) -> None:
        self.unit.emit(event_type, data)

    # -- intents ------------------------------------------------------------------------------
    def add_intent(self, event_id: str, event_type: str, template: str, ref: RecipientRef, context: dict,
                   now: dt.datetime, extra: dict | None = None) -> bool:
        """One intent per (event, recipient reference, template): False when it exists already."""
        row = {"id": str(uuid.uuid4()), "key": records.message_key(event_id, ref.key, template),
               "event_id": event_id, "event_type": event_type, "template": template,
               "recipient_kind": ref.kind, "recipient_value": ref.value,
               "recipient_functions": list(ref.functions), "recipient_extra": extra or {},
               "context": context, "status": records.PENDING, "attempts": 0, "next_attempt_at": now,
               "created_at": now}
        res = self._x(insert(intents).values(row).on_conflict_do_nothing(index_elements=["key"])
                      .returning(intents.c.id))
        return bool(res.fetchall())

    def due_intents(self, now: dt.datetime, event_id: str | None, limit: int, exclude: set) -> list[dict]:
        """Pending intents due now, oldest first, read without a lock."""
        q = select(intents).where(intents.c.status == records.PENDING, intents.c.next_attempt_at <= now)
        if event_id:
            q = q.where(intents.c.event_id == event_id)
        if exclude:
            q = q.where(intents.c.id.notin_(list(exclude)))
        return [dict(r) for r in self._x(q.order_by(intents.c.next_attempt_at).limit(limit)).mappings()]

    def lock_pending_intent(self, intent_id: str, attempts: int) -> dict | None:
        """The intent, locked, if it is still pending as it was read (``attempts``) and nobody holds it."""
        row = self._x(select(intents).where(intents.c.id == intent_id, intents.c.status == records.PENDING,
                                            intents.c.attempts == attempts)
                      .with_for_update(skip_locked=True)).mappings().first()
        return dict(row) if row else None

    def update_intent(self, intent_id: str, **values) -> None:
        self._x(update(intents).where(intents.c.id == intent_id).values(**values))

    # -- messages --------------------------------------------------------------------------------
    def add_message(self, **row) -> None:
        """One message per (key, channel): nothing when it exists already."""
        self._x(insert(messages).values(id=str(uuid.uuid4()), **row)
                .on_conflict_do_nothing(constraint="uq_messages_key_channel"))

    def next_due_message(self, now: dt.datetime, event_id: str | None, blocked_channels: list[str]) -> dict | None:
        q = select(messages).where(messages.c.status == records.PENDING, messages.c.next_attempt_at <= now)
        if event_id:
            q = q.where(messages.c.event_id == event_id)
        if blocked_channels:
            q = q.where(messages.c.channel.notin_(blocked_channels))
        row = self._x(q.order_by(messages.c.next_attempt_at).limit(1)
                      .with_for_update(skip_locked=True)).mappings().first()
        return dict(row) if row else None

    def lock_message(self, message_id: str) -> dict | None:
        row = self._x(select(messages).where(messages.c.id == message_id).with_for_update()).mappings().first()
        return dict(row) if row else None

    def message(self, message_id: str) -> dict | None:
        row = self._x(select(messages).where(messages.c.id == message_id)).mappings().first()
        return dict(row) if row else None

    def update_message(self, message_id: str, **values) -> None:
        self._x(update(messages).where(messages.c.id == message_id).values(**values))

    def due_again_after_outage(self, channel: str, outage_began: dt.datetime, now: dt.datetime) -> tuple[int, int]:
        """A channel is back: its delayed messages are due now, and those that failed during the outage get a
        fresh round of attempts. Returns (delayed, failed) counts."""
        due = self._x(update(messages).where(
            messages.c.channel == channel, messages.c.status == records.PENDING, messages.c.next_attempt_at > now
        ).values(next_attempt_at=now, updated_at=now)).rowcount
        again = self._x(update(messages).where(
            messages.c.channel == channel, messages.c.status == records.FAILED, messages.c.updated_at >= outage_began
        ).values(status=records.PENDING, attempts=0, next_attempt_at=now, updated_at=now)).rowcount
        return due, again

    def retry_failed_messages(self, start: dt.datetime, end: dt.datetime, channel: str | None,
                              now: dt.datetime) -> int:
        cond = [messages.c.status == records.FAILED, messages.c.created_at >= start, messages.c.created_at < end]
        if channel is not None:
            cond.append(messages.c.channel == channel)
        return self._x(update(messages).where(*cond).values(
            status=records.PENDING, attempts=0, next_attempt_at=now, updated_at=now)).rowcount

    # -- in-app inbox ------------------------------------------------------------------------------
    def add_inbox_item(self, user_id: str, message_id: str, template: str, title: str, body: str, link: str,
                       now: dt.datetime) -> None:
        self._x(insert(inbox_items).values(
            id=str(uuid.uuid4()), user_id=user_id, message_id=message_id, template=template, title=title,
            body=body, link=link, created_at=now).on_conflict_do_nothing(index_elements=["message_id"]))

    def mark_read(self, user_id: str, item_id: str, now: dt.datetime) -> dict | None:
        """Marks the user's item read (once); returns it, or None when it is not theirs."""
        self._x(update(inbox_items).where(inbox_items.c.id == item_id, inbox_items.c.user_id == user_id,
                                          inbox_items.c.read_at.is_(None)).values(read_at=now))
        row = self._x(select(inbox_items).where(inbox_items.c.id == item_id,
                                                inbox_items.c.user_id == user_id)).mappings().first()
        return dict(row) if row else None

    def mark_all_read(self, user_id: str, now: dt.datetime) -> int:
        return self._x(update(inbox_items).where(inbox_items.c.user_id == user_id, inbox_items.c.read_at.is_(None))
                       .values(read_at=now)).rowcount

    # -- preferences ---------------------------------------------------------------------------------
    def preferences_of(self, user_id: str) -> dict | None:
        return self._x(select(preferences.c.preferences).where(preferences.c.user_id == user_id)).scalar()

    def save_preferences(self, user_id: str, prefs: dict, now: dt.datetime) -> None:
        self._x(insert(preferences).values(user_id=user_id, preferences=prefs, updated_at=now)
                .on_conflict_do_update(index_elements=["user_id"], set_={"preferences": prefs, "updated_at": now}))

    # -- agreement signers ---------------------------------------------------------------------------
    def forget_signers(self, convention_id: str) -> None:
        self._x(convention_signers.delete().where(convention_signers.c.convention_id == convention_id))

    def add_signer(self, convention_id: str, role: str, signed_at: dt.datetime) -> None:
        self._x(insert(convention_signers).values(convention_id=convention_id, role=role, signed_at=signed_at)
                .on_conflict_do_nothing())

    def signer_roles(self, convention_id: str) -> list[str]:
        return list(self._x(select(convention_signers.c.role)
                            .where(convention_signers.c.convention_id == convention_id)).scalars())

    # -- reminders ---------------------------------------------------------------------------------------
    def cancel_reminders(self, application_id: str, planned_up_to: dt.datetime) -> int:
        """Cancel the application's pending reminders planned from events up to ``planned_up_to``."""
        return self._x(update(reminders).where(
            reminders.c.application_id == application_id, reminders.c.status == "pending",
            reminders.c.source_occurred_at <= planned_up_to).values(status="cancelled")).rowcount

    def planned_after(self, application_id: str, occurred: dt.datetime) -> bool:
        """Whether a later event of the application planned reminders already (events may arrive out of order)."""
        return bool(self._x(select(func.count()).select_from(reminders).where(
            reminders.c.application_id == application_id, reminders.c.source_occurred_at > occurred)).scalar())

    def plan_reminder(self, r: Reminder, occurred: dt.datetime, now: dt.datetime) -> bool:
        """Store a planned reminder (or plan a cancelled one again); False when it is planned already."""
        res = self._x(insert(reminders).values(
            id=str(uuid.uuid4()), key=r.key, application_id=r.application_id, template=r.template,
            user_id=r.recipient.value, deadline=r.deadline, due_at=r.due_at, context=r.context,
            status="pending", source_occurred_at=occurred, created_at=now,
        ).on_conflict_do_update(index_elements=["key"], set_={"status": "pending"},
                                where=reminders.c.status == "cancelled").returning(reminders.c.id))
        return bool(res.fetchall())

    def due_reminders(self, now: dt.datetime, limit: int) -> list[dict]:
        return [dict(r) for r in self._x(
            select(reminders).where(reminders.c.status == "pending", reminders.c.due_at <= now)
            .order_by(reminders.c.due_at).limit(limit).with_for_update(skip_locked=True)).mappings()]

    def set_reminder_status(self, reminder_id: str, status: str) -> None:
        self._x(update(reminders).where(reminders.c.id == reminder_id).values(status=status))

    # -- erasure ---------------------------------------------------------------------------------------
    def erase_user(self, user_id: str, now: dt.datetime, role: str | None = None) -> dict:
        """Erase what this service holds about a user: inbox, preferences, addresses and contexts of their
        messages; what was still to be sent to them is cancelled; messages to others about their applications
        and agreements lose their names and words (``domain.erasure``)."""
        others = self._erase_from_others(user_id, now, role)
        inbox_deleted = self._x(inbox_items.delete().where(inbox_items.c.user_id == user_id)).rowcount
        self._x(preferences.delete().where(preferences.c.user_id == user_id))
        cancelled = self._x(
            update(messages).where(messages.c.user_id == user_id, messages.c.status == records.PENDING)
            .values(status=records.CANCELLED, last_error="recipient anonymised", next_attempt_at=None,
                    updated_at=now)).rowcount
        self._x(update(messages).where(messages.c.user_id == user_id)
                .values(address=None, recipient_name=None, context={}, subject=None, updated_at=now))
        self._x(update(intents).where(intents.c.recipient_kind == USER, intents.c.recipient_value == user_id,
                                      intents.c.status == records.PENDING)
                .values(status=records.CANCELLED, last_error="recipient anonymised"))
        self._x(update(reminders).where(reminders.c.user_id == user_id, reminders.c.status == "pending")
                .values(status="cancelled"))
        return {"inbox_deleted": inbox_deleted, "messages_cancelled": cancelled, "others_redacted": others}

    def _erase_from_others(self, user_id: str, now: dt.datetime, role: str | None) -> int:
        own = [r.context for r in self._x(select(messages.c.context).where(messages.c.user_id == user_id))]
        own += [r.context for r in self._x(select(intents.c.context).where(
            intents.c.recipient_kind == USER, intents.c.recipient_value == user_id))]
        ids = sorted(erasure.linked_ids(own))
        if not ids:
            return 0
        about = or_(*(messages.c.context[k].astext.in_(ids) for k in erasure.LINK_KEYS))
        rows = self._x(select(messages.c.id, messages.c.context, messages.c.subject).where(about)
                       .with_for_update()).all()
        names = erasure.names_in([r.context for r in rows] + own, role)
        for r in rows:
            self._x(update(messages).where(messages.c.id == r.id).values(
                context=erasure.without_person(r.context, role), subject=erasure.redact(r.subject, names),
                updated_at=now))
            for item in self._x(select(inbox_items.c.id, inbox_items.c.title, inbox_items.c.body)
                                .where(inbox_items.c.message_id == r.id)).all():
                self._x(update(inbox_items).where(inbox_items.c.id == item.id).values(
                    title=erasure.redact(item.title, names), body=erasure.redact(item.body, names)))
        i_about = or_(*(intents.c.context[k].astext.in_(ids) for k in erasure.LINK_KEYS))
        for r in self._x(select(intents.c.id, intents.c.context).where(i_about)).all():
            self._x(update(intents).where(intents.c.id == r.id).values(context=erasure.without_person(r.context,
                                                                                                       role)))
        return len(rows)
