"""The example subscriber (deploy/examples/subscriber.py) against the real broker: its own durable
queue, ack after processing, idempotence on event_id, and reconnection when the broker goes away
(simulated with a TCP proxy in front of the shared broker, so other tests are not disturbed)."""
import importlib.util
import json
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pika
import pytest

from testkit.tcp_proxy import TcpProxy

REPO = Path(__file__).resolve().parents[1]


def _load_subscriber():
    spec = importlib.util.spec_from_file_location("example_subscriber", REPO / "deploy/examples/subscriber.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sub = _load_subscriber()


def _pika_url(uri: str, port: int | None = None) -> str:
    p = urllib.parse.urlsplit(uri)
    host = f"{p.hostname}:{port or p.port or 5672}"
    netloc = f"{p.username or 'guest'}:{p.password or 'guest'}@{host}"
    vhost = p.path or "/"
    if vhost == "/":
        vhost = "/%2F"
    return urllib.parse.urlunsplit(("amqp", netloc, vhost, "", ""))


def _wait(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def broker(amqp_uri):
    url = _pika_url(amqp_uri)
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    exchange = f"example{uuid.uuid4().hex[:6]}.events"
    ch.exchange_declare(exchange, "topic", durable=True)

    def publish(event_type, data, event_id=None):
        env = {"event_id": event_id or str(uuid.uuid4()), "type": event_type, "version": 1,
               "occurred_at": "2026-11-23T09:00:00+00:00", "producer": "example", "data": data}
        ch.basic_publish(exchange, event_type, json.dumps(env),
                         pika.BasicProperties(delivery_mode=2, content_type="application/json"))
        return env

    yield {"url": url, "exchange": exchange, "publish": publish, "channel": ch, "amqp_uri": amqp_uri}
    try:
        ch.exchange_delete(exchange)
        conn.close()
    except Exception:
        pass


def _run(s):
    t = threading.Thread(target=s.run, daemon=True)
    t.start()
    return t


def test_binding_filter_ack_and_idempotence(broker, tmp_path):
    queue = f"q-{uuid.uuid4().hex[:8]}"
    got = []
    s = sub.Subscriber(broker["url"], queue, [(broker["exchange"], "application.#")], got.append,
                       seen=sub.SeenEvents(str(tmp_path / "state.sqlite")))
    t = _run(s)
    try:
        assert _wait(lambda: s.connections == 1)
        time.sleep(0.3)
        first = broker["publish"]("application.submitted", {"i": 1})
        broker["publish"]("offer.published", {"i": 2})  # not bound
        broker["publish"]("application.submitted", {"i": 1}, event_id=first["event_id"])  # duplicate
        broker["publish"]("application.accepted", {"i": 3})
        assert _wait(lambda: len(got) == 2)
        assert _wait(lambda: s.duplicates == 1)   # a positive sign: the duplicate came and was set aside
        assert [e["data"]["i"] for e in got] == [1, 3]
    finally:
        s.stop()
        t.join(10)
    # everything was acknowledged: nothing left in the durable queue
    ok = broker["channel"].queue_declare(queue, durable=True, passive=True)
    assert ok.method.message_count == 0
    broker["channel"].queue_delete(queue)


def test_a_failing_handler_does_not_ack_and_the_event_comes_back(broker):
    queue = f"q-{uuid.uuid4().hex[:8]}"
    calls = []

    def flaky(envelope):
        calls.append(envelope["event_id"])
        if len(calls) == 1:
            raise RuntimeError("database down")

    s = sub.Subscriber(broker["url"], queue, [(broker["exchange"], "#")], flaky)
    t = _run(s)
    try:
        assert _wait(lambda: s.connections == 1)
        time.sleep(0.3)
        env = broker["publish"]("application.read", {})
        assert _wait(lambda: len(calls) == 2)
        assert calls == [env["event_id"]] * 2
    finally:
        s.stop()
        t.join(10)
    broker["channel"].queue_delete(queue)


def test_an_event_that_keeps_failing_is_dead_lettered_not_retried_for_ever(broker):
    queue = f"q-{uuid.uuid4().hex[:8]}"
    calls = []

    def broken(envelope):
        calls.append(envelope["event_id"])
        if envelope["type"] == "application.read":
            raise RuntimeError("this event cannot be handled")

    s = sub.Subscriber(broker["url"], queue, [(broker["exchange"], "#")], broken, max_attempts=3, retry_pause=0.05)
    t = _run(s)
    try:
        assert _wait(lambda: s.connections == 1)
        bad = broker["publish"]("application.read", {})
        good = broker["publish"]("application.accepted", {})
        broker["channel"].basic_publish(broker["exchange"], "application.x", b"not json")
        assert _wait(lambda: s.dead_lettered == 2)
        assert calls.count(bad["event_id"]) == 3 and good["event_id"] in calls  # the others went on
        dead = []
        assert _wait(lambda: dead.append(broker["channel"].basic_get(s.dead_queue, auto_ack=True)) or
                     len([m for m in dead if m[0] is not None]) == 2)
        bodies = [m[2] for m in dead if m[0] is not None]
        assert b"not json" in bodies and any(bad["event_id"].encode() in b for b in bodies)
    finally:
        s.stop()
        t.join(10)
    assert broker["channel"].queue_declare(queue, durable=True, passive=True).method.message_count == 0
    for q in (queue, s.dead_queue):
        broker["channel"].queue_delete(q)
    broker["channel"].exchange_delete(s.dead_exchange)


def test_survives_the_broker_going_away_and_loses_nothing(broker, tmp_path):
    target = urllib.parse.urlsplit(broker["amqp_uri"])
    proxy = TcpProxy(target.hostname, target.port or 5672).start()
    queue = f"q-{uuid.uuid4().hex[:8]}"
    got = []
    s = sub.Subscriber(_pika_url(broker["amqp_uri"], proxy.port), queue, [(broker["exchange"], "application.#")],
                       got.append, seen=sub.SeenEvents(str(tmp_path / "state.sqlite")), max_backoff=1.0)
    t = _run(s)
    try:
        assert _wait(lambda: s.connections == 1)
        time.sleep(0.3)
        for i in range(3):
            broker["publish"]("application.submitted", {"i": i})
        assert _wait(lambda: len(got) == 3)
        proxy.cut()  # the broker "restarts": connection dropped, new ones refused
        for i in range(3, 6):
            broker["publish"]("application.submitted", {"i": i})  # kept by the durable queue
        assert _wait(lambda: s.connection_losses >= 1)  # the subscriber saw the broker go
        assert len(got) == 3
        proxy.restore()
        assert _wait(lambda: len(got) == 6, timeout=20)
        assert s.connections >= 2
        assert [e["data"]["i"] for e in got] == list(range(6))
    finally:
        s.stop()
        t.join(10)
        proxy.stop()
    broker["channel"].queue_delete(queue)


def test_parse_bindings():
    assert sub.parse_bindings(["a.events:x.#, b.events", "c.events:y.z"]) == \
        [("a.events", "x.#"), ("b.events", "#"), ("c.events", "y.z")]
