"""ISO weeks as "YYYY-Www" strings."""
from __future__ import annotations

import datetime as dt
import re

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(value) -> tuple[int, int] | None:
    if not isinstance(value, str):
        return None
    m = WEEK_RE.match(value)
    if not m:
        return None
    year, week = int(m.group(1)), int(m.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    return year, week


def is_week(value) -> bool:
    return parse_week(value) is not None


def monday(value: str) -> dt.date:
    year, week = parse_week(value)
    return dt.date.fromisocalendar(year, week, 1)


def friday(value: str) -> dt.date:
    year, week = parse_week(value)
    return dt.date.fromisocalendar(year, week, 5)


def week_of(day: dt.date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def is_past(value: str, now: dt.datetime) -> bool:
    """A week is past once its Friday is over (in UTC days: good enough for a whole week)."""
    return friday(value) < now.date()
