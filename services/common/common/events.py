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

import functools
import logging

import eventlet
from kombu import Connection, Producer
from nameko.events import SERVICE_POOL, EventHandler
from nameko.standalone.events import get_event_exchange

from . import settings
from .envelope import ENVELOPE_SCHEMA, make_envelope  # noqa: F401  (re-exported)
from .errors import DomainError, ServiceUnavailable

log = logging.getLogger(__name__)


class BatchPublisher:
    """Publishes envelopes inside AMQP transactions: the broker takes a whole
    batch or none of it, in one round trip. (Waiting for a confirm after each
    message cost a round trip per event: about 300 events/s.)

    One instance per relay (it owns a connection and a channel): never share
    it between green threads."""

    def __init__(self, config: dict):
        self.config = config
        self.uri = config.get("AMQP_URI") or settings.amqp_uri()
        self._conn = None
        self._channel = None
        self._declared: set[str] = set()

    def _open(self):
        if self._conn is None:
            self._conn = Connection(self.uri, heartbeat=0)
            self._conn.connect()
            self._channel = self._conn.channel()
            self._channel.tx_select()
            self._declared = set()
        return self._channel

    def close(self) -> None:
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:
                pass

    def publish(self, items: list[tuple[dict, str | None]]) -> int:
        """Publish ``items`` (envelope, request id) in order, all or nothing;
        returns how many the broker took (``len(items)`` or 0)."""
        if not items:
            return 0
        try:
            channel = self._open()
            producer = Producer(channel, serializer="json")
            for envelope, request_id in items:
                exchange = get_event_exchange(envelope["producer"], self.config)
                if exchange.name not in self._declared:
                    exchange(channel).declare()
                    self._declared.add(exchange.name)
                producer.publish(
                    envelope, exchange=exchange, routing_key=envelope["type"],
                    message_id=envelope["event_id"], delivery_mode=2, retry=False,
                    headers={"nameko.request_id": request_id} if request_id else {},
                )  # the json serializer sets content_type application/json
            channel.tx_commit()
            return len(items)
        except Exception:
            log.exception("could not publish %d event(s); they stay in the outbox", len(items))
            self.close()
            return 0


def publish_envelopes(config: dict, items: list[tuple[dict, str | None]]) -> int:
    """Publish envelopes in order, in one transaction; returns how many the
    broker took. For scripts and tests: a relay keeps its own BatchPublisher."""
    publisher = BatchPublisher(config)
    try:
        return publisher.publish(items)
    finally:
        publisher.close()


class EnvelopeEventHandler(EventHandler):
    """nameko's event handler, for envelopes. Messages are requeued after an
    unexpected error or a ``ServiceUnavailable`` (the inbox makes the retry
    safe); other domain errors are permanent, so they are logged and the
    message acknowledged."""


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
            if not isinstance(envelope, dict) or "event_id" not in envelope or "data" not in envelope:
                log.error("dropping a malformed %s event: %r", event_type, envelope)
                return None
            try:
                return fn(self, envelope)
            except ServiceUnavailable:
                # another service did not answer: transient, so retry below
                eventlet.sleep(1)
                raise
            except DomainError as exc:
                log.warning("event %s (%s) refused: %s", envelope.get("event_id"), event_type, exc)
                return None
            except Exception:
                # transient (database, broker down): back off a little, then
                # let nameko requeue the message for another try
                eventlet.sleep(1)
                raise

        return EnvelopeEventHandler.decorator(source_service, event_type, **kwargs)(wrapper)

    return decorator


def declare_event_exchange(service_name: str, amqp_uri: str | None = None) -> None:
    """Make sure ``<service>.events`` exists (a subscriber may bind before the
    first event is published)."""
    uri = amqp_uri or settings.amqp_uri()
    with Connection(uri) as conn:
        get_event_exchange(service_name, {})(conn.default_channel).declare()
