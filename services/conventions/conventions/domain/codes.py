"""The employer's signature code: 6 digits, valid 10 minutes, 5 attempts, usable for several
conventions while valid. Only a salted hash is stored."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets

from common.errors import Forbidden, RateLimited, ValidationError

CODE_TTL = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_INTERVAL = dt.timedelta(seconds=60)


@dataclasses.dataclass
class SignatureCode:
    user_id: str
    salt: str
    code_hash: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    attempts: int = 0

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "issued_at": self.issued_at.isoformat(),
                "expires_at": self.expires_at.isoformat()}


def hash_code(code: str, salt: str) -> str:
    # PBKDF2 makes an offline search of the 10^6 codes slower should a hash leak (codes live 10 minutes).
    return hashlib.pbkdf2_hmac("sha256", code.encode(), bytes.fromhex(salt), 2000).hex()


def issue(user_id: str, now: dt.datetime, previous: SignatureCode | None = None) -> tuple[str, SignatureCode]:
    """A new code (returned in clear once, to be sent) and its stored record. Replaces any previous code;
    refused when the previous one was issued less than a minute ago."""
    if previous is not None and now - previous.issued_at < RESEND_INTERVAL:
        wait = int((RESEND_INTERVAL - (now - previous.issued_at)).total_seconds()) + 1
        raise RateLimited(f"Un code vient d'être envoyé. Patientez {wait} secondes avant d'en demander un autre.",
                          retry_after=wait)
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_hex(16)
    return code, SignatureCode(user_id=user_id, salt=salt, code_hash=hash_code(code, salt), issued_at=now,
                               expires_at=now + CODE_TTL)


def verify(record: SignatureCode | None, code, now: dt.datetime) -> None:
    """Check a submitted code; the caller persists ``record.attempts`` (failed attempts) whatever the outcome.
    Raises ValidationError (wrong or expired code) or Forbidden (no attempt left)."""
    if record is None:
        raise ValidationError("Demandez d'abord un code de signature.",
                              {"code": ["Aucun code en cours : demandez un code de signature."]}, code="no_code")
    if now >= record.expires_at:
        raise ValidationError("Ce code a expiré.", {"code": ["Ce code a expiré : demandez-en un nouveau."]},
                              code="code_expired")
    if record.attempts >= MAX_ATTEMPTS:
        raise Forbidden("Trop de tentatives : demandez un nouveau code.", code="code_locked")
    given = str(code or "").strip()
    ok = len(given) == 6 and given.isdigit() and hmac.compare_digest(hash_code(given, record.salt), record.code_hash)
    if not ok:
        record.attempts += 1  # failed attempts only: a right code signs several conventions
        left = MAX_ATTEMPTS - record.attempts
        if left <= 0:
            raise Forbidden("Code incorrect. Trop de tentatives : demandez un nouveau code.", code="code_locked")
        raise ValidationError("Code incorrect.", {"code": [f"Code incorrect. Il vous reste {left} essai(s)."]},
                              code="code_invalid")
