"""Platform events -> messages, with the real identity service (in-process), the real broker and
database, and a real SMTP server: contact details from identity at send time, the in-app inbox,
preferences, privacy, reminders, anonymisation, and a duplicated event that sends nothing twice."""
import datetime as dt
import re
import time
import uuid

import pytest
from sqlalchemy import create_engine, select

from common.clock import PROCESS_CLOCK
from common.events import handled, make_envelope, publish_envelopes
from common.rpc import cluster_rpc
from identity.service import IdentityService
from notifications.models import messages, reminders
from notifications.service import NotificationsService
from testkit.smtp import SmtpTestServer

PASSWORD = "Motdepasse-solide-2026!"


@pytest.fixture
def env(service_db, start_service, amqp_uri):
    service_db("identity")
    url = service_db("notifications")
    with SmtpTestServer("plain") as smtp:
        start_service(IdentityService)
        start_service(NotificationsService, SMTP_HOST=smtp.host, SMTP_PORT=smtp.port,
                      STAGES_PUBLIC_URL="https://stages.test")
        engine = create_engine(url)
        with cluster_rpc(amqp_uri) as rpc:
            yield {"rpc": rpc, "smtp": smtp, "engine": engine, "amqp": amqp_uri}
        engine.dispose()


def _register(env, role="employer", phone=None, first="Camille", last="Petit"):
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    data = {"role": role, "first_name": first, "last_name": last, "email": email, "password": PASSWORD,
            "function": "Gérante"}
    if phone:
        data["phone"] = phone
    before = len(env["smtp"].received)
    env["rpc"].identity.register(data=data)
    got = env["smtp"].wait_for(before + 1)
    mail = [g for g in got if g.rcpt_tos == [email]][-1]
    token = re.search(r"/activation\?token=([\w\-]+)", mail.text).group(1)
    user = env["rpc"].identity.activate(token=token)
    user_id = user.get("user_id") or user.get("id") or user.get("user", {}).get("id")
    return {"email": email, "user_id": user_id, "mail": mail, "actor": {"user_id": user_id, "role": role}}


def _wait_handled(key, n, timeout=15):
    """Wait until the handler ``key`` of this process finished ``n`` deliveries (a positive sign)."""
    deadline = time.monotonic() + timeout
    while handled(key) < n:
        assert time.monotonic() < deadline, f"{key}: {handled(key)} deliveries handled, not {n}"
        time.sleep(0.05)


def _publish(env, producer, event_type, data, envelope=None):
    envelope = envelope or make_envelope(producer, event_type, data)
    publish_envelopes({"AMQP_URI": env["amqp"]}, [(envelope, None)])
    return envelope


