"""The internship calendar.

* A school year is keyed "2026-2027" and turns on 1 July.
* 2nde (lycée): the two last weeks of June of the school year's second civil
  year, ending on the last Friday of June (2026: 15-19 and 22-26 June).
  An offer takes "both" weeks, "week1" or "week2".
* 4e/3e (collège): any ISO weeks from the first Monday on or after
  1 September to the week of the last Friday before 1 June, or "all year".
* An admin may override a year's dates with a dict
  ``{"college_start": date, "college_end": date, "seconde_week1_start": date}``
  (any subset); missing keys keep the computed default.
"""
from __future__ import annotations

import datetime as dt
import re

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")

SECONDE_PERIODS = ("both", "week1", "week2")
SECONDE_PERIOD_LABELS = {
    "both": "Les deux semaines",
    "week1": "Semaine 1",
    "week2": "Semaine 2",
}

MSG_WEEK_FORMAT = "Semaine invalide (format attendu : AAAA-Snn, par exemple 2027-W03)."
MSG_YEAR_FORMAT = "Année scolaire invalide (format attendu : 2026-2027)."


# -- weeks -----------------------------------------------------------------

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


def check_week(value) -> str | None:
    return None if parse_week(value) else MSG_WEEK_FORMAT


def week_key(day: dt.date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def week_monday(week: str) -> dt.date:
    y, w = parse_week(week)  # type: ignore[misc]
    return dt.date.fromisocalendar(y, w, 1)


def week_friday(week: str) -> dt.date:
    return week_monday(week) + dt.timedelta(days=4)


def week_saturday(week: str) -> dt.date:
    return week_monday(week) + dt.timedelta(days=5)


def week_is_past(week: str, today: dt.date) -> bool:
    """A week is past once its Saturday is gone (it can still be worked on Saturday)."""
    return week_saturday(week) < today


def weeks_between(first: dt.date, last: dt.date) -> list[str]:
    """Every ISO week touching [first, last]."""
    out = []
    day = first - dt.timedelta(days=first.weekday())
    while day <= last:
        out.append(week_key(day))
        day += dt.timedelta(days=7)
    return out


# -- school years -----------------------------------------------------------

def school_year_of(day: dt.date) -> str:
    """The school year a day belongs to; it turns on 1 July."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{start + 1}"


def parse_school_year(value) -> int | None:
    """'2026-2027' -> 2026 (the first civil year), None if malformed."""
    if not isinstance(value, str):
        return None
    m = YEAR_RE.match(value.strip())
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        return None
    return int(m.group(1))


def check_school_year(value) -> str | None:
    return None if parse_school_year(value) is not None else MSG_YEAR_FORMAT


def next_school_year(year: str) -> str:
    start = parse_school_year(year)
    return f"{start + 1}-{start + 2}"


def school_year_bounds(year: str) -> tuple[dt.date, dt.date]:
    start = parse_school_year(year)
    return dt.date(start, 7, 1), dt.date(start + 1, 6, 30)


def _last_friday_of_june(civil_year: int) -> dt.date:
    day = dt.date(civil_year, 6, 30)
    while day.weekday() != 4:
        day -= dt.timedelta(days=1)
    return day


def _first_monday_from(day: dt.date) -> dt.date:
    while day.weekday() != 0:
        day += dt.timedelta(days=1)
    return day


def _last_friday_before(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() != 4:
        day -= dt.timedelta(days=1)
    return day


def year_dates(year: str, override: dict | None = None) -> dict:
    """Key dates of a school year (with the admin's override applied)."""
    start = parse_school_year(year)
    if start is None:
        raise ValueError(f"bad school year {year!r}")
    override = override or {}
    college_start = override.get("college_start") or _first_monday_from(dt.date(start, 9, 1))
    college_end = override.get("college_end") or _last_friday_before(dt.date(start + 1, 6, 1))
    s1 = override.get("seconde_week1_start")
    if s1 is None:
        s2_end = _last_friday_of_june(start + 1)
        s1 = s2_end - dt.timedelta(days=11)  # Monday of the week before
    s1 = _as_date(s1)
    return {
        "school_year": year,
        "college_start": _as_date(college_start),
        "college_end": _as_date(college_end),
        "seconde_week1_start": s1,
        "seconde_week1_end": s1 + dt.timedelta(days=4),
        "seconde_week2_start": s1 + dt.timedelta(days=7),
        "seconde_week2_end": s1 + dt.timedelta(days=11),
    }


def _as_date(v) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(v)


def college_weeks(year: str, override: dict | None = None) -> list[str]:
    """ISO weeks a 4e/3e offer may take in that school year."""
    d = year_dates(year, override)
    return weeks_between(d["college_start"], d["college_end"])


def seconde_weeks(year: str, period: str = "both", override: dict | None = None) -> list[str]:
    d = year_dates(year, override)
    w1, w2 = week_key(d["seconde_week1_start"]), week_key(d["seconde_week2_start"])
    return {"both": [w1, w2], "week1": [w1], "week2": [w2]}[period]


def seconde_period_dates(year: str, period: str, override: dict | None = None) -> tuple[dt.date, dt.date]:
    d = year_dates(year, override)
    if period == "week1":
        return d["seconde_week1_start"], d["seconde_week1_end"]
    if period == "week2":
        return d["seconde_week2_start"], d["seconde_week2_end"]
    return d["seconde_week1_start"], d["seconde_week2_end"]


def offerable_school_years(today: dt.date) -> list[str]:
    """The current school year and the next one (employers prepare ahead)."""
    cur = school_year_of(today)
    return [cur, next_school_year(cur)]


def calendar_view(year: str, override: dict | None = None) -> dict:
    """JSON-ready description of a year's calendar (for GET /offers/calendar)."""
    d = year_dates(year, override)
    return {
        "school_year": year,
        "college": {
            "start": d["college_start"].isoformat(),
            "end": d["college_end"].isoformat(),
            "weeks": college_weeks(year, override),
        },
        "seconde": {
            p: {"weeks": seconde_weeks(year, p, override),
                "start": seconde_period_dates(year, p, override)[0].isoformat(),
                "end": seconde_period_dates(year, p, override)[1].isoformat(),
                "label": SECONDE_PERIOD_LABELS[p]}
            for p in SECONDE_PERIODS
        },
    }


def check_override(override: dict) -> dict:
    """Field errors of an admin override of a year's dates ({} when fine)."""
    errors: dict[str, list[str]] = {}
    parsed = {}
    for key in ("college_start", "college_end", "seconde_week1_start"):
        if key in override and override[key] is not None:
            try:
                parsed[key] = _as_date(override[key])
            except (TypeError, ValueError):
                errors.setdefault(key, []).append("Date invalide (format attendu : AAAA-MM-JJ).")
    if "college_start" in parsed and "college_end" in parsed and parsed["college_start"] >= parsed["college_end"]:
        errors.setdefault("college_end", []).append("La fin doit être postérieure au début.")
    if "seconde_week1_start" in parsed and parsed["seconde_week1_start"].weekday() != 0:
        errors.setdefault("seconde_week1_start", []).append("La semaine 1 doit commencer un lundi.")
    return errors
