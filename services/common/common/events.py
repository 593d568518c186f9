"""Event envelopes and their publication.

Exchange ``<service>.events`` (topic, durable), routing key
``<entity>.<fact>``, body the JSON envelope::

    {"event_id": uuid, "type": "offer.published", "version": 1,
     "occurred_at": "2026-11-23T09:00:00+00:00", "producer": "offers",
     "data": {...identifiers only...}}

Any AMQP client can consume them (see deploy/examples/). Handlers in our
services use ``event_handler`` below: it unwraps the envelope, checks it and
leaves idempotency to ``uow.claim`` in the handler's own transaction.
"""
from __future__ import annotations

import collections
import functools
import logging
import socket
import struct
import time
from typing import NamedTuple

import eventlet
from kombu import Connection
from nameko.events import SERVICE_POOL, EventHandler
from nameko.standalone.events import get_event_exchange

from . import queues, settings, tracing
from .envelope import ENVELOPE_SCHEMA as _envelope_schema
from .envelope import make_envelope as _make_envelope
from .errors import DomainError, ServiceUnavailable
from .transport import QuickQueueConsumer, dumps

log = logging.getLogger(__name__)

ENVELOPE_SCHEMA = _envelope_schema  # re-exported: the schema of every envelope (common.envelope)


def make_envelope(producer: str, event_type: str, data: dict, version: int = 1, occurred_at=None) -> dict:
    """``common.envelope.make_envelope`` (what ``uow.emit`` records), and, within a traced worker, the
    ``publish <type>`` span whose context the event carries when the relay publishes it (``common.tracing``)."""
    envelope = _make_envelope(producer, event_type, data, version, occurred_at)
    if tracing.ENABLED:
        tracing.event_created(envelope)
    return envelope


class EventMessage(NamedTuple):
    """One event ready to leave: its routing key (the event type), its JSON body, its id, the request id
    and the W3C trace context (``traceparent``) it is published with."""
    routing_key: str
    body: bytes
    event_id: str
    request_id: str | None = None
    traceparent: str | None = None


def message_of(envelope: dict, request_id: str | None = None) -> EventMessage:
    return EventMessage(envelope["type"], dumps(envelope), envelope["event_id"], request_id)


# -- AMQP 0-9-1 frames of a basic.publish ---------------------------------------------------------
# py-amqp builds a Message object and serialises its properties generically for every message
# (about 20 us each); a relay publishing 200,000 events spent more time there than the broker did.
# An event's publish frames only differ by body, message id and request id, so they are written
# here directly: a method frame (basic.publish), a content header (class basic, the body size,
# content_type, content_encoding, headers, delivery_mode 2, message_id) and the body frame(s).

_FRAME_END = b"\xce"
_PERSISTENT = 2
_PROPS_FLAGS = (1 << 15) | (1 << 14) | (1 << 12) | (1 << 7)  # content_type, encoding, delivery_mode, message_id
_HEADERS_FLAG = 1 << 13
_JSON_PROPS = b"\x10application/json\x05utf-8"


def _shortstr(value: str) -> bytes:
    data = value.encode("utf-8")
    if len(data) > 255:
        raise ValueError(f"AMQP short string too long: {value[:40]!r}...")
    return bytes((len(data),)) + data


def _frame(kind: int, channel: int, payload: bytes) -> bytes:
    return struct.pack(">BHI", kind, channel, len(payload)) + payload + _FRAME_END


@functools.lru_cache(maxsize=256)
def _publish_method_frame(channel: int, exchange: str, routing_key: str) -> bytes:
    return _frame(1, channel, struct.pack(">HHH", 60, 40, 0) + _shortstr(exchange) + _shortstr(routing_key)
                  + b"\x00")


_REQUEST_ID_HEADER = _shortstr("nameko.request_id") + b"S"  # a header's name and type (S: long string)
_TRACEPARENT_HEADER = _shortstr("traceparent") + b"S"


