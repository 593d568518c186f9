"""The example subscriber (deploy/examples/subscriber.py, pika only) run as a process against the real
suite receives every event of a full pupil journey, in order per application, although its broker
connection is cut in the middle of the journey; and every event the services emitted on the way
validates against the envelope schema and its type's data schema from the services' events.py."""
import json
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from testkit.applications import (application_form, suite_employer, suite_head, suite_offer, suite_pupils)
from testkit import catalogue
from testkit.tcp_proxy import TcpProxy
from testkit.conventions import SUITE_EMPLOYER_FIELDS as EMPLOYER_FIELDS, SUITE_SCHOOL_FIELDS as SCHOOL_FIELDS

pytestmark = pytest.mark.suite

REPO = Path(__file__).resolve().parents[1]


def auth(who):
    return {"token": who["token"]}


class SubscriberProcess:
    def __init__(self, amqp_uri: str, out: Path, port: int):
        p = urllib.parse.urlsplit(amqp_uri)
        vhost = urllib.parse.quote(urllib.parse.unquote(p.path.lstrip("/")) or "/", safe="")
        url = f"amqp://{p.username or 'guest'}:{p.password or 'guest'}@127.0.0.1:{port}/{vhost}"
        self.out = out
        self.queue = f"ministry-example-{uuid.uuid4().hex[:8]}"
        args = [sys.executable, str(REPO / "deploy/examples/subscriber.py"), "--url", url, "--queue", self.queue,
                "--out", str(out), "--state", str(out.with_suffix(".sqlite"))]
        for exchange in ("identity.events", "offers.events", "applications.events", "conventions.events"):
            args += ["--bind", f"{exchange}:#"]
        self.log = open(out.with_suffix(".log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)

    def events(self) -> list[dict]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text(encoding="utf-8").splitlines() if line.strip()]

    def wait_until(self, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.events()):
                return self.events()
            assert self.proc.poll() is None, "the subscriber died: " + self.out.with_suffix(".log").read_text()
            time.sleep(0.3)
        return self.events()

    def log_text(self) -> str:
        return self.out.with_suffix(".log").read_text(errors="replace")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def subscriber(suite, tmp_path):
    target = urllib.parse.urlsplit(suite.amqp_uri)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672).start()
    sub = SubscriberProcess(suite.amqp_uri, tmp_path / "events.jsonl", proxy.port)
    sub.proxy = proxy
    deadline = time.monotonic() + 20
    while "consuming" not in sub.log_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "consuming" in sub.log_text(), sub.log_text()
    yield sub
    sub.stop()
    proxy.stop()


def _validate(envelope: dict, registries: dict) -> None:
    from common.events import ENVELOPE_SCHEMA
    Draft202012Validator(ENVELOPE_SCHEMA, format_checker=FormatChecker()).validate(envelope)
    schema = catalogue.data_schema(registries, envelope["type"], envelope["version"])
    assert schema is not None, f"{envelope['type']} v{envelope['version']} is in no events.py registry"
    assert catalogue.producer_of(registries, envelope["type"]) == envelope["producer"]
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(envelope["data"])


def test_the_example_subscriber_receives_a_whole_journey_in_order(api, suite, subscriber):
    with suite.rpc() as rpc:
        head = suite_head(rpc)
        emp = suite_employer(rpc)
        [pupil] = suite_pupils(rpc, 1)
        offer = suite_offer(rpc, emp["user_id"], seats=2)
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                 **auth(pupil))
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert api.get(f"/api/v1/applications/{app_id}", **auth(emp)).status_code == 200
    assert api.post(f"/api/v1/applications/{app_id}/accept", json={}, **auth(emp)).status_code == 200

    # the broker "restarts" under the subscriber in the middle of the journey
    subscriber.proxy.cut()
    assert api.post(f"/api/v1/applications/{app_id}/confirm", **auth(pupil)).status_code == 200
    deadline = time.monotonic() + 30
    while "broker connection lost" not in subscriber.log_text():   # it noticed (a positive sign), then back up
        assert time.monotonic() < deadline, subscriber.log_text()
        time.sleep(0.1)
    subscriber.proxy.restore()

    def convention_of(events):
        return [e for e in events if e["type"] == "convention.created" and e["data"]["application_id"] == app_id]

    events = subscriber.wait_until(convention_of)
    assert convention_of(events), [e["type"] for e in events]
    cid = convention_of(events)[0]["data"]["convention_id"]
    assert api.patch(f"/api/v1/conventions/{cid}", json=EMPLOYER_FIELDS, **auth(emp)).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/complete", **auth(emp)).status_code == 200
    assert api.patch(f"/api/v1/conventions/{cid}", json=SCHOOL_FIELDS, **auth(head)).status_code == 200
    r = api.post(f"/api/v1/conventions/{cid}/validate", **auth(head))
    assert r.status_code == 200, r.text
    h = r.json()["document_hash"]
    assert api.post("/api/v1/conventions/signature-code", json={"convention_ids": [cid]},
                    **auth(emp)).status_code == 200
    with suite.rpc() as rpc:
        code = rpc.conventions_test_hooks.last_secret("code", emp["user_id"])
        token = rpc.conventions_test_hooks.last_secret("link", f"{cid}:0")
    assert api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h, "code": code},
                    **auth(emp)).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h}, **auth(pupil)).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/sign",
                    json={"document_hash": h, "method": "typed_name", "typed_name": "Marie Lambert"},
                    **auth(head)).status_code == 200
    view = api.get(f"/api/v1/public/conventions/{token}").json()
    r = api.post(f"/api/v1/public/conventions/{token}", json={"full_name": view["representative_name"],
                                                              "document_hash": h})
    assert r.status_code == 200 and r.json()["state"] == "signed_by_all", r.text

    def done(events):
        return any(e["type"] == "convention.signed_by_all" and e["data"]["convention_id"] == cid for e in events)

    events = subscriber.wait_until(done)
    assert done(events), [e["type"] for e in events]
    assert "reconnecting" in subscriber.log_text()  # it did lose the broker, and came back

    # in order per application, each exactly once
    mine = [e["type"] for e in events if e["data"].get("application_id") == app_id]
    assert mine == ["application.submitted", "application.read", "application.accepted", "application.confirmed",
                    "convention.created", "convention.completed_by_employer", "convention.validated",
                    "convention.signed", "convention.signed", "convention.signed", "convention.signed",
                    "convention.signed_by_all"], mine
    signed = [e["data"]["role"] for e in events if e["type"] == "convention.signed"
              and e["data"]["convention_id"] == cid]
    assert sorted(signed) == ["employer", "head_of_school", "legal_representative", "pupil"]
    assert len({e["event_id"] for e in events}) == len(events)
    # the journey's other facts arrived too
    types = {e["type"] for e in events}
    assert {"user.registered", "user.activated", "pupil.imported", "offer.published"} <= types

    # every event emitted on the way validates against the catalogue
    registries = catalogue.load_all()
    for e in events:
        _validate(e, registries)
