"""Each process's own operations endpoint: health, readiness and Prometheus metrics.

Every service process (and the gateway) listens on a small HTTP port of its own, apart from the bus
and the public API, so that an orchestrator probes *this* process (not whichever replica takes a
message from a shared queue):

- ``GET /healthz``: live, the process answers (its event loop turns);
- ``GET /readyz``: ready, its database answers (services) and the broker accepts a connection
  (200 ``{"status": "ready", ...}`` or 503 with what failed);
- ``GET /metrics``: Prometheus text format (``prometheus_client``).

``STAGES_OPS_ADDRESS`` is ``host:port``, or ``off``; without it each process takes its default port
on 127.0.0.1 (``DEFAULT_PORTS``). The Kubernetes manifests set ``0.0.0.0:9100`` in every pod.

A service gets it from ``PlatformService`` (``ops = OpsEndpoint()``); the metrics of RPC calls and event
handling are recorded by the same dependency's worker hooks. A service declares its timers' lag with
``ops_timers = {"expiry": "SELECT min(due_at) FROM ... WHERE due_at <= :now"}`` (the oldest deadline that
is due and not processed yet: its age is the timer's lag).
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import time
import weakref
from pathlib import Path

import eventlet
import eventlet.wsgi
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc as RpcEntrypoint
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from sqlalchemy import text

from . import settings, tracing
from .clock import PROCESS_CLOCK
from .errors import EXPECTED

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"gateway": 9100, "identity": 9101, "offers": 9102, "applications": 9103,
                 "conventions": 9104, "notifications": 9105}
PROBE_TIMEOUT = 2.0  # seconds: each readiness check and each scrape-time query

# -- the metrics (one set per process; the ``service`` label names the service) --------------------------
_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

RPC_CALLS = Counter("stages_rpc_calls_total", "RPC calls handled, by method and outcome "
                    "(ok, refused: a domain error answered as such, error: unexpected)",
                    ["service", "method", "outcome"])
RPC_DURATION = Histogram("stages_rpc_duration_seconds", "Time to handle an RPC call", ["service", "method"],
                         buckets=_LATENCY)
EVENTS_HANDLED = Counter("stages_events_handled_total", "Events handled, by type and outcome "
                         "(ok, error: requeued for another try)", ["service", "event_type", "outcome"])
EVENT_DURATION = Histogram("stages_event_handling_duration_seconds", "Time to handle an event",
                           ["service", "event_type"], buckets=_LATENCY)
HTTP_REQUESTS = Counter("stages_http_requests_total", "HTTP requests answered by the gateway, by route "
                        "template and status", ["method", "route", "status"])
HTTP_DURATION = Histogram("stages_http_request_duration_seconds", "Time to answer an HTTP request",
                          ["method", "route"], buckets=_LATENCY)
MESSAGES = Counter("stages_messages_total", "Messages delivered or failed by notifications, by channel "
                   "(email, sms, in_app) and outcome (sent, retry, failed)", ["channel", "outcome"])
RENDER_DURATION = Histogram("stages_agreement_render_seconds", "Time to render (and seal) an agreement PDF",
                            buckets=(0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60))
# Gauges computed when scraped (see _ScrapeCollector): listed here so that the alert rules can be checked.
SCRAPED_GAUGES = ("stages_outbox_pending", "stages_outbox_oldest_pending_age_seconds", "stages_timer_lag_seconds",
                  "stages_ops_scrape_error")
READY = Gauge("stages_ready", "1 when the last readiness check passed", ["service"])


def observe_message(channel: str, outcome: str) -> None:
    MESSAGES.labels(channel=channel, outcome=outcome).inc()


_HTTP_CHILDREN: dict = {}  # (method, route, status) -> (counter, histogram): labels() costs more than counting


def observe_http(method: str, route: str, status: int, seconds: float) -> None:
    children = _HTTP_CHILDREN.get((method, route, status))
    if children is None:  # routes are templates: a bounded set
        children = _HTTP_CHILDREN[(method, route, status)] = (
            HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
            HTTP_DURATION.labels(method=method, route=route))
    children[0].inc()
    children[1].observe(seconds)


# -- scrape-time gauges: outbox backlog and timer lag, read from each service's database --------------------
_SOURCES: "weakref.WeakSet[OpsEndpoint]" = weakref.WeakSet()


class _ScrapeCollector:
    def collect(self):
        pending = GaugeMetricFamily("stages_outbox_pending", "Outbox rows not published yet", labels=["service"])
        age = GaugeMetricFamily("stages_outbox_oldest_pending_age_seconds",
                                "Age of the oldest outbox row not published yet (0 when none)", labels=["service"])
        lag = GaugeMetricFamily("stages_timer_lag_seconds", "How late the timer is: age of the oldest deadline "
                                "that is due and not processed yet (0 when none)", labels=["service", "timer"])
        failed = GaugeMetricFamily("stages_ops_scrape_error", "1 when the scrape-time database queries failed",
                                   labels=["service"])
        for source in list(_SOURCES):
            engine = source.engine
            if engine is None:
                continue
            try:
                with eventlet.Timeout(PROBE_TIMEOUT), engine.connect() as conn:
                    now = PROCESS_CLOCK.now()
                    count, oldest = conn.execute(text(
                        "SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL")).one()
                    timers = {name: conn.execute(text(sql), {"now": now}).scalar()
                              for name, sql in source.timers.items()}
            except (Exception, eventlet.Timeout) as exc:
                log.warning("metrics of %s: database query failed: %s", source.service, type(exc).__name__)
                failed.add_metric([source.service], 1)
                continue
            failed.add_metric([source.service], 0)
            pending.add_metric([source.service], count)
            age.add_metric([source.service], _age(now, oldest))
            for name, due in timers.items():
                lag.add_metric([source.service, name], _age(now, due))
        yield from (pending, age, lag, failed)


def _age(now: dt.datetime, then: dt.datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


REGISTRY.register(_ScrapeCollector())


# -- container CPU limit -----------------------------------------------------------------------------------
def cpu_limit(cgroup_root: str = "/sys/fs/cgroup") -> float:
    """The CPUs this process may use: the container's CPU limit (cgroup v2 ``cpu.max``, or v1
    ``cpu.cfs_quota_us``/``cpu.cfs_period_us``) when there is one, else the CPUs it is allowed to run on."""
    root = Path(cgroup_root)
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        if quota != "max":
            return max(int(quota) / int(period), 0.01)
    except (OSError, ValueError):
        try:
            quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
            period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
            if quota > 0 and period > 0:
                return max(quota / period, 0.01)
        except (OSError, ValueError):
            pass
    try:
        return float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return float(os.cpu_count() or 1)


def cpu_count() -> int:
    """``cpu_limit()`` rounded up: how many processes can usefully run at once."""
    return max(1, math.ceil(cpu_limit() - 0.05))


# -- the endpoint ------------------------------------------------------------------------------------------
def ops_address(service: str) -> tuple[str, int] | None:
    """Where ``service``'s process listens for probes and scrapes (``None``: off)."""
    value = os.environ.get("STAGES_OPS_ADDRESS", "").strip()
    if value.lower() in ("off", "0", "false", "no"):
        return None
    if not value:
        return "127.0.0.1", DEFAULT_PORTS.get(service, 9100)
    host, _, port = value.rpartition(":")
    return (host or "0.0.0.0"), int(port)