def publish_frames(channel: int, frame_max: int, exchange: str, message: EventMessage) -> bytes:
    """The frames of a persistent basic.publish of ``message``: headers ``nameko.request_id`` (the request
    that caused it) and ``traceparent`` (W3C trace context, when traces are on) when it has them."""
    flags, headers = _PROPS_FLAGS, b""
    traceparent = message.traceparent
    if traceparent is None and tracing.ENABLED:
        traceparent = tracing.context_for(message.event_id, message.routing_key, exchange, message.request_id)
    if message.request_id or traceparent:
        flags |= _HEADERS_FLAG
        fields = b""
        if message.request_id:
            value = message.request_id.encode("utf-8")
            fields = _REQUEST_ID_HEADER + struct.pack(">I", len(value)) + value
        if traceparent:
            fields += _TRACEPARENT_HEADER + struct.pack(">I", len(traceparent)) + traceparent.encode("ascii")
        headers = struct.pack(">I", len(fields)) + fields
    header = (struct.pack(">HHQH", 60, 0, len(message.body), flags) + _JSON_PROPS + headers
              + bytes((_PERSISTENT,)) + _shortstr(message.event_id))
    parts = [_publish_method_frame(channel, exchange, message.routing_key), _frame(2, channel, header)]
    body, chunk = message.body, frame_max - 8
    for start in range(0, len(body), chunk):
        parts.append(_frame(3, channel, body[start:start + chunk]))
    return b"".join(parts)


class BatchPublisher:
    """Publishes batches of events to ``<service>.events``, persistent, with
    publisher confirms pipelined: a batch's messages go out in one socket write
    and the broker's acknowledgements (one per message, or one for many) are
    awaited once for the batch. ``publish`` returns how many messages, from the
    first, the broker took; a nack or a lost connection stops there, and the
    caller publishes the rest again later (consumers deduplicate on event_id).

    Measured on the expiry of 200,000 applications (bench/README.md): one
    confirm awaited per message published 240-350 events/s, one AMQP
    transaction per batch of 500 about 2,200 events/s (kombu's producer, which
    also read the socket before each message); this, tens of thousands.

    One instance per relay (it owns a connection and a channel): never share it
    between green threads."""

    def __init__(self, config: dict, exchange: str | None = None, confirm_timeout: float = 30.0):
        self.config = config
        self.uri = config.get("AMQP_URI") or settings.amqp_uri()
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self._conn = None
        self._channel = None
        self._declared: set[str] = set()
        self._next_tag = 1
        self._acked = 0       # every tag up to this one is acknowledged
        self._acks: set[int] = set()
        self._nacked: int | None = None

    def _open(self):
        if self._conn is None:
            conn = Connection(self.uri, heartbeat=0)
            conn.connect()
            raw = conn.connection
            # py-amqp reads the socket before every publish when this capability is announced (a
            # connection.blocked notice); we read it once per batch, for the confirms
            raw.client_properties = {**raw.client_properties,
                                     "capabilities": {**raw.client_properties.get("capabilities", {}),
                                                      "connection.blocked": False}}
            channel = raw.channel()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.confirm_select()
            self._conn, self._channel, self._raw = conn, channel, raw
            self._declared, self._next_tag, self._acked, self._acks, self._nacked = set(), 1, 0, set(), None
        return self._channel

    def _on_ack(self, tag, multiple):
        if multiple:
            self._acked = max(self._acked, tag)
        else:
            self._acks.add(tag)
        while self._acked + 1 in self._acks:
            self._acked += 1
            self._acks.discard(self._acked)

    def _on_nack(self, tag, multiple):
        first = self._acked + 1 if multiple else tag
        self._nacked = first if self._nacked is None else min(self._nacked, first)
        self._on_ack(tag, multiple)

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:
                pass

    def send(self, messages: list[EventMessage], producer: str | None = None) -> tuple[int, int]:
        """Write ``messages`` to ``<producer>.events`` (default: this publisher's exchange), in order,
        without waiting: returns the delivery tags of the first and the last. Raises when the
        connection fails (nothing of the batch is then known to have arrived)."""
        exchange = get_event_exchange(producer, self.config).name if producer else self.exchange
        try:
            channel = self._open()
            if exchange not in self._declared:
                channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
                self._declared.add(exchange)
            first = self._next_tag
            # the whole batch in one socket write
            self._raw.transport.sock.sendall(b"".join(publish_frames(channel.channel_id, self._raw.frame_max,
                                                                     exchange, m) for m in messages))
            self._next_tag += len(messages)
            return first, self._next_tag - 1
        except Exception:
            self.close()
            raise

    def confirmed(self, first: int, last: int) -> int:
        """Wait until the broker has confirmed tags ``first``..``last``; returns how many of them,
        from the first, it took (fewer after a nack, a timeout or a lost connection: the connection
        is then closed, and everything sent after is unconfirmed too)."""
        deadline = time.monotonic() + self.confirm_timeout
        try:
            while self._acked < last and (self._nacked is None or self._nacked > last):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no confirm from the broker in {self.confirm_timeout:.0f} s")
                try:
                    self._raw.drain_events(timeout=min(remaining, 1.0))
                except socket.timeout:
                    pass
        except Exception:
            log.exception("events not confirmed by the broker; they stay in the outbox")
            taken = max(0, min(self._acked, last) - first + 1)
            self.close()
            return taken
        if self._nacked is not None and self._nacked <= last:
            taken = max(0, self._nacked - first)
            log.error("the broker refused an event; it and the ones after it stay in the outbox")
            self.close()
            return taken
        return last - first + 1

    def publish(self, messages: list[EventMessage], producer: str | None = None) -> int:
        """Send ``messages`` and wait for their confirms; returns how many, from the first, the broker
        took."""
        if not messages:
            return 0
        try:
            first, last = self.send(messages, producer)
        except Exception:
            log.exception("could not publish %d event(s); they stay in the outbox", len(messages))
            return 0
        return self.confirmed(first, last)


