"""Distributed traces (OpenTelemetry): one trace from an HTTP request at the gateway through every RPC
and every event it causes. Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

What makes a span (each named after what it does, never after personal data):

- the gateway's request: ``GET /api/v1/offers/<offer_id>`` (kind server; the route *template*, the
  status; a 5xx is an error, a 4xx is an answer) -- ``gateway.service.GatewayService.handle``;
- an RPC call: ``offers.publish_offer``, on the caller's side (kind client, ``common.rpc``) and on the
  service's (kind server, ``common.ops.OpsEndpoint``'s worker hooks), with ``stages.outcome``: ``ok``,
  ``refused`` (a domain error: an answer), ``unavailable``, ``timeout`` or ``error``;
- an event recorded in the outbox: ``publish offer.published`` (kind producer, when ``uow.emit`` runs
  in a traced worker), and its handling by each subscriber: ``process offer.published`` (kind consumer).

The context travels in AMQP message headers as a W3C ``traceparent``
(``00-<trace id>-<span id>-<flags>``): RPC requests (``common.transport.RpcClient``) and published
events (``common.events.publish_frames``). nameko hands every message header to the worker
(``context_data``), so a service reads it whether it came as ``traceparent`` (ours, and any
OpenTelemetry-instrumented AMQP client's) or ``nameko.traceparent``. A process with traces off passes
the context it received on to its own RPC calls unchanged (nameko forwards ``context_data``).

Events go through the outbox, whose rows have no column for the context (and the envelope's schema
admits no extra key). The context of an event recorded in a traced worker is kept in this process's
memory (``_CREATED``, the last 10,000 events) until the relay publishes the row: the usual case, as
committing wakes the relay of the same process. When a request's event is published by another
replica's relay or after a restart, the relay starts a new trace for it: a ``publish <type>`` span of
its own, with the event id and the request id as attributes, so that its handlers are still traced
together and the request is found by its ``stages.request_id``. An event recorded outside any request
(a timer's) is published without context: each handler's span starts a trace.

Export: OTLP over HTTP/protobuf to ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``/v1/traces`` is appended), in
batches from a background green thread; the OpenTelemetry SDK reads its own variables too
(``OTEL_TRACES_SAMPLER``/``OTEL_TRACES_SAMPLER_ARG``, ``OTEL_EXPORTER_OTLP_HEADERS``,
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_BSP_*``). Each span's resource names the service that made it
(``service.name``), even when tests run several services in one process.

When off, every hook is one test of the module's ``ENABLED`` and the OpenTelemetry SDK is not even
imported (bench/tracing_overhead.py measures it). Tests turn traces on with ``enable(processor)``
(an in-memory exporter).
"""
from __future__ import annotations

import atexit
import collections
import logging
import os
from contextlib import contextmanager

from .errors import DomainError, ServiceUnavailable

log = logging.getLogger(__name__)

ENABLED = False      # the hooks test this first: traces off cost one attribute read
KEEP_CREATED = 10_000  # contexts of events recorded and not yet published, kept in memory

_processor = None
_tracers: dict = {}
_CREATED: "collections.OrderedDict[str, str]" = collections.OrderedDict()  # event_id -> traceparent
_checked_environment = False

# the OpenTelemetry modules, imported when traces are turned on
_trace = _context = _propagator = _SpanKind = _Status = _StatusCode = None

_WORKER_ATTR = "_stages_trace"  # on a nameko WorkerContext: (span, context token) of its worker


# -- turning traces on ------------------------------------------------------------------------------------
def setup_from_environment() -> bool:
    """Turn traces on, exported with OTLP/HTTP, when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set. Idempotent;
    called where a container starts (``common.ops.OpsEndpoint.setup``). Returns whether traces are on."""
    global _checked_environment
    if ENABLED or _checked_environment:
        return ENABLED
    _checked_environment = True
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
    if not endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    enable(BatchSpanProcessor(OTLPSpanExporter()))
    atexit.register(shutdown)  # send what is queued when the process stops
    log.info("traces on: OTLP/HTTP to %s", endpoint)
    return True


def enable(processor) -> None:
    """Send every span of this process to ``processor`` (an OpenTelemetry SDK span processor; tests:
    ``SimpleSpanProcessor(InMemorySpanExporter())``)."""
    global ENABLED, _processor, _trace, _context, _propagator, _SpanKind, _Status, _StatusCode
    from opentelemetry import context, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    _trace, _context, _propagator = trace, context, TraceContextTextMapPropagator()
    _SpanKind, _Status, _StatusCode = SpanKind, Status, StatusCode
    _processor = processor
    _tracers.clear()
    _CREATED.clear()
    ENABLED = True


