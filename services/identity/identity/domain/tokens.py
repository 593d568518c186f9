"""Single-use tokens (e-mail activation, password reset, invitations).

The raw token is sent to the user only; we store its SHA-256 and compare in
constant time. A token is valid once, until ``expires_at``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

ACTIVATION = "activation"
PASSWORD_RESET = "password_reset"
INVITATION = "invitation"

TTL = {
    ACTIVATION: dt.timedelta(days=7),
    PASSWORD_RESET: dt.timedelta(hours=1),
    INVITATION: dt.timedelta(days=7),
}

TOKEN_BYTES = 32


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def tokens_match(raw: str, stored_hash: str) -> bool:
    if not isinstance(raw, str) or not isinstance(stored_hash, str):
        return False
    return hmac.compare_digest(hash_token(raw), stored_hash)


@dataclass(frozen=True)
class NewToken:
    raw: str          # give to the user (e-mail link), never store
    token_hash: str   # store
    kind: str
    expires_at: dt.datetime


def new_token(kind: str, now: dt.datetime) -> NewToken:
    if kind not in TTL:
        raise ValueError(f"unknown token kind {kind!r}")
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    return NewToken(raw=raw, token_hash=hash_token(raw), kind=kind, expires_at=now + TTL[kind])


# Outcomes of checking a stored token record.
VALID = "valid"
EXPIRED = "expired"
USED = "used"
UNKNOWN = "unknown"

MESSAGES = {
    EXPIRED: "Ce lien a expiré. Demandez-en un nouveau.",
    USED: "Ce lien a déjà été utilisé.",
    UNKNOWN: "Ce lien est invalide.",
}


def token_status(record: dict | None, raw: str, kind: str, now: dt.datetime) -> str:
    """``record``: {"token_hash", "kind", "expires_at", "used_at"} found by the hash, or None."""
    if record is None or record.get("kind") != kind or not tokens_match(raw, record.get("token_hash", "")):
        return UNKNOWN
    if record.get("used_at") is not None:
        return USED
    if now >= record["expires_at"]:
        return EXPIRED
    return VALID
