"""The notifications service in-process, against the real PostgreSQL and RabbitMQ and a real SMTP
server (aiosmtpd): direct messages (no identity needed), idempotence, the SMTP outage and the
admin view of failed messages."""
import datetime as dt
import time
import uuid

import pytest
from sqlalchemy import create_engine, select

from common.errors import Conflict, Forbidden, ValidationError
from common.rpc import cluster_rpc
from notifications.models import messages
from notifications.service import NotificationsService
from testkit.smtp import SmtpTestServer
from testkit.tcp_proxy import TcpProxy

ADMIN = {"user_id": str(uuid.uuid4()), "role": "admin"}


@pytest.fixture
def smtp():
    with SmtpTestServer("plain") as srv:
        yield srv


@pytest.fixture
def notif(service_db, start_service, amqp_uri, smtp):
    url = service_db("notifications")
    proxy = TcpProxy(smtp.host, smtp.port).start()
    start_service(NotificationsService, SMTP_HOST="127.0.0.1", SMTP_PORT=proxy.port, SMTP_TIMEOUT=3,
                  NOTIFICATIONS_RETRY_BASE=0.2, NOTIFICATIONS_RETRY_MAX=0.5, NOTIFICATIONS_MAX_ATTEMPTS=4,
                  NOTIFICATIONS_PROBE_INTERVAL=0.3,
                  STAGES_PUBLIC_URL="https://stages.test")
    engine = create_engine(url.replace("postgresql+psycopg", "postgresql+psycopg"))
    with cluster_rpc(amqp_uri) as rpc:
        yield {"rpc": rpc.notifications, "smtp": smtp, "proxy": proxy, "engine": engine}
    proxy.stop()
    engine.dispose()


def _settled(engine, event_id, timeout=15, want=("sent", "failed", "skipped")):
    deadline = time.monotonic() + timeout
    while True:
        rows = _rows(engine, event_id=event_id)
        if (rows and all(r["status"] in want for r in rows)) or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def _rows(engine, **where):
    with engine.connect() as c:
        q = select(messages)
        for k, v in where.items():
            q = q.where(messages.c[k] == v)
        return [dict(r) for r in c.execute(q).mappings().all()]


def test_a_direct_message_arrives_with_its_link(notif):
    key = f"transfer:{uuid.uuid4()}"
    out = notif["rpc"].send_message(template="transfer_link", to={"email": "Tuteur@Example.org", "name": "Jean Dupont"},
                                    context={"token": "tok-123", "application_id": str(uuid.uuid4()),
                                             "offer_title": "Atelier vélo", "message": "Peux-tu répondre ?"},
                                    key=key)
    assert out == {"key": key, "status": "accepted"}
    assert [(m["channel"], m["status"]) for m in _settled(notif["engine"], f"direct:{key}")] == [("email", "sent")]
    [got] = notif["smtp"].wait_for(1)
    assert got.rcpt_tos == ["tuteur@example.org"]
    assert got.subject == "Une candidature de stage vous a été transmise"
    assert "https://stages.test/transferts/tok-123" in got.text
    assert "« Atelier vélo »" in got.text and "Peux-tu répondre ?" in got.text
    assert "Bonjour Jean Dupont," in got.text
    assert got.message["X-Stages-Template"] == "transfer_link"
    # the token is not kept once sent
    [row] = _rows(notif["engine"], event_id=f"direct:{key}")
    assert row["status"] == "sent" and "token" not in row["context"] and row["attempts"] == 1


def test_the_same_key_sends_nothing_twice(notif):
    key = f"activation:{uuid.uuid4()}"
    args = dict(template="colleague_invitation", to={"email": "collegue@ac-paris.fr"},
                context={"token": "t1", "school_uai": "0750001A", "inviter_name": "Mme Durand"}, key=key)
    notif["rpc"].send_message(**args)
    notif["rpc"].send_message(**args)
    notif["smtp"].wait_for(1)
    notif["rpc"].send_message(**args)  # even after it was sent
    rows = _settled(notif["engine"], f"direct:{key}")
    # one message, settled as sent: nothing is left that could be sent again
    assert [r["status"] for r in rows] == ["sent"]
    assert len(notif["smtp"].received) == 1


def test_bad_requests_list_every_error(notif):
    with pytest.raises(ValidationError) as e:
        notif["rpc"].send_message(template="nope", to={"email": "not-an-email"}, context={}, key="")
    assert set(e.value.errors) == {"template", "to.email", "key"}
    with pytest.raises(ValidationError) as e:
        notif["rpc"].send_message(template="password_reset", to={"email": "a@example.org"}, context={}, key="k")
    assert "token" in e.value.errors["context"][0]


