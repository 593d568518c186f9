"""The platform's queues are quorum queues with dead-letter queues (common.queues), on the real broker."""
import time

import amqp
import pytest
from kombu import Connection

from common import queues
from common.envelope import make_envelope
from common.events import event_handler, handled, publish_envelopes
from common.service import PlatformService, rpc

import probe_services as ps


@pytest.fixture(autouse=True)
def quorum(monkeypatch):
    """These tests prove the production queues (the rest of the run declares classic ones: pytest_plugin)."""
    monkeypatch.setenv("STAGES_QUEUE_TYPE", "quorum")


# -- pure -----------------------------------------------------------------------------------------

def test_backoff_grows_with_the_deliveries_up_to_a_ceiling():
    assert [queues.retry_backoff(n) for n in (None, 0, 1, 5)] == [1.0, 1.0, 2.0, 6.0]
    assert queues.retry_backoff(1000) == queues.BACKOFF_MAX


def test_arguments_of_a_quorum_and_of_a_classic_queue(monkeypatch):
    assert queues.arguments("rpc-offers", queues.RPC) == {
        "x-queue-type": "quorum", "x-delivery-limit": queues.RPC_DELIVERY_LIMIT,
        "x-dead-letter-exchange": "stages.dead-letter", "x-dead-letter-routing-key": "rpc-offers"}
    monkeypatch.setenv("STAGES_QUEUE_TYPE", "classic")
    assert queues.arguments("q", queues.EVENT) == {"x-dead-letter-exchange": "stages.dead-letter",
                                                    "x-dead-letter-routing-key": "q"}
    assert queues.dead_arguments(queues.RPC)["x-max-length"] == queues.RPC_DEAD_MAX


def test_the_queues_of_a_service_class_are_its_rpc_queue_and_its_durable_event_queues():
    specs = {s.name: s for s in queues.service_queues(ps.ListenerService)}
    assert set(specs) == {"rpc-listener", "evt-probe-probe.recorded--listener.on_recorded"}
    assert (specs["rpc-listener"].kind, specs["rpc-listener"].exchange) == (queues.RPC, "nameko-rpc")
    event = specs["evt-probe-probe.recorded--listener.on_recorded"]
    assert (event.kind, event.exchange, event.routing_key) == (queues.EVENT, "probe.events", "probe.recorded")


def test_every_service_of_the_platform_has_its_rpc_queue_and_event_queues():
    from common.manage import _service_class
    from common.settings import SERVICES

    for service in SERVICES:
        names = [s.name for s in queues.service_queues(_service_class(service))]
        assert f"rpc-{service}" in names
    assert any(n.startswith("evt-applications-") for n in
               (s.name for s in queues.service_queues(_service_class("notifications"))))


# -- on the broker --------------------------------------------------------------------------------

def _redeclares(uri: str, name: str, arguments: dict) -> bool:
    """True when ``name`` exists with exactly these arguments (RabbitMQ refuses a redeclaration otherwise)."""
    with Connection(uri) as conn:
        channel = conn.channel()
        try:
            channel.queue_declare(name, durable=True, auto_delete=False, arguments=arguments)
            return True
        except amqp.exceptions.PreconditionFailed:
            return False


def _peek(uri: str, queue: str, timeout: float = 20.0):
    """The first message that reaches ``queue``, left in it."""
    deadline = time.monotonic() + timeout
    with Connection(uri) as conn:
        channel = conn.channel()
        while True:
            message = channel.basic_get(queue, no_ack=False)
            if message is not None:
                channel.basic_reject(message.delivery_tag, requeue=True)
                return message
            assert time.monotonic() < deadline, f"nothing reached {queue}"
            time.sleep(0.1)


def test_a_service_declares_quorum_queues_and_their_dead_letter_queues(probe_db, start_service, amqp_uri):
    start_service(ps.ListenerService)
    for spec in queues.service_queues(ps.ListenerService):
        assert _redeclares(amqp_uri, spec.name, spec.arguments), spec.name
        assert not _redeclares(amqp_uri, spec.name, {}), f"{spec.name} is not a quorum queue"
        assert _redeclares(amqp_uri, queues.dead_queue(spec.name), queues.dead_arguments(spec.kind))


