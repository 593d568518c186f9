"""The fault suite (issue 18, « In the project »): the five services and the gateway as processes, on their own
databases and on a private RabbitMQ node (testkit.broker), while pupils apply, employers accept and pupils
confirm through the gateway:

- the broker is restarted;
- each service (and the gateway) is killed with SIGKILL in turn and started again;
- the database connections of a service are terminated (``pg_terminate_backend``).

After each fault the platform answers again within seconds (its gateway's /readyz, then a journey that goes
through). At the end: every process that was not killed on purpose is still alive (none died of a broker or
database fault); every error answered during the faults was a 503 problem+json (never a 500); each confirmed
application has exactly one agreement and its offer's seats are consistent; an outside subscriber's durable queue,
read after the faults, holds every event of every journey once (none lost, none duplicated per event id).
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from collections import Counter
from pathlib import Path

import eventlet
import pika
import psycopg
import pytest
import requests

from common import settings
from common.transport import loads
from testkit.applications import application_form, suite_employer, suite_offer, suite_pupils
from testkit.broker import refuse_shared_broker
from testkit.harness import Suite

pytestmark = [pytest.mark.suite, pytest.mark.slow]

PER_FAULT = 2          # journeys (pupils) run through each fault
RECOVERY = 30          # seconds the platform has to answer again after a fault ends
EXCHANGES = ("applications.events", "conventions.events")
SUBSCRIBER_QUEUE = "faults.outside-subscriber"


@pytest.fixture(scope="module")
def platform(backends, broker, _database_templates):
    log_dir = Path(os.environ.get("STAGES_TEST_LOG_DIR") or settings.REPO_ROOT / "var" / "test-logs") \
        / backends.run_id / "faults"
    databases = {service: backends.clone_database(_database_templates(service), f"t{backends.run_id}_faults_{service}")
                 for service in settings.SERVICES}
    s = Suite(backends, log_dir, name="faults", databases=databases, extra_env={"MAX_WORKERS": "5"})
    refuse_shared_broker(s.env, broker)   # every process of the suite on the private node, or no run at all
    s.databases = {service: f"t{backends.run_id}_faults_{service}" for service in settings.SERVICES}
    try:
        s.start_all(timeout=180)
        yield s
    finally:
        s.stop_all()


class Subscriber:
    """An outside system: a durable queue bound to every event of applications and conventions, declared before
    the journeys and read only after the faults (it lives through the broker's restart)."""

    def __init__(self, amqp_uri: str):
        self.params = pika.URLParameters(amqp_uri.replace("pyamqp://", "amqp://"))
        conn = pika.BlockingConnection(self.params)
        ch = conn.channel()
        ch.queue_declare(SUBSCRIBER_QUEUE, durable=True)
        for exchange in EXCHANGES:
            ch.exchange_declare(exchange, exchange_type="topic", durable=True)
            ch.queue_bind(SUBSCRIBER_QUEUE, exchange, "#")
        conn.close()
        self.received: list[dict] = []

    def drain(self) -> list[dict]:
        conn = pika.BlockingConnection(self.params)
        try:
            ch = conn.channel()
            while True:
                method, _, body = ch.basic_get(SUBSCRIBER_QUEUE, auto_ack=True)
                if method is None:
                    return self.received
                self.received.append(loads(body))
        finally:
            conn.close()


class Client:
    """Pupils and employers through the gateway, retrying through faults; every answer kept."""

    def __init__(self, suite: Suite):
        self.suite = suite
        self.errors: list[tuple[str, int, str, str]] = []   # (path, status, content type, body) of every >= 400

    def call(self, method: str, path: str, token: str, ok=(200, 201), timeout: float = 90, **kw):
        deadline = time.monotonic() + timeout
        headers = {"Authorization": f"Bearer {token}", **kw.pop("headers", {})}
        while True:
            try:
                r = requests.request(method, self.suite.url + path, headers=headers, timeout=30, **kw)
            except requests.RequestException:   # the gateway itself was killed: nothing answered
                r = None
            if r is not None:
                if r.status_code in ok:
                    return r
                self.errors.append((path, r.status_code, r.headers.get("Content-Type", ""), r.text[:300]))
                if r.status_code not in (503, 409):
                    return r
                if r.status_code == 409:   # a retry of a step that went through before its answer was lost
                    return r
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path}: no answer in {timeout}s through the fault")
            eventlet.sleep(0.3)

    def journey(self, offer: dict, employer: dict, pupil: dict) -> str:
        """apply, accept, confirm; returns the application's id once it is confirmed."""
        week = offer["offer_weeks"][0]
        r = self.call("POST", f"/api/v1/offers/{offer['id']}/applications", pupil["token"],
                      json=application_form(week), headers={"Idempotency-Key": str(uuid.uuid4())})
        assert r.status_code == 201, r.text
        app_id = r.json()["id"]
        for step, token, body in (("accept", employer["token"], {"message": "Bienvenue"}),
                                  ("confirm", pupil["token"], None)):
            r = self.call("POST", f"/api/v1/applications/{app_id}/{step}", token, json=body)
            if r.status_code == 409:
                state = self.call("GET", f"/api/v1/applications/{app_id}", token).json()["state"]
                assert state in ({"accept": ("accepted", "confirmed"), "confirm": ("confirmed",)}[step]), r.text
            else:
                assert r.status_code == 200, r.text
        return app_id


