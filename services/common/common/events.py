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

import datetime as dt
import functools
import logging
import uuid

from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.events import SERVICE_POOL, EventHandler
from nameko.standalone.events import get_event_exchange

from . import settings
from .errors import DomainError

log = logging.getLogger(__name__)

ENVELOPE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Event envelope",
    "type": "object",
    "required": ["event_id", "type", "version", "occurred_at", "producer", "data"],
    "additionalProperties": False,
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "pattern": r"^[a-z_]+\.[a-z_]+$"},
        "version": {"type": "integer", "minimum": 1},
        "occurred_at": {"type": "string", "format": "date-time"},
        "producer": {"type": "string"},
        "data": {"type": "object"},
    },
}


def make_envelope(producer: str, event_type: str, data: dict, version: int = 1,
                  occurred_at: dt.datetime | None = None) -> dict:
    if "." not in event_type:
        raise ValueError(f"event type must be '<entity>.<fact>': {event_type!r}")
    occurred_at = occurred_at or dt.datetime.now(dt.timezone.utc)
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": int(version),
        "occurred_at": occurred_at.isoformat(),
        "producer": producer,
        "data": data,
    }


_publishers: dict[str, Publisher] = {}


def _publisher(config: dict) -> Publisher:
    uri = config.get("AMQP_URI") or settings.amqp_uri()
    pub = _publishers.get(uri)
    if pub is None:
        # use_confirms is on by default: publish() returns once the broker has the message
        pub = _publishers[uri] = Publisher(uri, serializer="json", use_confirms=True)
    return pub


def publish_envelopes(config: dict, items: list[tuple[dict, str | None]]) -> int:
    """Publish envelopes in order; returns how many the broker confirmed."""
    publisher = _publisher(config)
    done = 0
    for envelope, request_id in items:
        headers = {"nameko.request_id": request_id} if request_id else {}
        exchange = get_event_exchange(envelope["producer"], config)
        try:
            publisher.publish(
                envelope,
                exchange=exchange,
                declare=[exchange],
                routing_key=envelope["type"],
                message_id=envelope["event_id"],
                headers=headers,  # the json serializer sets content_type application/json
            )
        except Exception:
            log.exception("could not publish event %s", envelope["event_id"])
            break
        done += 1
    return done


class EnvelopeEventHandler(EventHandler):
    """nameko's event handler, for envelopes. Messages redelivered after an
    unexpected error are requeued (the inbox makes the retry safe); domain
    errors are permanent, so they are logged and the message acknowledged."""


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
            except DomainError as exc:
                log.warning("event %s (%s) refused: %s", envelope.get("event_id"), event_type, exc)
                return None
            except Exception:
                # transient (database, broker, another service down): back off a
                # little, then let nameko requeue the message for another try
                import eventlet
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