FAILING = {"on": True}


class StubbornListener(PlatformService):
    """Fails on every delivery while FAILING["on"]."""
    name = "stubborn"

    @event_handler("probe", "probe.recorded")
    def on_recorded(self, envelope):
        if FAILING["on"]:
            raise RuntimeError("a bug, on every delivery")

    @rpc
    def ping(self):
        return "pong"


def test_an_event_that_keeps_failing_is_dead_lettered_then_requeued_by_an_operator(
        probe_db, start_service, amqp_uri, monkeypatch):
    monkeypatch.setattr(queues, "EVENT_DELIVERY_LIMIT", 2)
    FAILING["on"] = True
    start_service(StubbornListener)
    envelope = make_envelope("probe", "probe.recorded", {"value": "x"})
    assert publish_envelopes({"AMQP_URI": amqp_uri}, [(envelope, None)]) == 1
    queue = "evt-probe-probe.recorded--stubborn.on_recorded"

    dead = _peek(amqp_uri, queues.dead_queue(queue))
    assert [d["reason"] for d in dead.headers["x-death"]] == ["delivery_limit"]
    assert envelope["event_id"] in (dead.body if isinstance(dead.body, str) else dead.body.decode())

    # the cause is fixed; the operator gives the message back (common.manage dead-letters)
    with Connection(amqp_uri) as conn:
        FAILING["on"] = False
        before = handled("stubborn.on_recorded")
        assert queues.requeue_dead_letters(conn, queue) == 1
    deadline = time.monotonic() + 20
    while handled("stubborn.on_recorded") < before + 1:
        assert time.monotonic() < deadline, "the requeued event was not handled"
        time.sleep(0.05)


def test_an_rpc_request_expires_in_its_quorum_queue_and_shows_in_the_dead_letter_queue(amqp_uri):
    spec = queues.QueueSpec("rpc-sleeper", queues.RPC, "nameko-rpc", "sleeper.*")
    with Connection(amqp_uri) as conn:
        assert queues.migrate(conn, spec) == "declared"
        conn.channel().basic_publish(amqp.Message(b"{}", content_type="application/json", expiration="100"),
                                     exchange="", routing_key=spec.name)
    dead = _peek(amqp_uri, queues.dead_queue(spec.name))
    assert [d["reason"] for d in dead.headers["x-death"]] == ["expired"]


def test_a_classic_queue_of_an_earlier_version_becomes_a_quorum_queue_with_its_messages(amqp_uri):
    spec = queues.QueueSpec("evt-probe-probe.recorded--old.handler", queues.EVENT, "probe.events",
                            "probe.recorded")
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        channel.exchange_declare("probe.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare(spec.name, durable=True, auto_delete=False)  # classic, as before
        channel.queue_bind(spec.name, "probe.events", routing_key="probe.recorded")
        for i in range(3):
            channel.basic_publish(amqp.Message(f'{{"n": {i}}}'.encode()), exchange="probe.events",
                                  routing_key="probe.recorded")
        assert queues.migrate(conn, spec) == "migrated (3 messages)"
        assert queues.migrate(conn, spec) == "declared"  # a second run has nothing to do
    assert _redeclares(amqp_uri, spec.name, spec.arguments)
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        # still bound: a new event reaches it, after the three moved, in order
        channel.basic_publish(amqp.Message(b'{"n": 3}'), exchange="probe.events", routing_key="probe.recorded")
        bodies = []
        deadline = time.monotonic() + 10
        while len(bodies) < 4:
            assert time.monotonic() < deadline, bodies
            message = channel.basic_get(spec.name, no_ack=True)
            if message is not None:
                bodies.append(message.body)
        assert bodies == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}', b'{"n": 3}']
        with pytest.raises(amqp.exceptions.NotFound):
            conn.channel().queue_declare(spec.name + queues.MIGRATING_SUFFIX, passive=True)
