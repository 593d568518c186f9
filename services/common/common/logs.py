"""Structured logs: one JSON object a line, with the request id of the worker
that wrote it (propagated from the gateway through RPC and event headers) and,
when traces are on (``common.tracing``), the ``trace_id`` and ``span_id`` of the
active span. A domain error answered to the caller (a 4xx) is logged at INFO:
it is an answer, not something for an operator to look at."""
from __future__ import annotations

import datetime as dt
import logging
import threading

from nameko.extensions import DependencyProvider

from . import tracing
from .transport import json_bytes

_local = threading.local()  # green-thread local once eventlet has monkey-patched threading


def current_request_id() -> str | None:
    return getattr(_local, "request_id", None)


def set_request_id(value: str | None) -> None:
    _local.request_id = value


class RequestContext(DependencyProvider):
    """Puts the worker's request id where log records can find it."""

    def worker_setup(self, worker_ctx):
        set_request_id((worker_ctx.context_data or {}).get("request_id"))

    def worker_teardown(self, worker_ctx):
        set_request_id(None)

    def get_dependency(self, worker_ctx):
        return (worker_ctx.context_data or {}).get("request_id")


def _is_expected_error(record: logging.LogRecord) -> bool:
    """nameko logs a declared (domain) error with its traceback: it is an
    answer to the caller (a 4xx), not a crash, so the message is enough."""
    return record.name == "nameko.containers" and str(record.msg).startswith("(expected)")


def _is_client_error(record: logging.LogRecord) -> bool:
    """An expected error that answers the caller with a 4xx (not a 503 of a service away)."""
    if not _is_expected_error(record) or not record.exc_info:
        return False
    status = getattr(record.exc_info[1], "status", 500)
    return isinstance(status, int) and status < 500


def _timestamp(created: float) -> str:
    """'2026-12-02T20:37:50.304+00:00' (the second's text is reused: logs come many a second)."""
    second = int(created)
    if _last_second[0] != second:
        _last_second[:] = [second, dt.datetime.fromtimestamp(second, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")]
    return f"{_last_second[1]}.{int((created - second) * 1000):03d}+00:00"


_last_second: list = [None, ""]


class JsonFormatter(logging.Formatter):
    def __init__(self, *args, service: str | None = None, **kwargs):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        expected = _is_expected_error(record)
        out = {
            "ts": _timestamp(record.created),
            "level": "INFO" if expected and _is_client_error(record) else record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if self.service:
            out["service"] = self.service
        rid = current_request_id()
        if rid:
            out["request_id"] = rid
        if tracing.ENABLED:
            ids = tracing.current_ids()
            if ids is not None:
                out["trace_id"], out["span_id"] = ids
        for key in ("method", "path", "status", "duration_ms", "event_id", "event_type"):
            if hasattr(record, key):
                out[key] = getattr(record, key)
        if record.exc_info and not expected:
            out["exc"] = self.formatException(record.exc_info)
        return json_bytes(out).decode("utf-8")


def logging_config(service: str, level: str = "INFO") -> dict:
    """A dictConfig for nameko's LOGGING key."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "common.logs.JsonFormatter", "service": service}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {
            "fontTools": {"level": "ERROR"},
            "weasyprint": {"level": "ERROR"},
            "amqp": {"level": "WARNING"},
            "kombu": {"level": "WARNING"},
        },
    }