def disable() -> None:
    """Traces off again (tests)."""
    global ENABLED, _processor
    ENABLED = False
    _processor = None
    _tracers.clear()
    _CREATED.clear()


def shutdown() -> None:
    """Export what is queued, stop the exporter and turn traces off (at exit)."""
    processor = _processor
    disable()
    if processor is not None:
        processor.shutdown()


def _tracer(service: str):
    """The tracer of ``service``: its own provider, so that its spans' resource names it."""
    tracer = _tracers.get(service)
    if tracer is None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider

        provider = TracerProvider(resource=Resource.create({"service.name": service,
                                                            "service.namespace": "stages"}),
                                  shutdown_on_exit=False)
        provider.add_span_processor(_processor)
        tracer = _tracers[service] = provider.get_tracer("stages")
    return tracer


# -- the W3C context --------------------------------------------------------------------------------------
def traceparent_of(span) -> str | None:
    ctx = span.get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def _extract(traceparent):
    """The OpenTelemetry context of a ``traceparent`` header value (an empty context if it is malformed)."""
    if isinstance(traceparent, bytes):
        traceparent = traceparent.decode("ascii", "replace")
    if not isinstance(traceparent, str):
        return None
    return _propagator.extract({"traceparent": traceparent})


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of the active span, for log lines (None: no span, or traces off)."""
    if not ENABLED:
        return None
    ctx = _trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


def _parent(worker_ctx):
    """The context a new span of this worker hangs from: the active span if any (the green thread that
    runs the worker), else the worker's own span (a green thread the worker spawned, e.g. parallel RPC
    calls from a GreenPool), else the context the worker's message carried."""
    if _trace.get_current_span().get_span_context().is_valid:
        return None  # the current context
    held = getattr(worker_ctx, _WORKER_ATTR, None)
    if held is not None:
        return _trace.set_span_in_context(held[0])
    data = getattr(worker_ctx, "data", None) or {}
    return _extract(data.get("traceparent"))


def _outcome(exc: BaseException) -> str:
    from .rpc import RpcTimeout  # (common.rpc imports this module)

    if isinstance(exc, RpcTimeout):
        return "timeout"
    if isinstance(exc, ServiceUnavailable):
        return "unavailable"
    if isinstance(exc, DomainError) and exc.status < 500:
        return "refused"
    return "error"


def _finish(span, outcome: str, exc: BaseException | None = None) -> None:
    span.set_attribute("stages.outcome", outcome)
    if outcome not in ("ok", "refused"):
        span.set_status(_Status(_StatusCode.ERROR, type(exc).__name__ if exc is not None else outcome))
    span.end()


# -- the gateway's requests ---------------------------------------------------------------------------------
class HttpSpan:
    """The span of one HTTP request at the gateway (``start_http`` ... ``finish``)."""

    __slots__ = ("span", "token", "worker_ctx")

    def __init__(self, span, token, worker_ctx):
        self.span, self.token, self.worker_ctx = span, token, worker_ctx

    def finish(self, method: str, route: str | None, status: int) -> None:
        span = self.span
        if route:
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_status(_Status(_StatusCode.ERROR, str(status)))
        span.end()
        _context.detach(self.token)
        if self.worker_ctx is not None:
            self.worker_ctx.__dict__.pop(_WORKER_ATTR, None)


def start_http(worker_ctx, service: str, method: str, traceparent: str | None, request_id: str) -> HttpSpan:
    """Open and make current the span of an HTTP request (continuing the caller's trace when it sent a
    W3C ``traceparent``: an ingress, the web front end)."""
    parent = _extract(traceparent) if traceparent else None
    span = _tracer(service).start_span(method, context=parent, kind=_SpanKind.SERVER,
                                       attributes={"http.request.method": method,
                                                   "stages.request_id": request_id})
    token = _context.attach(_trace.set_span_in_context(span))
    if worker_ctx is not None:
        setattr(worker_ctx, _WORKER_ATTR, (span, None))
    return HttpSpan(span, token, worker_ctx)


# -- RPC ------------------------------------------------------------------------------------------------
@contextmanager
def rpc_client(worker_ctx, service: str, method: str):
    """The caller's span of an RPC call; yields the ``traceparent`` to send with the request."""
    caller = getattr(worker_ctx, "service_name", None) or "unknown"
    span = _tracer(caller).start_span(f"{service}.{method}", context=_parent(worker_ctx), kind=_SpanKind.CLIENT,
                                      attributes={"rpc.system": "nameko", "rpc.service": service,
                                                  "rpc.method": method})
    token = _context.attach(_trace.set_span_in_context(span))
    try:
        yield traceparent_of(span)
    except BaseException as exc:
        _finish(span, _outcome(exc), exc)
        raise
    else:
        _finish(span, "ok")
    finally:
        _context.detach(token)


