"""Time is an input. Domain code takes ``now``; services get it from a Clock.

The platform's day is the calendar date in Europe/Paris: ``paris_date(now)`` is the one
function that turns an instant into that date (offers, applications, conventions and
notifications all use it), and ``to_paris`` gives the local time shown to people.

``SystemClock`` reads the real time plus an optional offset, which a test
suite may move through the ``set_clock_offset`` RPC when the service runs
with ``STAGES_CLOCK_CONTROL=1`` (never in production).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
PARIS = ZoneInfo("Europe/Paris")


def to_paris(at: dt.datetime) -> dt.datetime:
    """``at`` (timezone-aware) as Europe/Paris local time."""
    if at.tzinfo is None:
        raise ValueError("a timezone-aware datetime is required")
    return at.astimezone(PARIS)


def paris_date(now: dt.datetime) -> dt.date:
    """The platform's day: the Europe/Paris calendar date of the instant ``now`` (DST included)."""
    return to_paris(now).date()


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class SystemClock:
    def __init__(self, offset_seconds: float = 0.0):
        self.offset = dt.timedelta(seconds=offset_seconds)

    def now(self) -> dt.datetime:
        return utcnow() + self.offset

    def set_offset(self, seconds: float) -> None:
        self.offset = dt.timedelta(seconds=seconds)


class FixedClock:
    """A clock for tests: stands still until moved."""

    def __init__(self, at: dt.datetime | None = None):
        self.at = at or dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def now(self) -> dt.datetime:
        return self.at

    def advance(self, **delta) -> dt.datetime:
        self.at = self.at + dt.timedelta(**delta)
        return self.at

    def set(self, at: dt.datetime) -> None:
        self.at = at


# The clock of this process: every Clock dependency and the outbox share it,
# so moving it (tests only) moves every time rule of the service at once.
PROCESS_CLOCK = SystemClock()
