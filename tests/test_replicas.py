"""Scale-out (issue "Keep working through faults, and scale out"): two replicas of every service and of the
gateway on this machine, competing for the same queues. Pupils apply, employers accept and pupils confirm
through both gateways at once; the platform stays correct:

- no overbooking: exactly as many confirmations as seats, the others refused with a 409 problem+json;
- each confirmed application becomes exactly one agreement (the event handlers of two conventions replicas);
- an outside subscriber receives every application's events once each, in the order they happened, although two
  replicas of applications committed them (one active outbox relay per service, ``common.db.RelayLease``).
"""
import os
from pathlib import Path

import eventlet
import pika
import pytest
import requests

from testkit.applications import application_form, suite_employer, suite_offer, suite_pupils
from common import settings
from common.transport import loads
from testkit.harness import Suite

pytestmark = [pytest.mark.suite, pytest.mark.slow]

LIFECYCLE = ["application.submitted", "application.read", "application.accepted", "application.confirmed"]
PUPILS = 6
SEATS = 3


@pytest.fixture(scope="module")
def replicas(backends, _database_templates):
    log_dir = Path(os.environ.get("STAGES_TEST_LOG_DIR") or settings.REPO_ROOT / "var" / "test-logs") \
        / backends.run_id / "replicas"
    databases = {service: backends.clone_database(_database_templates(service),
                                                  f"t{backends.run_id}_replicas_{service}")
                 for service in settings.SERVICES}
    # 12 processes beside the run's main suite on one PostgreSQL (100 connections): 5 workers, so 5 connections,
    # each
    s = Suite(backends, log_dir, name="replicas", databases=databases, replicas=2, extra_env={"MAX_WORKERS": "5"})
    try:
        for name in (*settings.SERVICES, "gateway"):
            s.start(name)
        s.wait_ready(timeout=180)
        # the people, while one replica runs (a secret handed out stays in the process that made it)
        with s.rpc() as rpc:
            emp = suite_employer(rpc)
            offer = suite_offer(rpc, emp["user_id"], seats=SEATS)
            pupils = suite_pupils(rpc, PUPILS)
        for name in (*settings.SERVICES, "gateway"):
            s.start(name, replica=2)
        s.wait_ready(timeout=180)
        yield s, emp, offer, pupils
    finally:
        s.stop_all()


class Subscriber:
    """An outside system: one durable queue bound to every event of applications and conventions."""

    def __init__(self, amqp_uri: str):
        self.conn = pika.BlockingConnection(pika.URLParameters(amqp_uri.replace("pyamqp://", "amqp://")))
        self.ch = self.conn.channel()
        self.queue = self.ch.queue_declare("", exclusive=True).method.queue
        for exchange in ("applications.events", "conventions.events"):
            self.ch.exchange_declare(exchange, exchange_type="topic", durable=True)
            self.ch.queue_bind(self.queue, exchange, "#")
        self.received: list[dict] = []

    def drain(self) -> list[dict]:
        while True:
            method, _, body = self.ch.basic_get(self.queue, auto_ack=True)
            if method is None:
                return self.received
            self.received.append(loads(body))

    def wait_for(self, predicate, timeout: float = 90):
        deadline = eventlet.hubs.get_hub().clock() + timeout
        while eventlet.hubs.get_hub().clock() < deadline:
            if predicate(self.drain()):
                return self.received
            eventlet.sleep(0.3)
        return self.received

    def close(self):
        self.conn.close()


def _post(url, path, token, **kw):
    return requests.post(url + path, headers={"Authorization": f"Bearer {token}"}, timeout=60, **kw)


def test_two_replicas_of_everything_keep_seats_agreements_and_event_order(replicas):
    replicas, emp, offer, pupils = replicas
    assert len(replicas.processes) == 2 * (len(settings.SERVICES) + 1)
    subscriber = Subscriber(replicas.amqp_uri)
    try:
        week = offer["offer_weeks"][0]
        a, b = replicas.urls

        # each pupil applies through one gateway, the employer accepts through the other
        def apply_and_accept(i, pupil):
            mine, other = (a, b) if i % 2 == 0 else (b, a)
            r = _post(mine, f"/api/v1/offers/{offer['id']}/applications", pupil["token"],
                      json=application_form(week))
            assert r.status_code == 201, r.text
            app = r.json()
            assert requests.get(f"{other}/api/v1/applications/{app['id']}", timeout=60,
                                headers={"Authorization": f"Bearer {emp['token']}"}).status_code == 200
            r = _post(other, f"/api/v1/applications/{app['id']}/accept", emp["token"], json={"message": "Bienvenue"})
            assert r.status_code == 200, r.text
            return app["id"]

        pool = eventlet.GreenPool(PUPILS)
        app_ids = list(pool.starmap(apply_and_accept, enumerate(pupils)))

        # every pupil confirms at once, half through each gateway: only SEATS of them get a seat
        def confirm(i, pupil, app_id):
            return _post(a if i % 2 else b, f"/api/v1/applications/{app_id}/confirm", pupil["token"])

        answers = list(pool.starmap(confirm, [(i, p, app_id) for i, (p, app_id) in enumerate(zip(pupils, app_ids))]))
        confirmed = [app_id for app_id, r in zip(app_ids, answers) if r.status_code == 200]
        refused = [r for r in answers if r.status_code != 200]
        assert len(confirmed) == SEATS, [r.text for r in answers]
        assert all(r.status_code == 409 and r.headers["Content-Type"] == "application/problem+json"
                   for r in refused), [r.text for r in refused]
        with replicas.rpc() as rpc:
            assert rpc.offers.get_offer(offer["id"])["seats_left"] == 0

        # one agreement per confirmed application, whichever conventions replica handled the event
        def settled(events):
            created = [e for e in events if e["type"] == "convention.created"]
            done = [e for e in events if e["type"] == "application.confirmed"]
            return len(created) >= SEATS and len(done) >= SEATS

        events = subscriber.wait_for(settled)
        created = [e["data"]["application_id"] for e in events if e["type"] == "convention.created"]
        assert sorted(created) == sorted(confirmed)

        # every application's events arrived once each, in the order of its life
        for app_id in app_ids:
            types = [e["type"] for e in events if e["type"].startswith("application.")
                     and e["data"].get("application_id") == app_id]
            expected = [t for t in LIFECYCLE if t in types]
            assert types == expected, (app_id, types)
            assert types[:1] == ["application.submitted"] and "application.accepted" in types
            assert ("application.confirmed" in types) == (app_id in confirmed)
        ids = [e["event_id"] for e in events]
        assert len(ids) == len(set(ids))
    finally:
        subscriber.close()
