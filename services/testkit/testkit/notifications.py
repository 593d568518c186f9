"""Fakes for the notifications use cases (``notifications.use_cases``): an in-memory repository with the methods
of ``notifications.repository.Repository``, clients answering like identity/applications/offers, and an
outbound side recording what it sends. No broker, no database: use-case unit tests run in milliseconds.
``tests/integration/test_repository_contract.py`` runs the same scenarios on the fake and on PostgreSQL.

    repo = FakeRepository(); uow = FakeUnitOfWork(repo)
    intake.handle_event(uow, envelope, now)
    delivery.dispatch(uow, FakeClients(contacts={...}), FakeOutbound(), now)
"""
from __future__ import annotations

import copy
import datetime as dt
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

from common.errors import NotFound
from notifications.channels.email import TemporaryFailure, Unreachable
from notifications.domain import records
from notifications.domain.circuit import Circuit
from notifications.domain.messages import EMAIL, SMS
from notifications.domain.routing import USER
from notifications.settings import Settings
from notifications.templates.renderer import Renderer


class FakeUnitOfWork:
    """In-memory twin of ``notifications.repository.UnitOfWork`` over a ``FakeRepository``: ``begin()`` yields
    the repository (what a use case changed is undone if it raises), ``read()`` the ``FakeQueries``."""

    def __init__(self, repo: "FakeRepository | None" = None):
        self.repo = repo if repo is not None else FakeRepository()

    @contextmanager
    def begin(self):
        saved = copy.deepcopy(self.repo.tables)
        try:
            yield self.repo
        except BaseException:
            self.repo.tables = saved
            raise

    @contextmanager
    def read(self):
        yield FakeQueries(self.repo)


class FakeQueries:
    """The read side (``notifications.queries.Queries``) the unit tests use, over the fake's tables; the SQL is
    proved by the integration tests."""

    def __init__(self, repo: "FakeRepository"):
        self.repo = repo

    def unread_count(self, user_id: str) -> int:
        return sum(1 for r in self.repo.inbox_items if r["user_id"] == user_id and r["read_at"] is None)

    def preferences_of(self, user_id: str) -> dict | None:
        return self.repo.preferences_of(user_id)


