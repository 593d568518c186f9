"""Settings of the notifications service, read from the environment (never through nameko's YAML).

| variable | default | meaning |
| --- | --- | --- |
| STAGES_PUBLIC_URL | http://127.0.0.1:8080 | the web front end: every link of every message points there |
| SMTP_HOST / SMTP_PORT | 127.0.0.1 / 1025 | SMTP server (the local catcher in development) |
| SMTP_SECURITY | none | none, starttls or tls (implicit TLS) |
| SMTP_USERNAME / SMTP_PASSWORD | – | credentials (optional) |
| SMTP_FROM / SMTP_FROM_NAME | ne-pas-repondre@… / 1 élève, 1 stage | sender |
| SMTP_TIMEOUT / SMTP_VERIFY_TLS / SMTP_CA_FILE | 10 / 1 / – | |
| SMS_PROVIDER | log | log (development: writes to the log) or http |
| SMS_HTTP_URL / SMS_HTTP_TOKEN / SMS_SENDER | – / – / 1E1S | HTTP provider |
| NOTIFICATIONS_MAX_ATTEMPTS | 10 | attempts before a message is `failed` |
| NOTIFICATIONS_RETRY_BASE / NOTIFICATIONS_RETRY_MAX | 30 / 3600 | backoff (seconds): first delay, cap |
| NOTIFICATIONS_PROBE_INTERVAL | 5 | seconds between two tries of a channel whose server is unreachable (circuit open) |
| NOTIFICATIONS_DISPATCH_INTERVAL | 1 | seconds between two passes of the retry timer |
| NOTIFICATIONS_REMINDER_INTERVAL | 60 | seconds between two passes of the reminder timer |
| NOTIFICATIONS_RPC_TIMEOUT | 5 | deadline of the calls to identity, offers, applications, conventions |
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .channels.email import SmtpConfig
from .domain.records import RetryPolicy


def _float(env: dict, name: str, default: float) -> float:
    try:
        return float(env.get(name) or default)
    except ValueError:
        return default


@dataclass(frozen=True)
class Settings:
    base_url: str = "http://127.0.0.1:8080"
    smtp: SmtpConfig = field(default_factory=SmtpConfig)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    dispatch_interval: float = 1.0
    probe_interval: float = 5.0
    reminder_interval: float = 60.0
    rpc_timeout: float = 5.0


def load(env: dict | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    return Settings(
        # the same setting as identity's (printed sheets): one public address of the web front end
        base_url=(env.get("STAGES_PUBLIC_URL") or "http://127.0.0.1:8080").rstrip("/"),
        smtp=SmtpConfig.from_env(env),
        policy=RetryPolicy(max_attempts=int(_float(env, "NOTIFICATIONS_MAX_ATTEMPTS", 10)),
                           base_delay=_float(env, "NOTIFICATIONS_RETRY_BASE", 30),
                           max_delay=_float(env, "NOTIFICATIONS_RETRY_MAX", 3600)),
        dispatch_interval=_float(env, "NOTIFICATIONS_DISPATCH_INTERVAL", 1),
        probe_interval=_float(env, "NOTIFICATIONS_PROBE_INTERVAL", 5),
        reminder_interval=_float(env, "NOTIFICATIONS_REMINDER_INTERVAL", 60),
        rpc_timeout=_float(env, "NOTIFICATIONS_RPC_TIMEOUT", 5),
    )


SETTINGS = load()
