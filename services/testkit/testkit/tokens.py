"""The demo admin's access token for cross-service tests, shared by the tests of one run.

The admin signs in with a TOTP code, and a code works once (identity keeps the last step used): tests that each
logged in within the same half-minute refused each other (``totp_invalid``). So the session is opened once per
gateway and kept: its access token is reused while the gateway accepts it, renewed with the refresh token, and
only when that fails is a new code used (the next unused step, waiting for it if need be).
"""
from __future__ import annotations

import datetime as dt
import time

ADMIN_EMAIL = "demo.admin@example.com"
_SESSIONS: dict[str, dict] = {}


def _base(api) -> str:
    return getattr(api, "base_url", None) or getattr(api, "base", None) or str(id(api))


def _login(api, demo) -> dict:
    """Sign in with the code of this step, else of the next (identity accepts one step of drift); when both were
    used already, with the code of the step after, once the clock has reached it. At most 4 wrong codes (8 lock
    the account for a while)."""
    import pyotp

    totp = pyotp.TOTP(demo["admin_totp_secret"])

    def attempt(at: dt.datetime):
        r = api.post("/api/v1/auth/login", json={"identifier": ADMIN_EMAIL, "password": demo["password"],
                                                 "totp_code": totp.at(at)})
        if r.status_code not in (200, 401) or (r.status_code == 401 and "totp" not in r.text):
            raise AssertionError(r.text)
        return r

    now = dt.datetime.now(dt.timezone.utc)
    for at in (now, now + dt.timedelta(seconds=30)):
        r = attempt(at)
        if r.status_code == 200:
            return r.json()
    for _ in range(2):
        time.sleep(30 - time.time() % 30 + 0.5)   # into the next step: the step after it is unused
        r = attempt(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=30))
        if r.status_code == 200:
            return r.json()
    raise AssertionError(r.text)


def admin_session(api, demo) -> dict:
    """``{"access_token", "refresh_token", ...}`` of the demo admin on ``api``'s gateway, opened once per run."""
    key = _base(api)
    session = _SESSIONS.get(key)
    if session is not None:
        if api.get("/api/v1/me", token=session["access_token"]).status_code == 200:
            return session
        r = api.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
        if r.status_code == 200:
            _SESSIONS[key] = r.json()
            return _SESSIONS[key]
    _SESSIONS[key] = _login(api, demo)
    return _SESSIONS[key]


def admin_token(api, demo) -> str:
    return admin_session(api, demo)["access_token"]
