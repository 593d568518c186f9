"""Settings of the identity service, read from the environment (common.settings style)."""
from __future__ import annotations

import datetime as dt
import os

from common import settings

from .domain import passwords, throttle


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def argon2_params() -> dict:
    """Argon2id cost; defaults: ``domain.passwords`` (OWASP's setting). Tests may lower them."""
    return {"time_cost": _int("IDENTITY_ARGON2_TIME_COST", passwords.TIME_COST),
            "memory_cost": _int("IDENTITY_ARGON2_MEMORY_KIB", passwords.MEMORY_KIB),
            "parallelism": _int("IDENTITY_ARGON2_PARALLELISM", passwords.PARALLELISM)}


def public_url() -> str:
    """Where users open the web front (links printed on the pupils' code sheet)."""
    return os.environ.get("STAGES_PUBLIC_URL", "http://127.0.0.1:8080").rstrip("/")


def limit(name: str, default: throttle.Limit) -> throttle.Limit:
    """IDENTITY_LIMIT_<NAME>="<count>/<seconds>" overrides a default limit."""
    raw = os.environ.get(f"IDENTITY_LIMIT_{name.upper()}")
    if raw and "/" in raw:
        try:
            n, s = raw.split("/", 1)
            return throttle.Limit(int(n), dt.timedelta(seconds=float(s)))
        except ValueError:
            pass
    return default


# Per IP, failed logins only, as a backstop: a classroom shares one address, so successes are not counted.
LOGIN_FAILURES_PER_IP = throttle.LOGIN_FAILURES_PER_IP


def demo_enabled() -> bool:
    """``seed_demo`` answers only when STAGES_DEMO=1 (a demo or test deployment)."""
    return settings.env_flag("STAGES_DEMO")


def anonymise_interval() -> float:
    return settings.env_float("IDENTITY_ANONYMISE_INTERVAL", 3600.0)


def notify_timeout() -> float:
    return settings.env_float("IDENTITY_NOTIFY_TIMEOUT", 5.0)


# -- the national pupil register (Omogen SYGNE API; identity.register_client) ---------------------------------
def omogen_url() -> str | None:
    """Base URL of the SYGNE API (e.g. https://omogen.example/sygne/api/v1); in development the local stand-in
    (``python -m testkit.omogen``, http://127.0.0.1:8095/sygne/api/v1). Unset: register imports answer 503."""
    return (os.environ.get("OMOGEN_SYGNE_URL") or "").strip() or None


def omogen_oauth_url() -> str | None:
    """Token endpoint of Omogen's OAuth client-credentials grant (unset: no bearer token is sent)."""
    return (os.environ.get("OMOGEN_OAUTH_URL") or "").strip() or None


def omogen_client_id() -> str | None:
    return os.environ.get("OMOGEN_CLIENT_ID")


def omogen_client_secret() -> str | None:
    return os.environ.get("OMOGEN_CLIENT_SECRET")


def omogen_timeout() -> float:
    return settings.env_float("OMOGEN_TIMEOUT", 10.0)


def register_interval() -> float:
    """How often the nightly-import timer looks for connected schools due (each is queued once a night)."""
    return settings.env_float("IDENTITY_REGISTER_INTERVAL", 300.0)


def register_queue_interval() -> float:
    """How often each replica takes the next queued register import (one school per tick)."""
    return settings.env_float("IDENTITY_REGISTER_QUEUE_INTERVAL", 1.0)
