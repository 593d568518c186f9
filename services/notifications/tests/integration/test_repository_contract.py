"""The same scenarios on the SQL repository (real PostgreSQL) and on the use-case fake
(``testkit.notifications.FakeUnitOfWork``): the fake used by the unit tests behaves as the SQL, and the SQL
selections agree with the domain's rules (``records.is_due``, ``reminders.still_relevant`` through
``due_reminders``)."""
import datetime as dt
import uuid
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from notifications.domain import records, reminders as rules
from notifications.domain.routing import USER, RecipientRef
from notifications.repository import Repository
from testkit.notifications import FakeUnitOfWork, utc

NOW = utc(2027, 1, 11, 9, 0)


@pytest.fixture(scope="module")
def engine(service_db):
    engine = create_engine(service_db("notifications"))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sql", "fake"])
def uow(request, engine):
    if request.param == "fake":
        return FakeUnitOfWork()
    claims = set()

    def claim(envelope, handler):   # the inbox table is common.db's: its claim is tested there
        key = (envelope["event_id"], handler)
        fresh = key not in claims
        claims.add(key)
        return fresh

    @contextmanager
    def begin():
        with Session(engine) as s, s.begin():
            yield Repository(SimpleNamespace(session=s, claim=claim))
    return SimpleNamespace(begin=begin)


def _ref():
    return RecipientRef(USER, str(uuid.uuid4()))


def test_intents_are_unique_and_due_in_order(uow):
    event = f"ev-{uuid.uuid4()}"
    a, b = _ref(), _ref()
    with uow.begin() as r:
        assert r.add_intent(event, "t", "welcome", a, {"x": 1}, NOW + dt.timedelta(seconds=1))
        assert not r.add_intent(event, "t", "welcome", a, {"x": 2}, NOW)     # same (event, recipient, template)
        assert r.add_intent(event, "t", "welcome", b, {}, NOW)
        assert r.add_intent(event, "t", "welcome", _ref(), {}, NOW + dt.timedelta(hours=1))   # not due yet
    with uow.begin() as r:
        due = r.due_intents(NOW + dt.timedelta(seconds=1), event, 10, set())
        assert [d["recipient_value"] for d in due] == [b.value, a.value]
        assert r.due_intents(NOW + dt.timedelta(seconds=1), event, 10, {due[0]["id"]})[0]["recipient_value"] == a.value
        first = due[0]
        assert r.lock_pending_intent(first["id"], first["attempts"] + 1) is None   # handled meanwhile
        assert r.lock_pending_intent(first["id"], first["attempts"])["id"] == first["id"]
        r.update_intent(first["id"], status="resolved")
        assert r.lock_pending_intent(first["id"], first["attempts"]) is None


def test_due_messages_agree_with_the_domain(uow):
    event = f"ev-{uuid.uuid4()}"
    cases = [(records.PENDING, NOW - dt.timedelta(seconds=5), "email"), (records.PENDING, NOW, "sms"),
             (records.PENDING, NOW + dt.timedelta(seconds=5), "email"), (records.SENT, None, "in_app")]
    with uow.begin() as r:
        for i, (status, at, channel) in enumerate(cases):
            r.add_message(key=f"k{i}-{event}"[:64], channel=channel, event_id=event, event_type="t", template="nudge",
                          recipient="user:x", user_id=None, context={}, status=status, attempts=0,
                          next_attempt_at=at, created_at=NOW, updated_at=NOW)
    due_by_domain = [c for c in cases if records.is_due(records.Delivery(c[0], 0, c[1]), NOW)]
    with uow.begin() as r:
        first = r.next_due_message(NOW, event, [])
        assert (first["status"], first["next_attempt_at"], first["channel"]) == due_by_domain[0]
        second = r.next_due_message(NOW, event, ["email"])
        assert (second["status"], second["next_attempt_at"], second["channel"]) == due_by_domain[1]
        assert r.next_due_message(NOW, event, ["email", "sms"]) is None


