"""Maintenance mode (issue 21): an admin's switch with a French message and an announced end time.

While it is on, every write (POST, PUT, PATCH, DELETE) answers ``503`` problem+json, code ``maintenance``,
with the admin's message as ``detail``, ``ends_at``, and ``Retry-After`` (seconds until ``ends_at``, at
least 60); reads (GET, HEAD, OPTIONS) keep working. Writes that stay open (``EXEMPT``), so that an admin can
sign in and turn it off: ``POST /api/v1/auth/login``, ``POST /api/v1/auth/refresh``, ``POST /api/v1/auth/logout``
and ``PUT /api/v1/admin/maintenance``. ``ends_at`` is an announcement: maintenance ends when an admin turns
it off, never by itself (an overrun keeps answering 503, with ``Retry-After: 60``).

The state is shared by every gateway replica through Redis (``common.kv``, key ``<prefix>:maintenance``).
Each replica reads it at most every ``TTL`` seconds (so a switch reaches every replica within 2 s; the
replica that switched knows at once). When Redis does not answer, a replica keeps its last known state for
``STALE_LIMIT`` seconds (60), then takes maintenance as off and logs it: requests are not refused for a
Redis outage (the services still work), and an admin cannot switch while Redis is away (503
``maintenance_store_unavailable``).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import math
import threading
import time

from common import kv
from common.errors import DomainError

from .problems import problem

log = logging.getLogger("gateway.maintenance")

TTL = 2.0
STALE_LIMIT = 60.0
MIN_RETRY_AFTER = 60
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT = frozenset({
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("PUT", "/api/v1/admin/maintenance"),
})
OFF = {"active": False, "message": None, "ends_at": None, "updated_at": None}


class StoreUnavailable(DomainError):
    status = 503
    code = "maintenance_store_unavailable"
    default_detail = ("Le mode maintenance ne peut pas être modifié pour le moment (stockage partagé "
                      "indisponible). Réessayez dans une minute.")


class _State:
    """This replica's copy of the shared state: (value, read at, last good read at)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.value = dict(OFF)
        self.read_at = -math.inf
        self.good_at = -math.inf


_STATE = _State()


def _key() -> str:
    return kv.key("maintenance")


def current() -> dict:
    """The maintenance state {active, message, ends_at, updated_at} (cached ``TTL`` seconds)."""
    s = _STATE
    now = time.monotonic()
    if now - s.read_at < TTL:
        return s.value
    with s.lock:
        if now - s.read_at < TTL:
            return s.value
        try:
            raw = kv.client().get(_key())
            s.value = {**OFF, **json.loads(raw)} if raw else dict(OFF)
            s.good_at = now
        except Exception as exc:   # Redis away: the last known state, for a while
            if now - s.good_at > STALE_LIMIT and s.value.get("active"):
                log.error("maintenance state unreadable for %.0f s (%s): taken as off", now - s.good_at, exc)
                s.value = dict(OFF)
            else:
                log.warning("maintenance state unreadable (%s): last known state kept", exc)
        s.read_at = now
        return s.value


def store(value: dict) -> dict:
    """Write the shared state (an admin's switch); this replica knows it at once."""
    value = {**OFF, **value}
    try:
        if value["active"]:
            kv.client().set(_key(), json.dumps(value))
        else:
            kv.client().delete(_key())
    except Exception as exc:
        log.error("maintenance state not stored: %s", exc)
        raise StoreUnavailable() from None
    t = time.monotonic()
    with _STATE.lock:
        _STATE.value, _STATE.read_at, _STATE.good_at = value, t, t
    return value


def retry_after(ends_at: str | None, now: dt.datetime) -> int:
    """Seconds until ``ends_at``, at least ``MIN_RETRY_AFTER``."""
    try:
        end = dt.datetime.fromisoformat(ends_at) if ends_at else None
    except ValueError:
        end = None
    if end is None:
        return MIN_RETRY_AFTER
    return max(MIN_RETRY_AFTER, math.ceil((end - now).total_seconds()))


def refusal(method: str, path_template: str, instance: str, request_id: str):
    """The 503 answer of a write during maintenance, or None (reads, exempt routes, maintenance off)."""
    if method not in WRITES or (method, path_template) in EXEMPT:
        return None
    state = current()
    if not state.get("active"):
        return None
    seconds = retry_after(state.get("ends_at"), dt.datetime.now(dt.timezone.utc))
    return problem(503, state.get("message") or "La plateforme est en maintenance.", code="maintenance",
                   instance=instance, request_id=request_id, headers={"Retry-After": str(seconds)},
                   extra={"ends_at": state.get("ends_at"), "retry_after": seconds})
