"""The bus's JSON (plain JSON for any AMQP client) and the reply framing the gateway passes on."""
import datetime as dt
import decimal
import uuid

import pytest

from common import transport
from common.errors import NotFound
from common.transport import REPLY_OK, RawJson, RpcClient


def test_the_bus_carries_plain_json():
    when = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.timezone.utc)
    ident = uuid.UUID("7d0e8f5e-3a9b-4c1e-9a7f-2f1c3b4d5e6f")
    data = transport.dumps({"at": when, "day": when.date(), "id": ident, "n": decimal.Decimal("2.5"),
                            "tags": {"a"}, "text": "élève"})
    assert transport.loads(data) == {"at": "2026-12-02T09:30:00+00:00", "day": "2026-12-02",
                                     "id": str(ident), "n": 2.5, "tags": ["a"], "text": "élève"}
    assert "élève".encode() in data  # UTF-8, not \\u escapes
    with pytest.raises(TypeError):
        transport.dumps({"x": object()})
    assert transport.json_bytes({"x": object()}).startswith(b'{"x":"<object object')


def test_kombu_json_is_ours():
    import kombu.serialization
    content_type, encoding, body = kombu.serialization.dumps({"at": dt.date(2027, 6, 15)}, "json")
    assert (content_type, encoding, body) == ("application/json", "utf-8", b'{"at":"2027-06-15"}')


def test_a_result_passed_on_is_sliced_not_decoded():
    body = REPLY_OK + transport.dumps({"items": [1, 2]}) + b"}"
    raw = RpcClient.result(body, raw=True)
    assert isinstance(raw, RawJson) and raw.data == b'{"items":[1,2]}' and raw.value() == {"items": [1, 2]}
    assert RpcClient.result(body) == {"items": [1, 2]}
    # a reply written by another responder (nameko's own: keys in another order) is decoded
    other = b'{"result": {"items": [1]}, "error": null}'
    assert RpcClient.result(other) == {"items": [1]} and RpcClient.result(other, raw=True).value() == {"items": [1]}


def test_a_remote_domain_error_is_raised_typed():
    from nameko.exceptions import serialize
    body = transport.dumps({"error": serialize(NotFound("Rien ici.", code="probe_missing")), "result": None})
    with pytest.raises(NotFound) as info:
        RpcClient.result(body, raw=True)
    assert info.value.code == "probe_missing"


def test_a_message_settled_on_a_lost_connection_does_not_kill_the_consumer(caplog):
    """The broker went away while a worker ran (tests/faults: a node killed with SIGKILL): the worker's ack hits
    a reset socket. nameko only catches amqp's ConnectionError; the socket's error killed the container."""
    from common.transport import QuickQueueConsumer

    class Channel:
        connection = object()   # still looks alive to nameko

    class Message:
        channel = Channel()

        def ack(self):
            raise ConnectionResetError(104, "Connection reset by peer")

        def requeue(self):
            raise BrokenPipeError(32, "Broken pipe")

    consumer = QuickQueueConsumer()
    with caplog.at_level("WARNING", logger="common.transport"):
        consumer.ack_message(Message())
        consumer.requeue_message(Message())
    said = [r.getMessage() for r in caplog.records if r.name == "common.transport"]
    assert len(said) == 2 and "could not ack" in said[0] and "could not requeue" in said[1]