class OpsEndpoint(DependencyProvider):
    """The process's ``/healthz``, ``/readyz`` and ``/metrics`` (see module doc), and the RPC and event
    metrics of the container's workers."""

    def __init__(self):
        self._started: dict = {}
        self._children: dict = {}  # (entrypoint, outcome) -> (counter, histogram): .labels() costs more than both
        self._server = None
        self._sock = None

    @property
    def service(self) -> str:
        return self.container.service_name

    @property
    def engine(self):
        db = self._database()
        return getattr(db, "engine", None)

    @property
    def timers(self) -> dict:
        return getattr(self.container.service_cls, "ops_timers", None) or {}

    def _database(self):
        from .db import Database
        for dep in self.container.dependencies:
            if isinstance(dep, Database):
                return dep
        return None

    # -- lifecycle
    def setup(self):
        self.amqp_uri = self.container.config.get("AMQP_URI") or settings.amqp_uri()
        _SOURCES.add(self)
        tracing.setup_from_environment()  # traces on when OTEL_EXPORTER_OTLP_ENDPOINT is set (common.tracing)

    def start(self):
        address = ops_address(self.service)
        if address is None:
            return
        try:
            self._sock = eventlet.listen(address)
        except OSError as exc:
            # probes then fail and the orchestrator restarts the pod: said loudly, but the service still serves
            log.error("operations endpoint: cannot listen on %s:%s (%s)", *address, exc)
            return
        self._server = eventlet.spawn(eventlet.wsgi.server, self._sock, self._app, log_output=False,
                                      log=logging.getLogger("common.ops.wsgi"), max_size=50)
        log.info("operations endpoint on http://%s:%s (/healthz, /readyz, /metrics)", *self._sock.getsockname()[:2])

    def stop(self):
        _SOURCES.discard(self)
        if self._server is not None:
            self._server.kill()
            self._server = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    kill = stop

    # -- worker hooks: RPC and event metrics, and their spans (common.tracing)
    def worker_setup(self, worker_ctx):
        self._started[worker_ctx] = time.perf_counter()
        if tracing.ENABLED:
            tracing.start_worker(worker_ctx)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        seconds = time.perf_counter() - started
        entrypoint = worker_ctx.entrypoint
        if isinstance(entrypoint, RpcEntrypoint):
            if exc_info is None:
                outcome = "ok"
            elif isinstance(exc_info[1], EXPECTED):
                outcome = "refused"
            else:
                outcome = "error"
        elif isinstance(entrypoint, EventHandler):
            outcome = "ok" if exc_info is None else "error"
        else:
            return  # timers: their lag is measured from the database (ops_timers)
        if tracing.ENABLED:
            tracing.end_worker(worker_ctx, outcome, exc_info[1] if exc_info else None)
        children = self._children.get((entrypoint, outcome))
        if children is None:
            if isinstance(entrypoint, RpcEntrypoint):
                children = (RPC_CALLS.labels(self.service, entrypoint.method_name, outcome),
                            RPC_DURATION.labels(self.service, entrypoint.method_name))
            else:
                children = (EVENTS_HANDLED.labels(self.service, entrypoint.event_type, outcome),
                            EVENT_DURATION.labels(self.service, entrypoint.event_type))
            self._children[(entrypoint, outcome)] = children
        children[0].inc()
        children[1].observe(seconds)

    def worker_teardown(self, worker_ctx):
        self._started.pop(worker_ctx, None)
        if tracing.ENABLED:
            tracing.end_worker(worker_ctx, None)  # a span still open: the worker did not get to its result

    # -- HTTP
    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _answer(start_response, 405, b"method not allowed\n")
        if path == "/healthz":
            return _json(start_response, 200, {"status": "ok", "service": self.service})
        if path == "/readyz":
            checks = self.readiness()
            ready = all(v == "ok" for v in checks.values())
            READY.labels(self.service).set(1 if ready else 0)
            return _json(start_response, 200 if ready else 503,
                         {"status": "ready" if ready else "unavailable", "service": self.service, **checks})
        if path == "/metrics":
            return _answer(start_response, 200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        return _answer(start_response, 404, b"not found\n")

    def readiness(self) -> dict:
        checks = {}
        engine = self.engine
        if engine is not None:
            checks["database"] = _check(lambda: _ping_database(engine))
        checks["broker"] = _check(lambda: _ping_broker(self.amqp_uri))
        return checks


def _check(fn) -> str:
    try:
        with eventlet.Timeout(PROBE_TIMEOUT):
            fn()
        return "ok"
    except (Exception, eventlet.Timeout) as exc:
        return f"error: {type(exc).__name__}"


def _ping_database(engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def _ping_broker(uri: str) -> None:
    from kombu import Connection
    with Connection(uri, connect_timeout=PROBE_TIMEOUT, heartbeat=0) as conn:
        conn.connect()


def _answer(start_response, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8"):
    reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(body))),
                                          ("Cache-Control", "no-store")])
    return [body]


def _json(start_response, status: int, payload: dict):
    import json
    return _answer(start_response, status, json.dumps(payload).encode(), "application/json")
