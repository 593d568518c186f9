"""Time is an input. Domain code takes ``now``; services get it from a Clock.

``SystemClock`` reads the real time plus an optional offset, which a test
suite may move through the ``set_clock_offset`` RPC when the service runs
with ``STAGES_CLOCK_CONTROL=1`` (never in production).
"""
from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


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
