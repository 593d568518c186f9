"""The platform's own queues: quorum queues with dead-letter queues.

Every RPC queue (``rpc-<service>``) and every durable event queue (``evt-<source>-<type>--<service>.<handler>``)
is a **quorum queue** (durable, replicated on a majority of the cluster's nodes, ``x-queue-type: quorum``) with a
**delivery limit**: a message handed out that many times without being acknowledged (its handler kept failing, or
its consumer kept dying with it) is dead-lettered, through the direct exchange ``stages.dead-letter``, into its
queue's **dead-letter queue** ``<queue>.dead`` (a quorum queue too). Nothing else is quorum: nameko's reply queues
stay exclusive classic queues (one per process, gone with it), and the event streams are streams
(``common.subscribers``).

- RPC requests: ``RPC_DELIVERY_LIMIT`` deliveries. A request also expires in the queue at its caller's deadline
  (``common.transport``: the message's ``expiration``); an expired request is dead-lettered too, so
  ``rpc-<service>.dead`` also shows the requests nobody waited for. It keeps them ``RPC_DEAD_TTL`` seconds, at
  most ``RPC_DEAD_MAX`` of them.
- Events: ``EVENT_DELIVERY_LIMIT`` deliveries, a handler backing off ``retry_backoff(n)`` seconds before each
  requeue (``common.events``): about 48 minutes of a failing dependency before an event is dead-lettered. Its
  dead-letter queue keeps it until an operator requeues it (``python -m common.manage dead-letters``).

A queue's type cannot change in place (RabbitMQ refuses a redeclaration with other arguments): ``migrate`` moves
a classic queue's messages into its quorum replacement (``python -m common.manage queues``, run before the
services start: ``make up`` and the release Job). ``STAGES_QUEUE_TYPE=classic`` keeps classic queues (a broker
without quorum queues); the dead-letter queues are kept either way.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass

log = logging.getLogger(__name__)

DEAD_LETTER_EXCHANGE = "stages.dead-letter"
DEAD_SUFFIX = ".dead"
MIGRATING_SUFFIX = ".migrating"

RPC_DELIVERY_LIMIT = 5
EVENT_DELIVERY_LIMIT = 100
RPC_DEAD_TTL = 24 * 3600
RPC_DEAD_MAX = 10_000
BACKOFF_MAX = 30.0

RPC = "rpc"
EVENT = "event"


def queue_type() -> str:
    kind = os.environ.get("STAGES_QUEUE_TYPE", "quorum").strip().lower()
    return kind if kind in ("quorum", "classic") else "quorum"


def retry_backoff(delivery_count: int | None) -> float:
    """Seconds an event handler waits before its message goes back to the queue, after its ``n``-th failed
    delivery (``x-delivery-count``, 0 on the first): 1 s, 2 s, … up to ``BACKOFF_MAX``."""
    n = max(0, int(delivery_count or 0))
    return min(BACKOFF_MAX, 1.0 + n)


def dead_queue(name: str) -> str:
    return f"{name}{DEAD_SUFFIX}"


def arguments(name: str, kind: str, *, queue_kind: str | None = None) -> dict:
    """The arguments the platform queue ``name`` (``kind`` RPC or EVENT) is declared with."""
    args = {"x-dead-letter-exchange": DEAD_LETTER_EXCHANGE, "x-dead-letter-routing-key": name}
    if (queue_kind or queue_type()) == "quorum":
        args["x-queue-type"] = "quorum"
        args["x-delivery-limit"] = RPC_DELIVERY_LIMIT if kind == RPC else EVENT_DELIVERY_LIMIT
    return args


def dead_arguments(kind: str, *, queue_kind: str | None = None) -> dict:
    args: dict = {}
    if (queue_kind or queue_type()) == "quorum":
        args["x-queue-type"] = "quorum"
    if kind == RPC:
        args.update({"x-message-ttl": RPC_DEAD_TTL * 1000, "x-max-length": RPC_DEAD_MAX})
    return args


@dataclass(frozen=True)
class QueueSpec:
    """One platform queue: its name, kind, and the (exchange, routing key) it is bound to."""
    name: str
    kind: str
    exchange: str
    routing_key: str

    @property
    def arguments(self) -> dict:
        return arguments(self.name, self.kind)


def declare_dead_letters(channel, name: str, kind: str) -> None:
    """Declare ``stages.dead-letter`` and ``<name>.dead``, bound by the queue's name (idempotent)."""
    channel.exchange_declare(DEAD_LETTER_EXCHANGE, "direct", durable=True, auto_delete=False)
    dead = dead_queue(name)
    channel.queue_declare(dead, durable=True, auto_delete=False, arguments=dead_arguments(kind))
    channel.queue_bind(dead, DEAD_LETTER_EXCHANGE, routing_key=name)


