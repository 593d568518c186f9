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
    import pyotp

    totp = pyotp.TOTP(demo["admin_totp_secret"])
    deadline = time.monotonic() + 120
    while True:
        now = dt.datetime.now(dt.timezone.utc)
        for at in (now, now + dt.timedelta(seconds=30)):   # the current step, or the next (identity's drift)
            r = api.post("/api/v1/auth/login", json={"identifier": ADMIN_EMAIL, "password": demo["password"],
                                                     "totp_code": totp.at(at)})
            if r.status_code == 200:
                return r.json()
            if r.status_code != 401 or "totp" not in r.text:
                raise AssertionError(r.text)
        # both steps used already (by an earlier login of this run): a later one comes within 30 s
        assert time.monotonic() < deadline, r.text
        time.sleep(1)


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
