"""ISO weeks ("YYYY-Www") to dates."""
from __future__ import annotations

import datetime as dt
import re

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> tuple[int, int] | None:
    m = _WEEK.match(week or "")
    if not m:
        return None
    year, num = int(m.group(1)), int(m.group(2))
    try:
        dt.date.fromisocalendar(year, num, 1)
    except ValueError:
        return None
    return year, num


def period_of_weeks(weeks: list[str]) -> dict | None:
    """{'start': Monday of the first week, 'end': Friday of the last} (ISO dates), or None."""
    parsed = sorted(p for p in (parse_week(w) for w in weeks or []) if p)
    if not parsed:
        return None
    start = dt.date.fromisocalendar(parsed[0][0], parsed[0][1], 1)
    end = dt.date.fromisocalendar(parsed[-1][0], parsed[-1][1], 5)
    return {"start": start.isoformat(), "end": end.isoformat()}
