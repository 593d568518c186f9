"""The internship calendar.

* A school year is keyed "2026-2027" and turns on 1 July.
* 2nde (lycée): the two last weeks of June of the school year's second civil
  year, ending on the last Friday of June (2026: 15-19 and 22-26 June).
  An offer takes "both" weeks, "week1" or "week2".
* 4e/3e (collège): any ISO weeks from the first Monday on or after
  1 September to the week of the last Friday before 1 June, or "all year".
* School holidays: the official calendar by zone (A, B, C) comes from ``common.holidays``
  (package ``vacances-scolaires-france`` plus public holidays). A week without any school day in
  every zone (Toussaint, Christmas) is not a 4e/3e week: ``college_weeks`` leaves it out and an
  offer may not take it. Weeks that are holidays in some zones only stay; a pupil cannot pick one
  that is a holiday in their school's zone (the applications service checks it with the offer's
  ``holiday_weeks``). Beyond the package's data the calendar is unknown: an offer for such a week
  is refused with a clear message until an admin gives the year's holiday weeks.
* An admin may override a year's dates with a dict
  ``{"college_start": date, "college_end": date, "seconde_week1_start": date,
  "holiday_weeks": {"A": [weeks], "B": [weeks], "C": [weeks]}}``
  (any subset); missing keys keep the computed default (``holiday_weeks`` replaces the official
  holiday calendar for that school year).
"""
from __future__ import annotations

import datetime as dt
import re

from common import holidays as H
from common import weeks as W

YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")

SECONDE_PERIODS = ("both", "week1", "week2")
SECONDE_PERIOD_LABELS = {
    "both": "Les deux semaines",
    "week1": "Semaine 1",
    "week2": "Semaine 2",
}

MSG_WEEK_FORMAT = W.MSG_WEEK_FORMAT
MSG_YEAR_FORMAT = "Année scolaire invalide (format attendu : 2026-2027)."


# -- weeks -----------------------------------------------------------------
# One home for ISO weeks and "is this week past?": common.weeks (shared by every service).
parse_week = W.parse_week
week_key = W.week_key
week_monday = W.week_monday
week_friday = W.week_friday
week_is_past = W.week_is_past
weeks_between = W.weeks_between


def check_week(value) -> str | None:
    return None if parse_week(value) else MSG_WEEK_FORMAT


# -- school holidays ---------------------------------------------------------
ZONES = H.ZONES
HolidayCalendarUnknown = H.HolidayCalendarUnknown


def holiday_zones(week: str, override: dict | None = None) -> tuple[str, ...]:
    """Zones where ``week`` has no school day; ``override``: the admin's override of the week's
    school year (its ``holiday_weeks`` replace the official calendar). Raises HolidayCalendarUnknown."""
    return H.holiday_zones(week, (override or {}).get("holiday_weeks"))


def known_holiday_zones(week: str, override: dict | None = None) -> tuple[str, ...] | None:
    """``holiday_zones``, or None when the calendar of the week is unknown."""
    try:
        return holiday_zones(week, override)
    except HolidayCalendarUnknown:
        return None


def holiday_weeks(weeks, overrides: dict | None = None) -> dict[str, list[str]]:
    """{week: [zones]} for those of ``weeks`` that are holidays in at least one zone (known calendars
    only). ``overrides``: the admin's overrides by school year."""
    overrides = overrides or {}
    out = {}
    for w in weeks or ():
        if parse_week(w) is None:
            continue
        zones = known_holiday_zones(w, overrides.get(school_year_of(week_monday(w))))
        if zones:
            out[w] = list(zones)
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
    """ISO weeks a 4e/3e offer may take in that school year: every week from the start to the end of
    the collège period except the weeks that are school holidays in every zone (weeks of a year whose
    holiday calendar is unknown are kept here; ``college_calendar_problem`` refuses them)."""
    d = year_dates(year, override)
    return [w for w in weeks_between(d["college_start"], d["college_end"])
            if known_holiday_zones(w, override) != ZONES]


def college_calendar_problem(year: str, override: dict | None = None) -> str | None:
    """The French message saying why the holiday calendar of ``year`` is unknown, or None."""
    d = year_dates(year, override)
    for w in weeks_between(d["college_start"], d["college_end"]):
        try:
            holiday_zones(w, override)
        except HolidayCalendarUnknown as exc:
            return str(exc)
    return None


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
            # weeks with school holidays in some zones: {week: [zones]}
            "holiday_weeks": holiday_weeks(college_weeks(year, override), {year: override or {}}),
            "holiday_calendar": ("override" if (override or {}).get("holiday_weeks") is not None
                                 else "unknown" if college_calendar_problem(year, override) else "official"),
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
    hw = override.get("holiday_weeks")
    if hw is not None:
        if not isinstance(hw, dict) or any(z not in ZONES for z in hw):
            errors.setdefault("holiday_weeks", []).append(
                "Indiquez les semaines de vacances par zone : {\"A\": [...], \"B\": [...], \"C\": [...]}.")
        else:
            for z, weeks in hw.items():
                if not isinstance(weeks, list) or any(parse_week(w) is None for w in weeks):
                    errors.setdefault(f"holiday_weeks.{z}", []).append(MSG_WEEK_FORMAT)
    return errors


def clean_holiday_weeks(hw) -> dict | None:
    """The override's holiday weeks as stored: every zone present, weeks sorted and unique."""
    if hw is None:
        return None
    return {z: sorted({w.strip() for w in hw.get(z) or []}) for z in ZONES}