def _wait(fn, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        eventlet.sleep(step)
    return fn()


def _ready(suite: Suite) -> bool:
    try:
        return requests.get(suite.url + "/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _agreements(backends, database: str) -> dict[str, int]:
    """Agreements per application in the conventions service's database."""
    with psycopg.connect(backends._pg_url(database, driver="postgresql"), autocommit=True) as conn:
        return dict(conn.execute("SELECT application_id, count(*) FROM conventions GROUP BY application_id"))


def _terminate_connections(backends, database: str) -> int:
    with psycopg.connect(backends.pg_admin, autocommit=True) as conn:
        return len(conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = %s AND pid <> pg_backend_pid()", (database,)).fetchall())


def test_journeys_go_through_broker_restarts_killed_services_and_dropped_database_connections(
        platform, broker, backends):
    suite = platform
    subscriber = Subscriber(suite.amqp_uri)
    client = Client(suite)

    def restart_broker():
        broker.restart(down_for=2)

    def kill(name):
        def fault():
            suite.stop(name, sig=signal.SIGKILL)
            suite.start(name)
        return fault

    def drop_connections(service):
        def fault():
            assert _terminate_connections(backends, suite.databases[service]) > 0
        return fault

    faults = [("broker restart", restart_broker, ()),
              *[(f"kill -9 {name}", kill(name), (name,)) for name in (*settings.SERVICES, "gateway")],
              *[(f"connections of {service} terminated", drop_connections(service), ())
                for service in ("applications", "offers", "conventions")]]

    with suite.rpc() as rpc:
        employer = suite_employer(rpc)
        offers = [suite_offer(rpc, employer["user_id"], seats=PER_FAULT + 1) for _ in faults]
        pupils = suite_pupils(rpc, PER_FAULT * len(faults))

    confirmed: dict[str, str] = {}          # application id -> offer id
    restarted: set[str] = set()
    recoveries = {}
    pool = eventlet.GreenPool(PER_FAULT + 1)
    for i, (label, fault, killed) in enumerate(faults):
        offer = offers[i]
        mine = pupils[i * PER_FAULT:(i + 1) * PER_FAULT]
        journeys = [pool.spawn(client.journey, offer, employer, p) for p in mine]
        eventlet.sleep(0.2)          # the journeys are under way when the fault strikes
        fault()
        restarted.update(killed)
        started = time.monotonic()
        assert _wait(lambda: _ready(suite), RECOVERY), f"{label}: the gateway was not ready {RECOVERY}s after"
        for g in journeys:
            confirmed[g.wait()] = offer["id"]
        recoveries[label] = round(time.monotonic() - started, 1)
        # recovery: a journey started after the fault goes through at once
        extra = suite_pupils_one(suite)
        app_id = client.journey(offer, employer, extra)
        confirmed[app_id] = offer["id"]

    # no process died of a fault: every process is alive (the killed ones were restarted by the test)
    dead = {name: proc.returncode for name, proc in suite.processes.items() if proc.poll() is not None}
    assert not dead, dead
    assert set(suite.processes) == {*settings.SERVICES, "gateway"}

    # every error answered during the faults was a 503 problem+json (409: a retried step that had gone through)
    bad = [e for e in client.errors if not (e[1] in (503, 409) and e[2].startswith("application/problem+json"))]
    assert not bad, bad

    # no duplicated effect: one agreement per confirmed application, seats consistent with the confirmations
    with suite.rpc() as rpc:
        for offer in offers:
            taken = sum(1 for o in confirmed.values() if o == offer["id"])
            assert taken == PER_FAULT + 1
            assert rpc.offers.get_offer(offer["id"])["seats_left"] == 0
    agreements = _wait(lambda: (lambda rows: rows if set(confirmed) <= set(rows) else None)(
        _agreements(backends, suite.databases["conventions"])), timeout=60, step=0.5)
    assert agreements and set(agreements) == set(confirmed), "an agreement is missing"
    assert {app_id: n for app_id, n in agreements.items() if n != 1} == {}, "an application has two agreements"

    def settled(events):
        created = Counter(e["data"]["application_id"] for e in events if e["type"] == "convention.created")
        done = {e["data"]["application_id"] for e in events if e["type"] == "application.confirmed"}
        return set(confirmed) <= set(created) and set(confirmed) <= done

    events = _wait(lambda: settled(subscriber.drain()) and subscriber.received, timeout=60, step=0.5)
    assert events, "the outside subscriber did not receive every journey's events"
    ids = Counter(e["event_id"] for e in subscriber.received)
    assert [i for i, n in ids.items() if n > 1] == [], "events duplicated"
    for app_id in confirmed:
        types = [e["type"] for e in subscriber.received if e["data"].get("application_id") == app_id]
        for expected in ("application.submitted", "application.accepted", "application.confirmed",
                         "convention.created"):
            assert types.count(expected) == 1, (app_id, types)
    print("recovery seconds per fault:", recoveries)


def suite_pupils_one(suite: Suite) -> dict:
    with suite.rpc() as rpc:
        [pupil] = suite_pupils(rpc, 1)
    return pupil
