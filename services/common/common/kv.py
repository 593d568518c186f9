"""The shared key-value store (Redis): one client per process and URL, keys under the
deployment's prefix (``common.settings.redis_url()`` / ``redis_prefix()``).

What lives there: the gateway's request budgets (rate limits, through the ``limits`` library)
and the deny-list of revoked sessions (written by identity, read by every gateway replica).
Nothing there is the only copy of a fact: a lost Redis forgets budgets (they start again) and
revocations younger than an access token's life (15 min), which identity can still answer
(``identity.session_active``)."""
from __future__ import annotations

import threading

import redis

from . import settings

_CLIENTS: dict[str, redis.Redis] = {}
_LOCK = threading.Lock()

# A request never waits long on Redis: past these, callers fall back (see each caller).
SOCKET_TIMEOUT = settings.env_float("STAGES_REDIS_TIMEOUT", 0.5)


def client(url: str | None = None) -> redis.Redis:
    url = url or settings.redis_url()
    c = _CLIENTS.get(url)
    if c is None:
        with _LOCK:
            c = _CLIENTS.get(url)
            if c is None:
                c = redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT,
                                         health_check_interval=30)
                _CLIENTS[url] = c
    return c


def key(*parts: str) -> str:
    """``<prefix>:<part>:<part>...``"""
    return ":".join([settings.redis_prefix(), *parts])


def revoked_session_key(session_id: str) -> str:
    return key("revoked-session", session_id)


def delete_prefix(prefix: str, url: str | None = None) -> int:
    """Delete every key under ``prefix:`` (test runs clean up after themselves)."""
    c = client(url)
    n = 0
    batch = []
    for k in c.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(k)
        if len(batch) >= 1000:
            n += c.delete(*batch)
            batch = []
    if batch:
        n += c.delete(*batch)
    return n
