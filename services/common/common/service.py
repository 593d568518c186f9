"""What every service has: health, echo and (tests only) clock control.

    class OffersService(PlatformService):
        name = "offers"
        db = Database("offers", metadata)

        @rpc
        def get_offer(self, offer_id): ...
"""
from __future__ import annotations

import inspect
import logging

import kombu.serialization
from nameko.exceptions import IncorrectSignature
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc as _NamekoRpc
from nameko.rpc import RpcConsumer

from . import queues, settings
from .boot import prepare_process
from .clock import PROCESS_CLOCK
from .db import DATABASE_UNAVAILABLE, check_database, database_unavailable
from .errors import EXPECTED, ServiceUnavailable
from .logs import RequestContext
from .ops import OpsEndpoint
from .transport import JSON, QuickQueueConsumer, ReplySender

prepare_process()   # every service's entrypoint module imports this one: the process starts here

log = logging.getLogger(__name__)


class SafeRpcConsumer(RpcConsumer):
    """nameko answers a request in the serialisation it came in; a request
    without a known ``content_type`` (or whose body is not an object) made it
    raise in the consumer thread, which kills the whole container. Such a
    message is logged and dropped instead.

    JSON replies go through ``common.transport.ReplySender`` (encoded once,
    transient, no publisher confirm) rather than nameko's ``Responder``."""

    replies = ReplySender()
    queue_consumer = QuickQueueConsumer()

    def setup(self):
        super().setup()
        # a quorum queue with its dead-letter queue (common.queues); QuickQueueConsumer declares the latter
        self.queue.queue_arguments = queues.arguments(self.queue.name, queues.RPC)
        self.dead_letters = (self.queue.name, queues.RPC)

    def handle_result(self, message, result, exc_info):
        if exc_info is not None and database_unavailable(exc_info[1]):
            # a 503 the caller may retry (nothing was committed), never an internal error
            unavailable = ServiceUnavailable(DATABASE_UNAVAILABLE, code="database_unavailable")
            exc_info = (ServiceUnavailable, unavailable, exc_info[2])
        if message.properties.get("content_type") != JSON:
            return super().handle_result(message, result, exc_info)
        result, exc_info = self.replies.send(message, result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def handle_message(self, body, message):
        content_type = message.properties.get("content_type")
        if content_type not in kombu.serialization.registry.type_to_name or not isinstance(body, dict):
            log.error("dropping a malformed RPC request to %s (content_type=%r)",
                      message.delivery_info.get("routing_key"), content_type)
            self.queue_consumer.ack_message(message)
            return
        super().handle_message(body, message)


class CachedSignatureCheck:
    """nameko checks every call's arguments with ``inspect.getcallargs``, which
    rebuilds the method's signature each time (a twentieth of a service's CPU
    per call); the signature is built once here."""

    _signature = None

    def check_signature(self, args, kwargs):
        if self._signature is None:
            self._signature = inspect.signature(getattr(self.container.service_cls, self.method_name))
        try:
            self._signature.bind(None, *args, **kwargs)  # None: the unbound method's ``self``
        except TypeError as exc:
            raise IncorrectSignature(str(exc))


class SafeRpc(CachedSignatureCheck, _NamekoRpc):
    rpc_consumer = SafeRpcConsumer()


def rpc(fn=None, **kwargs):
    """The ``@rpc`` of every service: nameko's, made safe against malformed
    requests (see ``SafeRpcConsumer``), with our domain errors declared as
    expected (they are answers, not crashes: nameko does not log them as
    errors). Never mix it with ``nameko.rpc.rpc`` in one service."""
    kwargs.setdefault("expected_exceptions", EXPECTED)
    if fn is None:
        return SafeRpc.decorator(**kwargs)
    return SafeRpc.decorator(**kwargs)(fn)


class Clock(DependencyProvider):
    """``self.clock.now()``: the process clock (UTC, aware). With ``STAGES_CLOCK_CONTROL=1`` (tests only) a
    process started with ``STAGES_CLOCK_OFFSET`` starts with its clock moved, so that a test that restarts a
    service keeps it on the suite's time."""

    def setup(self):
        if settings.env_flag("STAGES_CLOCK_CONTROL"):
            offset = settings.env_float("STAGES_CLOCK_OFFSET", 0.0)
            if offset:
                PROCESS_CLOCK.set_offset(offset)

    def get_dependency(self, worker_ctx):
        return PROCESS_CLOCK


class PlatformService:
    name: str
    request_id = RequestContext()  # self.request_id: the caller's request id (do not shadow)
    clock = Clock()
    ops = OpsEndpoint()  # this process's /healthz, /readyz, /metrics (common.ops); do not shadow
    ops_timers: dict = {}  # timer name -> SQL of its oldest due, unprocessed deadline (see common.ops)

    @rpc
    def health(self):
        """Answer quickly: readiness probes call this with a short deadline."""
        out = {"service": self.name, "status": "ok"}
        db = getattr(self, "db", None)
        if db is not None:
            try:
                out.update(check_database(db.engine))
            except Exception as exc:  # report, do not crash: the gateway shows it
                out.update(status="degraded", db="error", error=type(exc).__name__)
        return out

    @rpc
    def events_handled(self):
        """{handler: deliveries finished} in this process (common.events.EVENTS_HANDLED): a positive sign, for
        tests and operators, that an event (a duplicate too) went through its handler. Not exposed over HTTP."""
        from .events import EVENTS_HANDLED

        prefix = f"{self.name}."
        return {k[len(prefix):]: n for k, n in EVENTS_HANDLED.items() if k.startswith(prefix)}

    @rpc
    def echo(self, payload=None):
        """A no-op round trip, the baseline of the benchmarks."""
        return payload
