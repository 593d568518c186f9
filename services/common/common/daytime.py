"""Times of day of a pupil's internship: one syntax, one legal window (pure).

A pupil under 18 may not work between 20:00 and 06:00 (code du travail, L. 3163-1 and L. 3163-2): an
offer's hours and an agreement's schedule both stay within ``EARLIEST``–``LATEST``.
"""
from __future__ import annotations

import re

EARLIEST = 6 * 60          # minutes since midnight
LATEST = 20 * 60

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_time(value) -> int | None:
    """'09:30' -> 570 minutes since midnight, or None when the value is not an HH:MM time."""
    if not isinstance(value, str):
        return None
    m = _TIME.match(value.strip())
    if not m:
        return None
    return int(m.group(1)) * 60 + int(m.group(2))


def within_legal_day(minutes: int) -> bool:
    return EARLIEST <= minutes <= LATEST


def fmt_minutes(minutes: int) -> str:
    """570 -> '9 h 30', 540 -> '9 h' (the French way of writing a time or a duration)."""
    h, m = divmod(int(minutes), 60)
    return f"{h} h {m:02d}" if m else f"{h} h"
