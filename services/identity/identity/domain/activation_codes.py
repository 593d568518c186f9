"""One-time activation codes for imported pupils, printed on a sheet.

Short, typed by a 13-year-old: 8 characters from an alphabet without look-alikes
(no 0/O, 1/I/L), shown as ``XXXX-XXXX``. Only the SHA-256 of the normalised code
is stored (the code has ~40 bits of entropy and attempts are rate-limited per
IP); a code works once and expires.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 8
TTL = dt.timedelta(days=90)


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return format_code(raw)


def format_code(code: str) -> str:
    c = normalize_code(code) or code
    return f"{c[:4]}-{c[4:]}"


def normalize_code(code) -> str | None:
    """Upper-case, drop spaces and dashes; None when it cannot be a code."""
    if not isinstance(code, str):
        return None
    c = "".join(ch for ch in code.upper() if ch not in " -_.\t")
    if len(c) != LENGTH or any(ch not in ALPHABET for ch in c):
        return None
    return c


def hash_code(code: str) -> str | None:
    c = normalize_code(code)
    if c is None:
        return None
    return hashlib.sha256(("pupil-code:" + c).encode("ascii")).hexdigest()


def code_matches(code: str, stored_hash: str) -> bool:
    h = hash_code(code)
    return h is not None and isinstance(stored_hash, str) and hmac.compare_digest(h, stored_hash)


def code_status(record: dict | None, now: dt.datetime) -> str:
    """record: {"used_at", "expires_at"} found by hash, or None -> "valid"/"used"/"expired"/"unknown"."""
    if record is None:
        return "unknown"
    if record.get("used_at") is not None:
        return "used"
    if now >= record["expires_at"]:
        return "expired"
    return "valid"


MESSAGES = {
    "unknown": "Code d'activation invalide. Vérifiez-le ou demandez-en un nouveau à votre établissement.",
    "used": "Ce code d'activation a déjà été utilisé.",
    "expired": "Ce code d'activation a expiré. Demandez-en un nouveau à votre établissement.",
}