def publish_envelopes(config: dict, items: list[tuple[dict, str | None]]) -> int:
    """Publish envelopes (each to its producer's exchange) in order; returns how many the broker
    took. For scripts and tests: a relay keeps its own BatchPublisher."""
    publisher = BatchPublisher(config)
    try:
        done = 0
        for envelope, request_id in items:
            if publisher.publish([message_of(envelope, request_id)], envelope["producer"]) != 1:
                break
            done += 1
        return done
    finally:
        publisher.close()


# Deliveries each handler of this process finished, by "<service>.<handler>": counted once the handler returned
# (its transaction committed, a duplicate skipped by the inbox, or a refusal logged), never before. Tests wait
# on it for a positive sign that a duplicate was handled; ``health()`` reports it.
EVENTS_HANDLED: collections.Counter = collections.Counter()


def handled(key: str) -> int:
    """How many deliveries the handler ``<service>.<handler>`` of this process finished."""
    return EVENTS_HANDLED[key]


class EnvelopeEventHandler(EventHandler):
    """nameko's event handler, for envelopes. Messages are requeued after an
    unexpected error or a ``ServiceUnavailable`` (the inbox makes the retry
    safe); other domain errors are permanent, so they are logged and the
    message acknowledged."""

    queue_consumer = QuickQueueConsumer()  # the RPC entrypoints' consumer: reconnects within a second

    def setup(self):
        super().setup()
        if self.handler_type is SERVICE_POOL and self.reliable_delivery:
            # a quorum queue with its dead-letter queue (common.queues); QuickQueueConsumer declares the latter
            self.queue.queue_arguments = queues.arguments(self.queue.name, queues.EVENT)
            self.dead_letters = (self.queue.name, queues.EVENT)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None and self.requeue_on_error:
            # back off before the message goes back to the queue: 1 s, 2 s, ... 30 s as its deliveries grow
            # (x-delivery-count of a quorum queue); at the queue's delivery limit it is dead-lettered
            eventlet.sleep(queues.retry_backoff((message.headers or {}).get("x-delivery-count")))
        super().handle_message_processed(message, result, exc_info)


def event_handler(source_service: str, event_type: str, **kwargs):
    """Decorate ``def handler(self, envelope)``.

    The queue is durable and shared by the instances of the service
    (``SERVICE_POOL``). A handler must call ``uow.claim(envelope, name)`` in
    its transaction to be idempotent.
    """
    kwargs.setdefault("handler_type", SERVICE_POOL)
    kwargs.setdefault("reliable_delivery", True)
    kwargs.setdefault("requeue_on_error", True)

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, envelope):
            key = f"{getattr(self, 'name', '?')}.{fn.__name__}"
            if not isinstance(envelope, dict) or "event_id" not in envelope or "data" not in envelope:
                log.error("dropping a malformed %s event: %r", event_type, envelope)
                EVENTS_HANDLED[key] += 1
                return None
            try:
                out = fn(self, envelope)
                EVENTS_HANDLED[key] += 1
                return out
            except ServiceUnavailable:
                # another service did not answer: transient, so requeued after a backoff (handle_message_processed)
                raise
            except DomainError as exc:
                log.warning("event %s (%s) refused: %s", envelope.get("event_id"), event_type, exc)
                EVENTS_HANDLED[key] += 1
                return None
            except Exception:
                # transient (database, broker down): nameko requeues the message after a backoff
                # (handle_message_processed)
                raise

        return EnvelopeEventHandler.decorator(source_service, event_type, **kwargs)(wrapper)

    return decorator


def declare_event_exchange(service_name: str, amqp_uri: str | None = None) -> None:
    """Make sure ``<service>.events`` exists (a subscriber may bind before the
    first event is published)."""
    uri = amqp_uri or settings.amqp_uri()
    with Connection(uri) as conn:
        get_event_exchange(service_name, {})(conn.default_channel).declare()