def _wait_rows(env, event_id, n, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        with env["engine"].connect() as c:
            rows = [dict(r) for r in c.execute(select(messages).where(messages.c.event_id == event_id)).mappings()]
        if len([r for r in rows if r["status"] != "pending"]) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def test_activation_email_and_welcome_in_app(env):
    u = _register(env)
    assert u["mail"].subject == "Activez votre compte 1 élève, 1 stage"
    assert "Bonjour Camille Petit," in u["mail"].text
    assert u["mail"].message.get_content_type() == "multipart/alternative"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        inbox = env["rpc"].notifications.list_notifications(actor=u["actor"])
        if inbox["items"]:
            break
        time.sleep(0.2)
    assert [i["template"] for i in inbox["items"]] == ["welcome"]
    assert inbox["unread"] == 1 and env["rpc"].notifications.unread_count(actor=u["actor"]) == {"unread": 1}


def test_application_events_reach_the_right_people_once(env):
    employer = _register(env)
    # the welcome (user.activated) first, so that nothing else lands in this employer's inbox below
    deadline = time.monotonic() + 15
    while not env["rpc"].notifications.list_notifications(actor=employer["actor"])["items"]:
        assert time.monotonic() < deadline, "no welcome"
        time.sleep(0.1)
    pupil_id = str(uuid.uuid4())  # pupils are created by class import: not needed for the employer side
    app_id, offer_id = str(uuid.uuid4()), str(uuid.uuid4())
    data = {"application_id": app_id, "offer_id": offer_id, "pupil_id": pupil_id, "employer_id": employer["user_id"],
            "school_uai": "0750001A", "weeks": ["2027-W05"], "state": "submitted", "from_state": None,
            "expires_at": (PROCESS_CLOCK.now() + dt.timedelta(days=15)).isoformat(),
            "submitted_at": PROCESS_CLOCK.now().isoformat()}
    before = len(env["smtp"].received)
    done = handled("notifications.on_application_submitted")
    env_ = _publish(env, "applications", "application.submitted", data)
    _publish(env, "applications", "application.submitted", data, envelope=env_)  # duplicated event
    rows = _wait_rows(env, env_["event_id"], 2)
    assert sorted((r["channel"], r["status"]) for r in rows) == [("email", "sent"), ("in_app", "sent")]
    got = env["smtp"].wait_for(before + 1)
    mail = got[-1]
    assert mail.rcpt_tos == [employer["email"]]
    assert mail.subject.startswith("Nouvelle candidature")
    assert f"https://stages.test/entreprise/candidatures/{app_id}" in mail.text
    _wait_handled("notifications.on_application_submitted", done + 2)  # the duplicate went through too
    assert len(env["smtp"].received) == before + 1  # the duplicate sent nothing
    assert len(_wait_rows(env, env_["event_id"], 2)) == 2
    inbox = env["rpc"].notifications.list_notifications(actor=employer["actor"])
    assert [i["template"] for i in inbox["items"]] == ["new_application", "welcome"]  # the duplicate added none
    item = inbox["items"][0]
    assert item["link"].endswith(app_id) and item["read_at"] is None
    # mark read
    read = env["rpc"].notifications.mark_read(actor=employer["actor"], notification_id=item["id"])
    assert read["read_at"] is not None
    assert env["rpc"].notifications.unread_count(actor=employer["actor"])["unread"] == inbox["unread"] - 1
    # another user cannot read it
    from common.errors import NotFound
    with pytest.raises(NotFound):
        env["rpc"].notifications.mark_read(actor={"user_id": str(uuid.uuid4()), "role": "employer"},
                                           notification_id=item["id"])
    # the reminder 3 days before the deadline is planned
    with env["engine"].connect() as c:
        [rem] = [dict(r) for r in c.execute(select(reminders).where(reminders.c.application_id == app_id)).mappings()]
    assert rem["template"] == "employer_expiry_reminder" and rem["status"] == "pending"
    assert abs((rem["deadline"] - rem["due_at"]) - dt.timedelta(days=3)) < dt.timedelta(seconds=1)


def test_optional_messages_respect_preferences_essential_ones_do_not(env):
    employer = _register(env)
    prefs = env["rpc"].notifications.set_preferences(actor=employer["actor"],
                                                     preferences={"email": {"offers": False, "applications": False}})
    assert prefs["email"] == {"offers": False, "applications": False}
    offer_id = str(uuid.uuid4())
    e1 = _publish(env, "offers", "offer.full", {"offer_id": offer_id, "employer_id": employer["user_id"]})
    rows = _wait_rows(env, e1["event_id"], 2)
    assert sorted((r["channel"], r["status"], r["last_error"]) for r in rows) == \
        [("email", "skipped", "opted out"), ("in_app", "sent", None)]
    data = {"application_id": str(uuid.uuid4()), "offer_id": offer_id, "pupil_id": str(uuid.uuid4()),
            "employer_id": employer["user_id"], "school_uai": "0750001A", "state": "confirmed"}
    e2 = _publish(env, "applications", "application.confirmed", data)
    rows = [r for r in _wait_rows(env, e2["event_id"], 2) if r["user_id"] == employer["user_id"]]
    assert sorted((r["channel"], r["status"]) for r in rows) == [("email", "sent"), ("in_app", "sent")]


def test_a_due_reminder_is_sent_and_a_later_event_cancels_the_other(env):
    employer = _register(env)
    now = PROCESS_CLOCK.now()
    base = {"offer_id": str(uuid.uuid4()), "pupil_id": str(uuid.uuid4()), "employer_id": employer["user_id"],
            "school_uai": "0750001A", "state": "submitted"}
    a1, a2 = str(uuid.uuid4()), str(uuid.uuid4())
    # a1 expires in 2 days: its reminder is due already; a2 in 15 days, then answered
    submitted, rejected = (handled("notifications.on_application_submitted"),
                           handled("notifications.on_application_rejected"))
    _publish(env, "applications", "application.submitted",
             {**base, "application_id": a1, "expires_at": (now + dt.timedelta(days=2)).isoformat()})
    _publish(env, "applications", "application.submitted",
             {**base, "application_id": a2, "expires_at": (now + dt.timedelta(days=15)).isoformat()})
    _wait_handled("notifications.on_application_submitted", submitted + 2)
    _publish(env, "applications", "application.rejected", {**base, "application_id": a2, "state": "rejected"})
    _wait_handled("notifications.on_application_rejected", rejected + 1)
    before = len(env["smtp"].received)
    env["rpc"].notifications.dispatch_pending()
    env["rpc"].notifications.dispatch_pending()
    got = env["smtp"].wait_for(before + 1)
    assert got[-1].subject == "Rappel : une candidature expire dans 3 jours"
    assert a1 in got[-1].text
    with env["engine"].connect() as c:
        st = {r["application_id"]: r["status"] for r in c.execute(select(reminders).where(
            reminders.c.application_id.in_([a1, a2]))).mappings()}
    assert st == {a1: "done", a2: "cancelled"}


def test_privacy_employer_email_never_carries_pupil_contact(env):
    employer = _register(env)
    data = {"application_id": str(uuid.uuid4()), "offer_id": str(uuid.uuid4()), "pupil_id": str(uuid.uuid4()),
            "employer_id": employer["user_id"], "school_uai": "0750001A", "state": "submitted",
            # a producer mistake must not leak: these are dropped before an employer is written to
            "pupil_email": "eleve@example.org", "pupil_phone": "+33612345678"}
    before = len(env["smtp"].received)
    e = _publish(env, "applications", "application.submitted", data)
    _wait_rows(env, e["event_id"], 2)
    mail = env["smtp"].wait_for(before + 1)[-1]
    assert "eleve@example.org" not in mail.text + mail.html and "+33612345678" not in mail.text


def test_anonymisation_erases_the_inbox_and_addresses(env):
    u = _register(env)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not env["rpc"].notifications.list_notifications(actor=u["actor"])["total"]:
        time.sleep(0.2)
    assert env["rpc"].notifications.list_notifications(actor=u["actor"])["total"] >= 1
    _publish(env, "identity", "user.anonymized", {"user_id": u["user_id"], "role": "employer", "school_uai": None})
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and env["rpc"].notifications.list_notifications(actor=u["actor"])["total"]:
        time.sleep(0.2)
    assert env["rpc"].notifications.list_notifications(actor=u["actor"])["total"] == 0
    with env["engine"].connect() as c:
        rows = [dict(r) for r in c.execute(select(messages).where(messages.c.user_id == u["user_id"])).mappings()]
    assert rows and all(r["address"] is None and r["context"] == {} for r in rows)
