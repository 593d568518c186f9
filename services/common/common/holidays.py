"""School holidays by zone (A, B, C) and public holidays, from maintained packages.

* School holidays: the ministry's calendar as shipped by the PyPI package
  ``vacances-scolaires-france`` (dates for every zone; data up to its last published year).
* Public holidays: the ``holidays`` package (metropolitan France).
* Académie -> zone: ``data/reference/academie_zones.csv`` (Corse and the overseas académies have
  no A/B/C zone: ``zone_of_academie`` answers None for them).

A week is a **holiday week in a zone** when none of its days from Monday to Friday is a school day
there (each is a school holiday of the zone or a public holiday). Beyond the package's data,
``holiday_zones`` raises ``HolidayCalendarUnknown`` (never a silent "no holiday"); an admin's
override of the year's holiday weeks (``{"A": [weeks], "B": [...], "C": [...]}``) answers instead.

Nothing is read at import time: the package data and the CSV are loaded on first use.
"""
from __future__ import annotations

import csv
import datetime as dt
import functools
from pathlib import Path

from . import weeks as W

ZONES = ("A", "B", "C")


class HolidayCalendarUnknown(Exception):
    """The official school-holiday calendar of ``year`` is not known to the platform."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"Le calendrier officiel des vacances scolaires de {year} n'est pas encore connu de la plateforme : "
            f"un administrateur doit renseigner les semaines de vacances de cette année scolaire.")


@functools.lru_cache(maxsize=1)
def _school_dates():
    from vacances_scolaires_france import SchoolHolidayDates
    return SchoolHolidayDates()


@functools.lru_cache(maxsize=64)
def _public_holidays(year: int):
    import holidays
    return holidays.France(years=year)


def is_school_holiday(day: dt.date, zone: str) -> bool:
    from vacances_scolaires_france import UnsupportedYearException
    try:
        return bool(_school_dates().is_holiday_for_zone(day, zone))
    except UnsupportedYearException:
        raise HolidayCalendarUnknown(day.year) from None


def is_public_holiday(day: dt.date) -> bool:
    return day in _public_holidays(day.year)


def is_day_off(day: dt.date, zone: str) -> bool:
    """No school that day in ``zone`` (school holiday or public holiday)."""
    return is_public_holiday(day) or is_school_holiday(day, zone)


def holiday_zones(week: str, override: dict | None = None) -> tuple[str, ...]:
    """The zones (subset of A, B, C, in order) for which ``week`` has no school day.

    ``override``: an admin's list of holiday weeks per zone for the week's school year; when given
    it replaces the package's calendar. Raises HolidayCalendarUnknown beyond the package's data."""
    if override is not None:
        return tuple(z for z in ZONES if week in (override.get(z) or ()))
    days = W.week_days(week)
    return tuple(z for z in ZONES if all(is_day_off(d, z) for d in days))


def is_holiday_everywhere(week: str, override: dict | None = None) -> bool:
    return holiday_zones(week, override) == ZONES


@functools.lru_cache(maxsize=1)
def _zones_by_academie(path: str) -> dict:
    out: dict[str, str | None] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            zone = (row.get("school_holiday_zone") or "").strip() or None
            out[row["academie_code"].strip()] = zone
            out[_key(row["academie_name"])] = zone
    return out


def _key(name: str) -> str:
    from .validation import fold
    return fold(name or "").replace("-", " ").replace("'", " ").strip()


def zone_of_academie(academie: str | None, data_dir: str | Path | None = None) -> str | None:
    """The school-holiday zone of an académie given by its code ("01") or name ("Paris"); None when
    unknown or outside the A/B/C zones (Corse, overseas)."""
    if not academie:
        return None
    if data_dir is None:
        from . import settings
        data_dir = settings.data_dir()
    table = _zones_by_academie(str(Path(data_dir) / "academie_zones.csv"))
    value = str(academie).strip()
    return table.get(value) or table.get(_key(value))