def start_worker(worker_ctx) -> None:
    """Open and make current the span of an RPC or event worker, as a child of the context its message
    carried (``common.ops.OpsEndpoint.worker_setup``). Other workers (timers, HTTP) get none here."""
    from nameko.events import EventHandler
    from nameko.rpc import Rpc as RpcEntrypoint

    entrypoint = worker_ctx.entrypoint
    service = worker_ctx.service_name
    data = worker_ctx.data or {}
    if isinstance(entrypoint, RpcEntrypoint):
        name, kind = f"{service}.{entrypoint.method_name}", _SpanKind.SERVER
        attributes = {"rpc.system": "nameko", "rpc.service": service, "rpc.method": entrypoint.method_name}
    elif isinstance(entrypoint, EventHandler):
        name, kind = f"process {entrypoint.event_type}", _SpanKind.CONSUMER
        attributes = {"messaging.system": "rabbitmq", "messaging.operation.type": "process",
                      "messaging.destination.name": f"{entrypoint.source_service}.events",
                      "messaging.rabbitmq.destination.routing_key": entrypoint.event_type,
                      "stages.event_type": entrypoint.event_type,
                      "stages.handler": f"{service}.{entrypoint.method_name}"}
    else:
        return
    if data.get("request_id"):
        attributes["stages.request_id"] = str(data["request_id"])
    span = _tracer(service).start_span(name, context=_extract(data.get("traceparent")), kind=kind,
                                       attributes=attributes)
    token = _context.attach(_trace.set_span_in_context(span))
    setattr(worker_ctx, _WORKER_ATTR, (span, token))


def end_worker(worker_ctx, outcome: str | None, exc: BaseException | None = None) -> None:
    """Close the worker's span (``outcome``: ok, refused, error; None: it did not finish)."""
    held = worker_ctx.__dict__.pop(_WORKER_ATTR, None)
    if held is None or held[1] is None:  # none, or the gateway's request span (closed by HttpSpan)
        if held is not None:
            setattr(worker_ctx, _WORKER_ATTR, held)
        return
    span, token = held
    _finish(span, outcome or "error", exc)
    try:
        _context.detach(token)
    except Exception:  # another green thread: nothing to restore there
        pass


# -- events ---------------------------------------------------------------------------------------------
def _event_attributes(producer: str, event_type: str, event_id: str) -> dict:
    return {"messaging.system": "rabbitmq", "messaging.operation.type": "create",
            "messaging.destination.name": f"{producer}.events",
            "messaging.rabbitmq.destination.routing_key": event_type,
            "messaging.message.id": event_id, "stages.event_type": event_type}


def event_created(envelope: dict) -> None:
    """An event was just made (``uow.emit``, ``make_envelope``): within a traced worker, record a
    ``publish <type>`` span and keep its context for the relay (``context_for``)."""
    if not _trace.get_current_span().get_span_context().is_valid:
        return  # outside any trace (a timer, a script): the relay starts one
    producer, event_type, event_id = envelope["producer"], envelope["type"], envelope["event_id"]
    span = _tracer(producer).start_span(f"publish {event_type}", kind=_SpanKind.PRODUCER,
                                        attributes=_event_attributes(producer, event_type, event_id))
    span.end()
    _CREATED[event_id] = traceparent_of(span)
    while len(_CREATED) > KEEP_CREATED:
        _CREATED.popitem(last=False)


def context_for(event_id: str, event_type: str, exchange: str, request_id: str | None) -> str | None:
    """The ``traceparent`` to publish an event with: the one recorded when it was made in this process,
    else, for an event a request caused, that of a new ``publish <type>`` span (a new trace, see the module
    doc). An event of no request (a timer's: the expiry of 200,000 applications) gets none: each handler's
    span starts a trace of its own, and the relay makes no span per event."""
    known = _CREATED.get(event_id)  # kept (not popped): a batch the broker did not confirm is sent again
    if known is not None:
        return known
    if not request_id:
        return None
    producer = exchange.removesuffix(".events")
    attributes = _event_attributes(producer, event_type, event_id)
    attributes["stages.relayed_without_context"] = True
    attributes["stages.request_id"] = request_id
    span = _tracer(producer).start_span(f"publish {event_type}", context=_context.Context(),
                                        kind=_SpanKind.PRODUCER, attributes=attributes)
    span.end()
    return traceparent_of(span)
