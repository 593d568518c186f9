"""TOTP second factor for admins (RFC 6238, 30 s steps, 6 digits).

A code is accepted for the current step and one step either side (clock drift),
and never twice: the caller stores the last accepted step and passes it back.
"""
from __future__ import annotations

import datetime as dt

import pyotp

ISSUER = "Stages 1 élève 1 stage"
STEP = 30
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=ISSUER)


def code_at(secret: str, at: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def verify(secret: str, code, now: dt.datetime, last_used_step: int | None = None) -> int | None:
    """The accepted time step, or None. Store it as the new ``last_used_step``."""
    if not secret or not isinstance(code, str):
        return None
    code = code.strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None
