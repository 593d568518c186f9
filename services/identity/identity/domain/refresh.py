"""Refresh tokens: opaque, rotated on every use, grouped in families.

A login starts a family. Each refresh consumes the presented token and issues
its successor in the same family. Presenting a token that was already consumed
means it leaked (or was replayed): the whole family is revoked ("reuse
detection"), so both the thief and the user must log in again.
Only the SHA-256 of a refresh token is stored.
"""
from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from .tokens import hash_token

REFRESH_TTL = dt.timedelta(days=30)          # sliding: each rotation extends
FAMILY_MAX_AGE = dt.timedelta(days=90)        # absolute: log in again after this


@dataclass(frozen=True)
class IssuedRefresh:
    raw: str
    token_hash: str
    token_id: str
    family_id: str
    expires_at: dt.datetime


def new_refresh(now: dt.datetime, family_id: str | None = None, family_started_at: dt.datetime | None = None,
                ttl: dt.timedelta = REFRESH_TTL) -> IssuedRefresh:
    raw = secrets.token_urlsafe(32)
    expires = now + ttl
    if family_started_at is not None:
        expires = min(expires, family_started_at + FAMILY_MAX_AGE)
    return IssuedRefresh(raw=raw, token_hash=hash_token(raw), token_id=str(uuid.uuid4()),
                         family_id=family_id or str(uuid.uuid4()), expires_at=expires)


ROTATE = "rotate"
REUSE = "reuse"             # consumed token presented again: revoke the family
REVOKED = "revoked"         # family or token revoked (logout, reset, reuse)
EXPIRED = "expired"
UNKNOWN = "unknown"


def refresh_decision(token: dict | None, family: dict | None, now: dt.datetime) -> str:
    """token: {"used_at", "revoked_at", "expires_at"}; family: {"revoked_at", "started_at"}."""
    if token is None or family is None:
        return UNKNOWN
    if family.get("revoked_at") is not None or token.get("revoked_at") is not None:
        return REVOKED
    if token.get("used_at") is not None:
        return REUSE
    if now >= token["expires_at"] or now >= family["started_at"] + FAMILY_MAX_AGE:
        return EXPIRED
    return ROTATE
