"""Distributed traces (common.tracing): a request through the gateway gives one trace across the gateway's
span, the RPC it makes (client and server), the event the service records in its outbox and the handler
of another service that receives it; the W3C context travels in AMQP headers; logs carry the trace id.

In process: a gateway and two small services (a producer named "offers", so that the gateway's own RPC
proxy reaches it, and a listener) on this module's vhost and a throw-away database with the outbox and
inbox tables, spans collected by the OpenTelemetry SDK's in-memory exporter."""
import json
import logging
import time
import uuid

import pytest
import requests
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import MetaData, create_engine

from common import tracing
from common.db import Database, plumbing_tables
from common.errors import NotFound
from common.events import event_handler, handled
from common.logs import JsonFormatter
from common.service import PlatformService, rpc
from gateway import service as gateway_service
from gateway.api import ROUTES, route
from testkit.harness import free_port

metadata = MetaData()
plumbing_tables(metadata)
LOG = logging.getLogger("tests.tracing")


class TracedProducer(PlatformService):
    """Records an event in its outbox (published by its relay after the commit)."""
    name = "offers"
    db = Database("offers", metadata)

    @rpc
    def record(self, value):
        LOG.info("recording %s", value)
        with self.db.uow() as uow:
            envelope = uow.emit("probe.traced", {"value": value})
        return envelope["event_id"]

    @rpc
    def missing(self):
        raise NotFound("Rien ici.", code="probe_missing")


class TracedListener(PlatformService):
    name = "listener"
    db = Database("offers", metadata, relay=False)

    @event_handler("offers", "probe.traced")
    def on_traced(self, envelope):
        with self.db.uow() as uow:
            uow.claim(envelope, "listener.on_traced")


def _register_routes():
    if any(r.path == "/api/v1/_trace_probe" for r in ROUTES):
        return

    @route("POST", "/api/v1/_trace_probe", summary="probe traces", auth="none", response={"type": "object"})
    def trace_probe(req):
        return {"event_id": req.rpc("offers").record(value="v")}

    @route("GET", "/api/v1/_trace_probe/<thing>", summary="probe traces: a 404 from a service", auth="none",
           response={"type": "object"})
    def trace_probe_missing(req):
        return req.rpc("offers").missing()


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.enable(SimpleSpanProcessor(exporter))
    yield exporter
    tracing.disable()


