"""Refresh tokens: opaque, rotated on every use, grouped in families.

A login starts a family. Each refresh consumes the presented token and issues
its successor in the same family. Presenting a token that was already consumed
means it leaked (or was replayed): the whole family is revoked ("reuse
detection"), so both the thief and the user must log in again.

Except within ``REUSE_GRACE`` (a few seconds) of its first use: two tabs of one browser refresh
at the same moment, or a client retries a refresh whose answer it lost. The second use then gets
the same new pair as the first (``GRACE``), without a new rotation. That pair is kept with the used
token, encrypted with a key derived from the used token itself (which only its holder knows), and
is useless after the grace window.
Only the SHA-256 of a refresh token is stored.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken

from .tokens import hash_token

REFRESH_TTL = dt.timedelta(days=30)          # sliding: each rotation extends
REUSE_GRACE = dt.timedelta(seconds=10)        # a second use this soon gets the same new pair
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
GRACE = "grace"             # consumed token presented again within REUSE_GRACE: the same new pair
REUSE = "reuse"             # consumed token presented again: revoke the family
REVOKED = "revoked"         # family or token revoked (logout, reset, reuse)
EXPIRED = "expired"
UNKNOWN = "unknown"


def refresh_decision(token: dict | None, family: dict | None, now: dt.datetime) -> str:
    """token: {"used_at", "revoked_at", "expires_at", "successor"}; family: {"revoked_at", "started_at"}."""
    if token is None or family is None:
        return UNKNOWN
    if family.get("revoked_at") is not None or token.get("revoked_at") is not None:
        return REVOKED
    if token.get("used_at") is not None:
        # ``now`` may precede ``used_at``: the second tab read its clock, then waited on the row lock
        # while the first rotated. Both are the same moment.
        if token.get("successor") and now < token["used_at"] + REUSE_GRACE:
            return GRACE
        return REUSE
    if now >= token["expires_at"] or now >= family["started_at"] + FAMILY_MAX_AGE:
        return EXPIRED
    return ROTATE


def _fernet(raw: str) -> Fernet:
    # Not the stored hash (sha256 of the raw token): a reader of the database cannot derive it.
    digest = hashlib.sha256(b"refresh-successor:" + raw.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal_successor(raw: str, answer: dict) -> str:
    """The answer of a rotation, encrypted with a key derived from the token it consumed."""
    return _fernet(raw).encrypt(json.dumps(answer, separators=(",", ":")).encode()).decode("ascii")


def open_successor(raw: str, sealed: str | None) -> dict | None:
    if not sealed:
        return None
    try:
        return json.loads(_fernet(raw).decrypt(sealed.encode("ascii")))
    except (InvalidToken, ValueError):
        return None