class FakeRepository:
    def __init__(self):
        self.tables = {"claims": set(), "intents": [], "messages": [], "inbox_items": [], "preferences": {},
                       "signers": {}, "reminders": []}

    # helpers for tests
    def __getattr__(self, name):
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @staticmethod
    def _one(rows, **where) -> dict | None:
        return next((r for r in rows if all(r.get(k) == v for k, v in where.items())), None)

    # -- inbox of events
    def claim(self, envelope: dict, handler: str) -> bool:
        key = (str(envelope["event_id"]), handler)
        if key in self.tables["claims"]:
            return False
        self.tables["claims"].add(key)
        return True

    # -- intents
    def add_intent(self, event_id, event_type, template, ref, context, now, extra=None) -> bool:
        key = records.message_key(event_id, ref.key, template)
        if self._one(self.intents, key=key):
            return False
        self.intents.append({
            "id": str(uuid.uuid4()), "key": key, "event_id": event_id, "event_type": event_type,
            "template": template, "recipient_kind": ref.kind, "recipient_value": ref.value,
            "recipient_functions": list(ref.functions), "recipient_extra": dict(extra or {}),
            "context": copy.deepcopy(context), "status": records.PENDING, "attempts": 0, "next_attempt_at": now,
            "last_error": None, "created_at": now, "resolved_at": None})
        return True

    def due_intents(self, now, event_id, limit, exclude) -> list[dict]:
        rows = [r for r in self.intents if r["status"] == records.PENDING and r["next_attempt_at"] <= now
                and (not event_id or r["event_id"] == event_id) and r["id"] not in exclude]
        return [dict(r) for r in sorted(rows, key=lambda r: r["next_attempt_at"])[:limit]]

    def lock_pending_intent(self, intent_id, attempts) -> dict | None:
        row = self._one(self.intents, id=intent_id, status=records.PENDING, attempts=attempts)
        return dict(row) if row else None

    def update_intent(self, intent_id, **values) -> None:
        self._one(self.intents, id=intent_id).update(values)

    # -- messages
    def add_message(self, **row) -> None:
        if not self._one(self.messages, key=row["key"], channel=row["channel"]):
            self.messages.append({"id": str(uuid.uuid4()), "subject": None, "provider_id": None, "sent_at": None,
                                  **copy.deepcopy(row)})

    def next_due_message(self, now, event_id, blocked_channels) -> dict | None:
        rows = [r for r in self.messages if records.is_due(records.Delivery(r["status"], r["attempts"],
                                                                            r["next_attempt_at"]), now)
                and r["next_attempt_at"] is not None
                and (not event_id or r["event_id"] == event_id) and r["channel"] not in blocked_channels]
        return dict(min(rows, key=lambda r: r["next_attempt_at"])) if rows else None

    def lock_message(self, message_id) -> dict | None:
        return self.message(message_id)

    def message(self, message_id) -> dict | None:
        row = self._one(self.messages, id=message_id)
        return dict(row) if row else None

    def update_message(self, message_id, **values) -> None:
        self._one(self.messages, id=message_id).update(values)

    def due_again_after_outage(self, channel, outage_began, now) -> tuple[int, int]:
        due = again = 0
        for r in self.messages:
            if r["channel"] != channel:
                continue
            if r["status"] == records.PENDING and r["next_attempt_at"] and r["next_attempt_at"] > now:
                r.update(next_attempt_at=now, updated_at=now)
                due += 1
            elif r["status"] == records.FAILED and r["updated_at"] >= outage_began:
                r.update(status=records.PENDING, attempts=0, next_attempt_at=now, updated_at=now)
                again += 1
        return due, again

    def retry_failed_messages(self, start, end, channel, now) -> int:
        n = 0
        for r in self.messages:
            if r["status"] == records.FAILED and start <= r["created_at"] < end and channel in (None, r["channel"]):
                r.update(status=records.PENDING, attempts=0, next_attempt_at=now, updated_at=now)
                n += 1
        return n

    # -- in-app inbox
    def add_inbox_item(self, user_id, message_id, template, title, body, link, now) -> None:
        if not self._one(self.inbox_items, message_id=message_id):
            self.inbox_items.append({"id": str(uuid.uuid4()), "user_id": user_id, "message_id": message_id,
                                     "template": template, "title": title, "body": body, "link": link,
                                     "created_at": now, "read_at": None})

    def mark_read(self, user_id, item_id, now) -> dict | None:
        row = self._one(self.inbox_items, id=item_id, user_id=user_id)
        if row is None:
            return None
        row["read_at"] = row["read_at"] or now
        return dict(row)

    def mark_all_read(self, user_id, now) -> int:
        unread = [r for r in self.inbox_items if r["user_id"] == user_id and r["read_at"] is None]
        for r in unread:
            r["read_at"] = now
        return len(unread)

    # -- preferences
    def preferences_of(self, user_id) -> dict | None:
        found = self.tables["preferences"].get(user_id)
        return copy.deepcopy(found["preferences"]) if found else None

    def save_preferences(self, user_id, prefs, now) -> None:
        self.tables["preferences"][user_id] = {"preferences": copy.deepcopy(prefs), "updated_at": now}

    # -- agreement signers
    def forget_signers(self, convention_id) -> None:
        self.tables["signers"].pop(convention_id, None)

    def add_signer(self, convention_id, role, signed_at) -> None:
        self.tables["signers"].setdefault(convention_id, {}).setdefault(role, signed_at)

    def signer_roles(self, convention_id) -> list[str]:
        return list(self.tables["signers"].get(convention_id, {}))

    # -- reminders
    def cancel_reminders(self, application_id, planned_up_to) -> int:
        hit = [r for r in self.reminders if r["application_id"] == application_id and r["status"] == "pending"
               and r["source_occurred_at"] <= planned_up_to]
        for r in hit:
            r["status"] = "cancelled"
        return len(hit)

    def planned_after(self, application_id, occurred) -> bool:
        return any(r["application_id"] == application_id and r["source_occurred_at"] > occurred
                   for r in self.reminders)

    def plan_reminder(self, r, occurred, now) -> bool:
        row = self._one(self.reminders, key=r.key)
        if row is not None:
            if row["status"] != "cancelled":
                return False
            row["status"] = "pending"
            return True
        self.reminders.append({"id": str(uuid.uuid4()), "key": r.key, "application_id": r.application_id,
                               "template": r.template, "user_id": r.recipient.value, "deadline": r.deadline,
                               "due_at": r.due_at, "context": dict(r.context), "status": "pending",
                               "source_occurred_at": occurred, "created_at": now})
        return True

    def due_reminders(self, now, limit) -> list[dict]:
        rows = [r for r in self.reminders if r["status"] == "pending" and r["due_at"] <= now]
        return [dict(r) for r in sorted(rows, key=lambda r: r["due_at"])[:limit]]

    def set_reminder_status(self, reminder_id, status) -> None:
        self._one(self.reminders, id=reminder_id)["status"] = status

    # -- erasure
    def erase_user(self, user_id, now, role=None) -> dict:   # messages to others: the SQL only (integration)
        before = len(self.inbox_items)
        self.tables["inbox_items"] = [r for r in self.inbox_items if r["user_id"] != user_id]
        self.tables["preferences"].pop(user_id, None)
        cancelled = 0
        for r in self.messages:
            if r["user_id"] != user_id:
                continue
            if r["status"] == records.PENDING:
                r.update(status=records.CANCELLED, last_error="recipient anonymised", next_attempt_at=None)
                cancelled += 1
            r.update(address=None, recipient_name=None, context={}, subject=None, updated_at=now)
        for r in self.intents:
            if r["recipient_kind"] == USER and r["recipient_value"] == user_id and r["status"] == records.PENDING:
                r.update(status=records.CANCELLED, last_error="recipient anonymised")
        for r in self.reminders:
            if r["user_id"] == user_id and r["status"] == "pending":
                r["status"] = "cancelled"
        return {"inbox_deleted": before - len(self.inbox_items), "messages_cancelled": cancelled,
                "others_redacted": 0}