def test_an_smtp_outage_delays_without_losing_and_its_end_sends_the_backlog_at_once(notif):
    notif["proxy"].cut()  # the SMTP server is down
    keys = [f"reset:{uuid.uuid4()}" for _ in range(3)]
    for i, key in enumerate(keys):
        notif["rpc"].send_message(template="anonymisation_notice", to={"email": f"u{i}@example.org"},
                                  context={}, key=key)

    def rows():
        return [r for k in keys for r in _rows(notif["engine"], event_id=f"direct:{k}")]

    # the outage is seen (the circuit opens on the first message that meets it) ...
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not any(r["attempts"] >= 1 for r in rows()):
        time.sleep(0.1)
    tried = [r for r in rows() if r["attempts"] >= 1]
    assert tried and all("connection" in r["last_error"] for r in tried)
    # ... and outlasts the attempts an ordinary failure is allowed (4 here): probes, never "failed"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any(r["attempts"] >= 5 for r in rows()):
        time.sleep(0.1)
    assert any(r["attempts"] >= 5 for r in rows())
    assert all(r["status"] == "pending" for r in rows())
    assert notif["smtp"].received == []
    notif["proxy"].restore()  # back up: the next probe goes out and the whole backlog is due at once
    got = notif["smtp"].wait_for(3, timeout=15)
    assert sorted(g.rcpt_tos[0] for g in got) == ["u0@example.org", "u1@example.org", "u2@example.org"]
    # every message settled as sent (a positive sign that nothing is left to send), then: each once
    rows = [r for k in keys for r in _settled(notif["engine"], f"direct:{k}", want=("sent",))]
    assert len(rows) == 3 and all(r["status"] == "sent" for r in rows)
    assert len(notif["smtp"].received) == 3


def test_an_admin_retries_every_failed_message_of_a_period(notif):
    notif["smtp"].handler.refuse.update({"r1@example.org", "r2@example.org"})
    keys = [f"p:{uuid.uuid4()}" for _ in range(2)]
    for i, key in enumerate(keys, 1):
        notif["rpc"].send_message(template="anonymisation_notice", to={"email": f"r{i}@example.org"},
                                  context={}, key=key)
    failed = [r for k in keys for r in _settled(notif["engine"], f"direct:{k}")]
    assert [r["status"] for r in failed] == ["failed", "failed"]
    with pytest.raises(ValidationError) as e:
        notif["rpc"].retry_failed_messages(actor=ADMIN, created_from="hier", created_to="2020-01-01T00:00:00+00:00",
                                           channel="pigeon")
    assert set(e.value.errors) == {"from", "channel"}
    with pytest.raises(Forbidden):
        notif["rpc"].retry_failed_messages(actor={"user_id": str(uuid.uuid4()), "role": "employer"},
                                           created_from="2020-01-01T00:00:00+00:00",
                                           created_to="2100-01-01T00:00:00+00:00")
    notif["smtp"].handler.refuse.clear()
    start = min(r["created_at"] for r in failed).isoformat()
    end = (max(r["created_at"] for r in failed) + dt.timedelta(microseconds=1)).isoformat()
    out = notif["rpc"].retry_failed_messages(actor=ADMIN, created_from=start, created_to=end, channel="email")
    assert out["retried"] >= 2
    got = notif["smtp"].wait_for(2, timeout=20)
    assert sorted(g.rcpt_tos[0] for g in got)[:2] == ["r1@example.org", "r2@example.org"]


def test_bounded_attempts_then_failed_visible_to_admins_and_retry(notif):
    notif["smtp"].handler.refuse.add("gone@example.org")
    notif["smtp"].handler.defer.add("later@example.org")
    k1, k2 = f"a:{uuid.uuid4()}", f"b:{uuid.uuid4()}"
    notif["rpc"].send_message(template="anonymisation_notice", to={"email": "gone@example.org"}, context={}, key=k1)
    notif["rpc"].send_message(template="anonymisation_notice", to={"email": "later@example.org"}, context={}, key=k2)
    [gone] = _settled(notif["engine"], f"direct:{k1}")
    assert gone["status"] == "failed" and gone["attempts"] == 1 and "550" in gone["last_error"]  # permanent
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        [later] = _rows(notif["engine"], event_id=f"direct:{k2}")
        if later["status"] == "failed":
            break
        time.sleep(0.3)
    assert later["status"] == "failed" and later["attempts"] == 4 and "451" in later["last_error"]
    failed = notif["rpc"].list_messages(actor=ADMIN, status="failed", page_size=200)
    ids = {m["id"] for m in failed["items"]}
    assert {gone["id"], later["id"]} <= ids
    with pytest.raises(Forbidden):
        notif["rpc"].list_messages(actor={"user_id": str(uuid.uuid4()), "role": "employer"})
    # the admin retries once the address works again
    notif["smtp"].handler.defer.clear()
    again = notif["rpc"].retry_message(actor=ADMIN, message_id=later["id"])
    assert again["status"] == "pending"
    got = notif["smtp"].wait_for(1, timeout=20)
    assert got[0].rcpt_tos == ["later@example.org"]
    with pytest.raises(Conflict):
        notif["rpc"].retry_message(actor=ADMIN, message_id=gone["id"] if False else later["id"])
