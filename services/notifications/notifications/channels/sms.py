"""SMS: a provider interface, an HTTP provider and a development provider.

``HttpSmsProvider`` posts ``{"to": "+33612345678", "text": "...", "sender": "1E1S",
"reference": "<message key>"}`` as JSON to a configurable URL with
``Authorization: Bearer <token>``; a 2xx answer is a success, 429/5xx or a
network error a temporary failure, any other 4xx a permanent one.

``LogSmsProvider`` writes the SMS to the log (development): nothing leaves
the machine.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Protocol

from .email import PermanentFailure, TemporaryFailure, Unreachable

log = logging.getLogger("notifications.sms")


class SmsProvider(Protocol):
    def send(self, *, to: str, text: str, reference: str | None = None) -> str | None:
        """Send one SMS; returns the provider's id when it gives one.
        Raises TemporaryFailure or PermanentFailure."""


class LogSmsProvider:
    name = "log"

    def __init__(self, logger: logging.Logger | None = None):
        self.log = logger or log
        self.sent: list[dict] = []

    def send(self, *, to: str, text: str, reference: str | None = None) -> str | None:
        self.log.info("SMS (development, not sent) to %s: %s", to, text,
                      extra={"sms_to": to, "sms_reference": reference})
        self.sent.append({"to": to, "text": text, "reference": reference})
        return f"log-{len(self.sent)}"


class HttpSmsProvider:
    name = "http"

    def __init__(self, url: str, token: str, sender: str = "1E1S", timeout: float = 10.0):
        if not url:
            raise ValueError("the SMS provider URL is required")
        self.url = url
        self.token = token
        self.sender = sender
        self.timeout = timeout

    def send(self, *, to: str, text: str, reference: str | None = None) -> str | None:
        body = json.dumps({"to": to, "text": text, "sender": self.sender, "reference": reference}).encode()
        req = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "Accept": "application/json",
            "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read()[:300].decode("utf-8", "replace")
            if e.code == 429 or e.code >= 500:
                raise TemporaryFailure(f"SMS provider answered {e.code}: {detail}") from e
            raise PermanentFailure(f"SMS provider refused ({e.code}): {detail}") from e
        except (urllib.error.URLError, OSError) as e:
            raise Unreachable(f"SMS provider unreachable: {e}") from e
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            return None
        return str(answer.get("id")) if isinstance(answer, dict) and answer.get("id") is not None else None


def provider_from_env(env: dict) -> SmsProvider:
    kind = (env.get("SMS_PROVIDER") or "log").lower()
    if kind == "http":
        return HttpSmsProvider(env.get("SMS_HTTP_URL", ""), env.get("SMS_HTTP_TOKEN", ""),
                               env.get("SMS_SENDER", "1E1S"), float(env.get("SMS_TIMEOUT", 10)))
    if kind == "log":
        return LogSmsProvider()
    raise ValueError(f"SMS_PROVIDER must be 'log' or 'http', not {kind!r}")