class FakeClients:
    """Answers of identity, applications and offers from dicts; ``down`` makes every call fail (a transient
    error, as a service that does not answer). ``calls`` lists what was asked."""

    def __init__(self, contacts=None, staff=None, teachers=None, applications=None, offers=None, spaces=None):
        self.contacts = contacts or {}          # user_id -> get_contact answer
        self.staff = staff or {}                # uai -> [items]
        self.teachers = teachers or {}          # pupil_id -> [items]
        self.applications = applications or {}  # application_id -> get_application answer
        self.offers = offers or {}              # offer_id -> get_offer answer
        self.spaces = spaces or {}              # space_id -> [{"user_id", "role"}] (identity.get_space_members)
        self.down = False
        self.calls: list[tuple] = []

    def _ask(self, what, table, key):
        self.calls.append((what, key))
        if self.down:
            raise TimeoutError(f"{what} did not answer")
        if key not in table:
            raise NotFound(f"{what} {key} introuvable")
        return copy.deepcopy(table[key])

    def contact(self, user_id):
        return {"user_id": user_id, **self._ask("contact", self.contacts, user_id)}

    def school_staff(self, uai, functions):
        items = self._ask("school_staff", self.staff, uai) if uai in self.staff or self.down else []
        return [i for i in items if not functions or i.get("function") in functions]

    def pupil_teachers(self, pupil_id):
        return self._ask("pupil_teachers", self.teachers, pupil_id) if pupil_id in self.teachers else []

    def space_members(self, space_id):
        return self._ask("space_members", self.spaces, space_id) if space_id in self.spaces or self.down else []

    def application(self, application_id):
        return self._ask("application", self.applications, application_id)

    def offer(self, offer_id):
        return self._ask("offer", self.offers, offer_id)


class FakeSmtp:
    """Records the e-mails it is asked to send; ``failure`` (an exception instance) is raised instead."""

    def __init__(self):
        self.config = SimpleNamespace(from_address="ne-pas-repondre@example.org")
        self.sent: list[dict] = []
        self.failure: Exception | None = None

    def send(self, **message):
        if self.failure is not None:
            raise self.failure
        self.sent.append(message)
        return f"<fake-{len(self.sent)}>"


class FakeSms(FakeSmtp):
    pass


class FakeOutbound:
    """The process's outbound side (``channels.outbound.Outbound``) with fake senders and the real renderer."""

    def __init__(self, settings: Settings | None = None, base_url: str = "https://stages.test"):
        self.settings = settings or Settings(base_url=base_url)
        self.renderer = Renderer(self.settings.base_url)
        self.smtp = FakeSmtp()
        self.sms = FakeSms()
        self.circuits = {EMAIL: Circuit(), SMS: Circuit()}

    def smtp_down(self):
        self.smtp.failure = Unreachable("SMTP connection refused")

    def smtp_deferring(self):
        self.smtp.failure = TemporaryFailure("SMTP 451 try later")

    def smtp_up(self):
        self.smtp.failure = None


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.timezone.utc)
