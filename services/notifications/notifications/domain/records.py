"""The life of one message record, and its idempotency key.

A record is one message to one recipient on one channel. States:

    pending --(sent)--> sent
    pending --(temporary failure, attempts < max)--> pending (next_attempt_at = now + backoff)
    pending --(temporary failure, attempts == max | permanent failure)--> failed
    pending --(server unreachable: an outage)--> pending (due again; the channel's circuit paces retries)
    pending --(opted out, no address)--> skipped
    pending --(no longer relevant: a reminder overtaken by events)--> cancelled
    failed  --(an admin retries)--> pending

Backoff is exponential with "equal jitter": the n-th failure waits
``d/2 + U(0, d/2)`` with ``d = min(cap, base * 2**(n-1))``, from ``now``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, replace

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
SKIPPED = "skipped"
CANCELLED = "cancelled"
STATUSES = (PENDING, SENT, FAILED, SKIPPED, CANCELLED)
FINAL = (SENT, FAILED, SKIPPED, CANCELLED)

DEFAULT_MAX_ATTEMPTS = 10
DEFAULT_BASE_DELAY = 30.0      # seconds
DEFAULT_MAX_DELAY = 3600.0     # one hour


class InvalidTransition(ValueError):
    pass


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_delay: float = DEFAULT_BASE_DELAY
    max_delay: float = DEFAULT_MAX_DELAY

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``failures``-th failure (1-based)."""
        if failures < 1:
            return 0.0
        d = min(self.max_delay, self.base_delay * (2 ** (failures - 1)))
        r = (rng or random).random()
        return d / 2 + r * (d / 2)

    def worst_case_total(self) -> float:
        """Upper bound of the time between the first attempt and ``failed``."""
        return sum(min(self.max_delay, self.base_delay * 2 ** (n - 1)) for n in range(1, self.max_attempts))


@dataclass(frozen=True)
class Delivery:
    status: str = PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None
    sent_at: dt.datetime | None = None


def new_delivery(now: dt.datetime, not_before: dt.datetime | None = None) -> Delivery:
    _aware(now)
    return Delivery(PENDING, 0, max(now, not_before) if not_before else now)


def is_due(d: Delivery, now: dt.datetime) -> bool:
    return d.status == PENDING and (d.next_attempt_at is None or d.next_attempt_at <= now)


def mark_sent(d: Delivery, now: dt.datetime) -> Delivery:
    _require(d, PENDING, "sent")
    return replace(d, status=SENT, attempts=d.attempts + 1, sent_at=now, next_attempt_at=None, last_error=None)


def mark_failure(d: Delivery, now: dt.datetime, error: str, *, permanent: bool = False,
                 policy: RetryPolicy = RetryPolicy(), rng: random.Random | None = None) -> Delivery:
    """Record one failed attempt; schedule the next one or give up."""
    _require(d, PENDING, "failure")
    attempts = d.attempts + 1
    error = (error or "")[:1000]
    if permanent or attempts >= policy.max_attempts:
        return replace(d, status=FAILED, attempts=attempts, last_error=error, next_attempt_at=None)
    wait = policy.delay(attempts, rng)
    return replace(d, attempts=attempts, last_error=error, next_attempt_at=now + dt.timedelta(seconds=wait))


def mark_unreachable(d: Delivery, now: dt.datetime, error: str) -> Delivery:
    """The server of the channel is unreachable (an outage, see ``circuit``): the attempt is counted, the
    message stays pending and due; the channel's circuit paces the next tries."""
    _require(d, PENDING, "failure")
    return replace(d, attempts=d.attempts + 1, last_error=(error or "")[:1000], next_attempt_at=now)


def mark_skipped(d: Delivery, reason: str) -> Delivery:
    _require(d, PENDING, "skip")
    return replace(d, status=SKIPPED, last_error=reason, next_attempt_at=None)


def mark_cancelled(d: Delivery, reason: str = "") -> Delivery:
    _require(d, PENDING, "cancel")
    return replace(d, status=CANCELLED, last_error=reason or None, next_attempt_at=None)


def retry_failed(d: Delivery, now: dt.datetime) -> Delivery:
    """An admin sends a failed message again: a fresh round of attempts."""
    _require(d, FAILED, "retry")
    return replace(d, status=PENDING, attempts=0, next_attempt_at=now)


def _require(d: Delivery, status: str, action: str) -> None:
    if d.status != status:
        raise InvalidTransition(f"cannot {action} a message in state {d.status!r}")


def _aware(now: dt.datetime) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")


def message_key(event_id: str, recipient_key: str, template: str) -> str:
    """Idempotency key of a message: (event, recipient, template).

    The same event handled twice, or a direct message sent twice with the same
    key, yields the same key; the database holds it unique per channel."""
    raw = "\x1f".join((str(event_id), str(recipient_key), str(template)))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
