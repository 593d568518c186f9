"""Login lockout and sliding-window rate limits, as pure functions over timestamps."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

MAX_FAILURES = 8
LOCK_DURATION = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class LockState:
    failed_count: int = 0
    locked_until: dt.datetime | None = None


def is_locked(state: LockState, now: dt.datetime) -> bool:
    return state.locked_until is not None and now < state.locked_until


def lock_retry_after(state: LockState, now: dt.datetime) -> int:
    """Seconds until the lock ends (0 when not locked)."""
    if not is_locked(state, now):
        return 0
    return max(1, math.ceil((state.locked_until - now).total_seconds()))


def after_failure(state: LockState, now: dt.datetime, max_failures: int = MAX_FAILURES,
                  lock_duration: dt.timedelta = LOCK_DURATION) -> LockState:
    """A wrong password. The ``max_failures``-th consecutive failure locks the account.
    An expired lock starts a fresh count."""
    count = state.failed_count
    if state.locked_until is not None and now >= state.locked_until:
        count = 0
    count += 1
    if count >= max_failures:
        return LockState(failed_count=0, locked_until=now + lock_duration)
    return LockState(failed_count=count, locked_until=state.locked_until if is_locked(state, now) else None)


def after_success(state: LockState) -> LockState:
    return LockState(0, None)


# --- sliding windows --------------------------------------------------------

@dataclass(frozen=True)
class Limit:
    max_events: int
    window: dt.timedelta


# Defaults; the service can override them from its config (IDENTITY_LIMIT_<NAME>="<count>/<seconds>").
# Per account first; per client address only as a backstop high enough for a school or a family behind
# one address (a class of 35 pupils activating together, with their typos, passes).
LOGIN_PER_ACCOUNT = Limit(60, dt.timedelta(minutes=15))
LOGIN_FAILURES_PER_IP = Limit(1000, dt.timedelta(minutes=15))  # failed logins only
RESET_PER_ACCOUNT = Limit(3, dt.timedelta(hours=1))
RESET_PER_IP = Limit(300, dt.timedelta(hours=1))
PUPIL_ACTIVATE_PER_IP = Limit(300, dt.timedelta(minutes=15))   # failed codes only
EVENT_RETENTION = dt.timedelta(days=1)   # longer than every window above: older events are pruned


@dataclass(frozen=True)
class WindowDecision:
    allowed: bool
    retry_after: int          # seconds; 0 when allowed
    kept: tuple = field(default_factory=tuple)  # timestamps still inside the window (plus now if allowed)


def sliding_window(timestamps, now: dt.datetime, limit: Limit) -> WindowDecision:
    """Decide whether one more event at ``now`` fits in ``limit`` given the
    earlier events' ``timestamps``. When allowed, ``kept`` includes ``now``."""
    start = now - limit.window
    kept = sorted(t for t in timestamps if t > start)
    if len(kept) < limit.max_events:
        return WindowDecision(True, 0, tuple(kept) + (now,))
    # The oldest event that must leave the window before one more fits.
    oldest_blocking = kept[len(kept) - limit.max_events]
    retry = math.ceil((oldest_blocking + limit.window - now).total_seconds())
    return WindowDecision(False, max(1, retry), tuple(kept))


def window_start(now: dt.datetime, limit: Limit) -> dt.datetime:
    return now - limit.window