@pytest.fixture
def platform(spans, backends, start_service, monkeypatch):
    url = backends.create_database(f"t{backends.run_id}_trace_{uuid.uuid4().hex[:6]}")
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("OFFERS_DATABASE_URL", url)
    _register_routes()
    gateway_service.GatewayService.router = None
    start_service(TracedProducer)
    start_service(TracedListener)
    port = free_port()
    start_service(gateway_service.GatewayService, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    yield f"http://127.0.0.1:{port}"
    gateway_service.GatewayService.router = None  # (the database goes with the run's: backends.drop_databases)


def _wait_for(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("not seen in time")


def _named(exporter, name):
    return [s for s in exporter.get_finished_spans() if s.name == name]


def test_one_trace_from_the_gateway_through_rpc_and_an_event_handler(platform, spans):
    parent_trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    before = handled("listener.on_traced")
    r = requests.post(f"{platform}/api/v1/_trace_probe",
                      headers={"traceparent": f"00-{parent_trace}-00f067aa0ba902b7-01"})
    assert r.status_code == 200, r.text
    event_id = r.json()["event_id"]

    # positive signals: the handler finished, and its span reached the exporter
    _wait_for(lambda: handled("listener.on_traced") > before)
    handler = _wait_for(lambda: _named(spans, "process probe.traced"))[0]

    http = _named(spans, "POST /api/v1/_trace_probe")[0]
    client = [s for s in _named(spans, "offers.record") if s.kind == SpanKind.CLIENT][0]
    # the server's span ends once its reply is sent: wait for it
    server = _wait_for(lambda: [s for s in _named(spans, "offers.record") if s.kind == SpanKind.SERVER])[0]
    publish = _named(spans, "publish probe.traced")[0]

    # one trace, the caller's (the W3C traceparent it sent), from the gateway to the event handler
    trace_ids = {f"{s.context.trace_id:032x}" for s in (http, client, server, publish, handler)}
    assert trace_ids == {parent_trace}
    # each span hangs from the previous one
    assert http.parent.span_id == 0x00f067aa0ba902b7
    assert client.parent.span_id == http.context.span_id
    assert server.parent.span_id == client.context.span_id
    assert publish.parent.span_id == server.context.span_id
    assert handler.parent.span_id == publish.context.span_id

    assert http.kind == SpanKind.SERVER
    assert http.attributes["http.route"] == "/api/v1/_trace_probe"
    assert http.attributes["http.response.status_code"] == 200
    assert http.resource.attributes["service.name"] == "gateway"
    assert client.resource.attributes["service.name"] == "gateway"
    assert server.resource.attributes["service.name"] == "offers"
    assert handler.resource.attributes["service.name"] == "listener"
    assert client.attributes["stages.outcome"] == server.attributes["stages.outcome"] == "ok"
    assert publish.kind == SpanKind.PRODUCER and publish.attributes["messaging.message.id"] == event_id
    assert handler.kind == SpanKind.CONSUMER and handler.attributes["stages.event_type"] == "probe.traced"
    assert handler.attributes["stages.request_id"] == r.headers["X-Request-ID"]
    assert handler.attributes["stages.outcome"] == "ok"


def test_a_refusal_is_an_answer_not_an_error(platform, spans):
    r = requests.get(f"{platform}/api/v1/_trace_probe/x")
    assert r.status_code == 404
    http = _wait_for(lambda: _named(spans, "GET /api/v1/_trace_probe/<thing>"))[0]
    calls = _wait_for(lambda: len(_named(spans, "offers.missing")) == 2 and _named(spans, "offers.missing"))
    assert {s.kind for s in calls} == {SpanKind.CLIENT, SpanKind.SERVER}
    assert {s.attributes["stages.outcome"] for s in calls} == {"refused"}
    for span in (http, *calls):
        assert span.status.status_code != StatusCode.ERROR
    assert http.attributes["http.response.status_code"] == 404
    assert len({s.context.trace_id for s in (http, *calls)}) == 1


def test_rpc_calls_made_from_green_threads_of_a_request_join_its_trace(platform, spans):
    """/readyz asks every service's health in parallel (a GreenPool): the calls hang from the request's span."""
    r = requests.get(f"{platform}/readyz")
    assert r.json()["services"]["offers"]["status"] == "ok"
    http = _wait_for(lambda: _named(spans, "GET /readyz"))[0]
    calls = [s for s in spans.get_finished_spans() if s.kind == SpanKind.CLIENT and s.name.endswith(".health")]
    assert {s.name for s in calls} >= {"offers.health", "identity.health"}
    assert {s.parent.span_id for s in calls} == {http.context.span_id}
    by_name = {s.name: s for s in calls}
    assert by_name["offers.health"].attributes["stages.outcome"] == "ok"
    assert by_name["identity.health"].attributes["stages.outcome"] == "unavailable"  # not running here
    # the server's span ends once its reply is sent: wait for it
    server = _wait_for(lambda: [s for s in _named(spans, "offers.health") if s.kind == SpanKind.SERVER])[0]
    assert server.parent.span_id == by_name["offers.health"].context.span_id


def test_a_request_event_published_without_a_known_context_starts_its_own_trace(spans):
    from common.events import EventMessage, publish_frames

    frames = publish_frames(1, 131072, "offers.events",
                            EventMessage("probe.traced", b"{}", str(uuid.uuid4()), "rid-1"))
    relayed = _named(spans, "publish probe.traced")[0]
    assert relayed.parent is None
    assert relayed.attributes["stages.relayed_without_context"] is True
    assert relayed.attributes["stages.request_id"] == "rid-1"
    assert tracing.traceparent_of(relayed).encode() in frames  # the header the handlers continue from
    # a timer's event (no request): published without context, no span per event at the relay
    frames = publish_frames(1, 131072, "offers.events", EventMessage("probe.traced", b"{}", str(uuid.uuid4())))
    assert b"traceparent" not in frames and len(_named(spans, "publish probe.traced")) == 1


def test_log_lines_carry_the_trace_and_span_ids_of_the_active_span(spans):
    formatter = JsonFormatter(service="probe")
    record = logging.LogRecord("probe", logging.INFO, __file__, 1, "hello", None, None)
    assert "trace_id" not in json.loads(formatter.format(record))
    tracer = tracing._tracer("probe")
    with tracer.start_as_current_span("work") as span:
        line = json.loads(formatter.format(record))
    assert line["trace_id"] == f"{span.get_span_context().trace_id:032x}"
    assert line["span_id"] == f"{span.get_span_context().span_id:016x}"


def test_a_client_error_answered_by_a_service_is_logged_at_info():
    formatter = JsonFormatter(service="probe")
    try:
        raise NotFound("Rien ici.")
    except NotFound:
        import sys
        exc_info = sys.exc_info()
    record = logging.LogRecord("nameko.containers", logging.WARNING, __file__, 1,
                               "(expected) error handling worker %s: %s", ("w", "Rien ici."), exc_info)
    line = json.loads(formatter.format(record))
    assert line["level"] == "INFO" and "exc" not in line


def test_spans_are_exported_with_otlp_over_http_when_the_endpoint_is_set(monkeypatch):
    import eventlet
    import eventlet.wsgi
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    received = []

    def collector(environ, start_response):  # stands for an OpenTelemetry collector's OTLP/HTTP receiver
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        received.append((environ["PATH_INFO"], environ.get("CONTENT_TYPE"), body))
        start_response("200 OK", [("Content-Type", "application/x-protobuf"), ("Content-Length", "0")])
        return [b""]

    sock = eventlet.listen(("127.0.0.1", 0))
    server = eventlet.spawn(eventlet.wsgi.server, sock, collector, log_output=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{sock.getsockname()[1]}")
    monkeypatch.setattr(tracing, "_checked_environment", False)
    try:
        assert tracing.setup_from_environment() is True
        with tracing._tracer("probe").start_as_current_span("exported work"):
            pass
        tracing.shutdown()  # exports what is queued
        path, content_type, body = _wait_for(lambda: received)[0]
        assert path == "/v1/traces" and content_type == "application/x-protobuf"
        export = ExportTraceServiceRequest.FromString(body)
        resource_spans = export.resource_spans[0]
        service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
        names = [s.name for scope in resource_spans.scope_spans for s in scope.spans]
        assert service == "probe" and names == ["exported work"]
    finally:
        tracing.disable()
        server.kill()
        sock.close()


def test_traces_are_off_without_an_endpoint_and_load_no_opentelemetry(tmp_path):
    import os
    import subprocess
    import sys

    script = ("import sys; import common.service, common.rpc, common.events, common.logs, common.ops; "
              "from common import tracing; print(tracing.setup_from_environment(), tracing.ENABLED, "
              "sorted({m.split('.')[0] for m in sys.modules if m.startswith('opentelemetry')}))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONWARNINGS"] = "ignore"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "False False []"