# -- the queues of a service class ---------------------------------------------------------------

def service_queues(service_cls) -> list[QueueSpec]:
    """The platform queues a nameko service class consumes: its RPC queue and one per durable event handler."""
    from nameko.events import SERVICE_POOL, EventHandler
    from nameko.rpc import Rpc

    name = service_cls.name
    specs: dict[str, QueueSpec] = {}
    for attr in dir(service_cls):
        method = getattr(service_cls, attr, None)
        for entrypoint in getattr(method, "nameko_entrypoints", ()) or ():
            if isinstance(entrypoint, Rpc):
                specs[f"rpc-{name}"] = QueueSpec(f"rpc-{name}", RPC, "nameko-rpc", f"{name}.*")
            elif (isinstance(entrypoint, EventHandler) and entrypoint.handler_type is SERVICE_POOL
                  and entrypoint.reliable_delivery):
                queue = f"evt-{entrypoint.source_service}-{entrypoint.event_type}--{name}.{attr}"
                specs[queue] = QueueSpec(queue, EVENT, f"{entrypoint.source_service}.events",
                                         entrypoint.event_type)
    return sorted(specs.values(), key=lambda s: s.name)


# -- moving an existing classic queue to a quorum queue ------------------------------------------

def _declared(connection, spec: QueueSpec, name: str | None = None, arguments: dict | None = None) -> bool:
    """Declare ``name`` (default: the spec's queue) with ``arguments``; False when it exists with others
    (RabbitMQ closes the channel with 406 PRECONDITION_FAILED)."""
    import amqp

    channel = connection.channel()
    try:
        channel.queue_declare(name or spec.name, durable=True, auto_delete=False,
                              arguments=spec.arguments if arguments is None else arguments)
        return True
    except amqp.exceptions.PreconditionFailed:
        return False
    finally:
        try:
            channel.close()
        except Exception:  # already closed by the broker
            pass


def _move(connection, source: str, target: str) -> int:
    """Move every message of ``source`` to ``target`` (through the default exchange), one at a time: each is
    acknowledged only after its copy is confirmed. Reading and publishing use two channels (RabbitMQ 3.10's
    channel crashed when one channel both got from a classic queue and published to a quorum queue)."""
    moved = 0
    reader, writer = connection.channel(), connection.channel()
    try:
        writer.confirm_select()
        while True:
            message = reader.basic_get(source, no_ack=False)
            if message is None:
                return moved
            writer.basic_publish(message, exchange="", routing_key=target)
            reader.basic_ack(message.delivery_tag)
            moved += 1
    finally:
        for channel in (reader, writer):
            channel.close()


def migrate(connection, spec: QueueSpec) -> str:
    """Make ``spec.name`` a queue with the platform's arguments, keeping its messages; returns what was done
    ("declared" or "migrated (n messages)"). Run while the queue's consumers are stopped: producers may go on
    publishing, every message lands in the old queue, the temporary one or the new one."""
    if _declared(connection, spec):
        channel = connection.channel()
        declare_dead_letters(channel, spec.name, spec.kind)
        channel.close()
        return "declared"
    temporary = f"{spec.name}{MIGRATING_SUFFIX}"
    channel = connection.channel()
    try:
        channel.queue_declare(temporary, durable=True, auto_delete=False, arguments=spec.arguments)
        channel.queue_bind(temporary, spec.exchange, routing_key=spec.routing_key)
        channel.queue_unbind(spec.name, spec.exchange, routing_key=spec.routing_key)
        moved = _move(connection, spec.name, temporary)
        channel.queue_delete(spec.name)
        channel.queue_declare(spec.name, durable=True, auto_delete=False, arguments=spec.arguments)
        channel.queue_bind(spec.name, spec.exchange, routing_key=spec.routing_key)
        channel.queue_unbind(temporary, spec.exchange, routing_key=spec.routing_key)
        _move(connection, temporary, spec.name)
        channel.queue_delete(temporary)
        declare_dead_letters(channel, spec.name, spec.kind)
    finally:
        channel.close()
    log.warning("queue %s is now a %s queue (%d messages moved)", spec.name, queue_type(), moved)
    return f"migrated ({moved} messages)"


def requeue_dead_letters(connection, queue: str) -> int:
    """Give the dead-lettered messages of ``queue`` back to it (after the cause was fixed); returns how many."""
    return _move(connection, dead_queue(queue), queue)
