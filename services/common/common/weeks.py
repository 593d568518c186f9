"""ISO weeks ("YYYY-Www") and the one definition of a past week. Pure: no I/O, no settings.

* ``parse_week("2026-W37") -> (2026, 37)``; None for anything that is not a real ISO week.
* An internship week runs Monday to Friday. **A week is past once its Friday is over in
  Paris**: on the Saturday and Sunday that end it, the week is past for every service
  (offers, applications, conventions). ``week_is_past`` takes the instant ``now`` (converted with
  ``common.clock.paris_date``) or a date that already is the Paris date.
"""
from __future__ import annotations

import datetime as dt
import re

from .clock import paris_date

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

MSG_WEEK_FORMAT = "Semaine invalide (format attendu : AAAA-Snn, par exemple 2027-W03)."


def parse_week(value) -> tuple[int, int] | None:
    """'2026-W37' -> (2026, 37), or None when it is not a real ISO week."""
    if not isinstance(value, str):
        return None
    m = WEEK_RE.match(value.strip())
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


def week_key(day: dt.date) -> str:
    """The ISO week of ``day``: date(2027, 1, 1) -> '2026-W53'."""
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def week_monday(week: str) -> dt.date:
    parsed = parse_week(week)
    if parsed is None:
        raise ValueError(f"not an ISO week: {week!r}")
    return dt.date.fromisocalendar(parsed[0], parsed[1], 1)


def week_friday(week: str) -> dt.date:
    return week_monday(week) + dt.timedelta(days=4)


def week_days(week: str) -> list[dt.date]:
    """Monday to Friday of ``week``."""
    monday = week_monday(week)
    return [monday + dt.timedelta(days=i) for i in range(5)]


def weeks_between(first: dt.date, last: dt.date) -> list[str]:
    """Every ISO week touching [first, last]."""
    out = []
    day = first - dt.timedelta(days=first.weekday())
    while day <= last:
        out.append(week_key(day))
        day += dt.timedelta(days=7)
    return out


def _today(now: dt.datetime | dt.date) -> dt.date:
    if isinstance(now, dt.datetime):
        return paris_date(now)
    return now


def week_is_past(week: str, now: dt.datetime | dt.date) -> bool:
    """True once the Friday of ``week`` is over in Paris (from its Saturday on).

    ``now``: a timezone-aware instant, or a date that is already the Paris date."""
    return week_friday(week) < _today(now)


def period_of_weeks(weeks) -> dict | None:
    """{'start': Monday of the first week, 'end': Friday of the last} (ISO dates), or None."""
    parsed = sorted(p for p in (parse_week(w) for w in weeks or []) if p)
    if not parsed:
        return None
    start = dt.date.fromisocalendar(parsed[0][0], parsed[0][1], 1)
    end = dt.date.fromisocalendar(parsed[-1][0], parsed[-1][1], 5)
    return {"start": start.isoformat(), "end": end.isoformat()}