def test_reminders_plan_cancel_revive_and_fall_due(uow):
    app = str(uuid.uuid4())
    data = {"application_id": app, "employer_id": str(uuid.uuid4()),
            "expires_at": (NOW + dt.timedelta(days=2)).isoformat()}
    [reminder] = rules.plan("application.submitted", data).create
    with uow.begin() as r:
        assert r.plan_reminder(reminder, NOW, NOW) and not r.plan_reminder(reminder, NOW, NOW)
        assert r.planned_after(app, NOW - dt.timedelta(seconds=1)) and not r.planned_after(app, NOW)
        assert r.cancel_reminders(app, NOW - dt.timedelta(seconds=1)) == 0   # planned by a later event: kept
        assert r.cancel_reminders(app, NOW) == 1
        assert r.plan_reminder(reminder, NOW, NOW)                            # planned again
    with uow.begin() as r:
        due = [d for d in r.due_reminders(NOW, 1000) if d["application_id"] == app]
        assert [d["due_at"] for d in due] == [reminder.due_at]
        assert rules.still_relevant(due[0]["deadline"], NOW)
        r.set_reminder_status(due[0]["id"], "done")
        assert not [d for d in r.due_reminders(NOW, 1000) if d["application_id"] == app]


def test_erasure_and_inbox(uow):
    user = str(uuid.uuid4())
    event = f"ev-{uuid.uuid4()}"
    with uow.begin() as r:
        r.add_intent(event, "t", "welcome", RecipientRef(USER, user), {}, NOW)
        r.add_message(key=event[:64], channel="email", event_id=event, event_type="t", template="welcome",
                      recipient=f"user:{user}", user_id=user, address="a@example.org", context={"a": 1},
                      status=records.PENDING, attempts=0, next_attempt_at=NOW, created_at=NOW, updated_at=NOW)
        mid = r.next_due_message(NOW, event, [])["id"]
        r.add_inbox_item(user, mid, "welcome", "Bienvenue", "Texte", "https://x/y", NOW)
        r.add_inbox_item(user, mid, "welcome", "Bienvenue", "Texte", "https://x/y", NOW)   # once per message
        r.save_preferences(user, {"email": {"offers": False}, "sms": {}}, NOW)
        assert r.preferences_of(user) == {"email": {"offers": False}, "sms": {}}
        assert r.mark_all_read(user, NOW) == 1 and r.mark_all_read(user, NOW) == 0
    with uow.begin() as r:
        assert r.erase_user(user, NOW) == {"inbox_deleted": 1, "messages_cancelled": 1, "others_redacted": 0}
        m = r.message(mid)
        assert (m["status"], m["address"], m["context"]) == (records.CANCELLED, None, {})
        assert r.preferences_of(user) is None
        assert r.due_intents(NOW, event, 10, set()) == []


def test_signers_and_a_rolled_back_unit(uow):
    conv = str(uuid.uuid4())
    with uow.begin() as r:
        r.add_signer(conv, "employer", NOW)
        r.add_signer(conv, "employer", NOW)
        r.add_signer(conv, "pupil", NOW)
    with pytest.raises(RuntimeError), uow.begin() as r:
        r.forget_signers(conv)
        raise RuntimeError("rolled back")
    with uow.begin() as r:
        assert sorted(r.signer_roles(conv)) == ["employer", "pupil"]
        r.forget_signers(conv)
        assert r.signer_roles(conv) == []


def test_the_dispatch_lag_metric_counts_what_the_domain_calls_due(engine):
    from sqlalchemy import select, text
    from notifications.models import intents, messages
    from notifications.queries import DISPATCH_LAG_SQL
    later = NOW + dt.timedelta(days=365)
    with Session(engine) as s, s.begin():
        Repository(SimpleNamespace(session=s, claim=None)).add_intent(f"ev-{uuid.uuid4()}", "t", "welcome", _ref(), {}, NOW - dt.timedelta(days=400))
        rows = [r for t in (intents, messages) for r in s.execute(select(t.c.status, t.c.attempts,
                                                                          t.c.next_attempt_at)).all()]
        due = [r.next_attempt_at for r in rows if r.next_attempt_at is not None
               and records.is_due(records.Delivery(r.status, r.attempts, r.next_attempt_at), later)]
        assert s.execute(text(DISPATCH_LAG_SQL), {"now": later}).scalar() == min(due) == NOW - dt.timedelta(days=400)
