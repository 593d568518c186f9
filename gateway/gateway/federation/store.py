"""Sign-in attempts in Redis (shared by every gateway replica): 10 minutes, taken out when read (single use).
Keys hold a hash of ``state``, never the value the browser carries."""
from __future__ import annotations

import hashlib
import json
import logging

import redis

from common import kv
from common.errors import ServiceUnavailable

from .flow import Attempt
from .settings import STATE_TTL

log = logging.getLogger("gateway.federation")

UNAVAILABLE = "La connexion par ÉduConnect ou FIM est momentanément indisponible. Réessayez dans quelques instants."


def _key(state: str) -> str:
    return kv.key("federation-attempt", hashlib.sha256(state.encode("utf-8")).hexdigest())


def save(state: str, attempt: Attempt) -> None:
    try:
        kv.client().set(_key(state), json.dumps(attempt.to_dict()), ex=STATE_TTL)
    except redis.RedisError as exc:
        log.error("federation attempt not stored: %s", exc)
        raise ServiceUnavailable(UNAVAILABLE, code="federation_unavailable") from exc


def take(state: str) -> Attempt | None:
    """The attempt of ``state``, removed at once (a second callback with it finds nothing)."""
    try:
        raw = kv.client().getdel(_key(state))
    except redis.RedisError as exc:
        log.error("federation attempt not read: %s", exc)
        raise ServiceUnavailable(UNAVAILABLE, code="federation_unavailable") from exc
    if raw is None:
        return None
    try:
        return Attempt.from_dict(json.loads(raw))
    except (ValueError, TypeError):
        return None


# -- sessions opened through a provider: their end-session address, for the logout's answer -----------------------

def _session_key(session_id: str) -> str:
    return kv.key("federation-session", session_id)


def remember_session(session_id: str, end_session_url: str, seconds: int) -> None:
    """Best effort: a session whose address is lost still logs out of the platform (the provider's session then
    ends on its own)."""
    try:
        kv.client().set(_session_key(session_id), end_session_url, ex=max(60, int(seconds)))
    except redis.RedisError as exc:
        log.warning("federation session not remembered: %s", exc)


def take_session(session_id: str) -> str | None:
    try:
        raw = kv.client().getdel(_session_key(session_id))
    except redis.RedisError as exc:
        log.warning("federation session not read: %s", exc)
        return None
    return raw.decode("utf-8") if isinstance(raw, bytes) else raw
