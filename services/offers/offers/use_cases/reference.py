"""Reference answers: the 51 sectors, finding a commune, the school calendar of a year and its admin
override (which moves the offers whose weeks follow the calendar)."""
from __future__ import annotations

import datetime as dt

from common.clock import paris_date
from common.errors import ValidationError

from ..domain import access
from ..domain import calendar as cal
from ..domain import places
from ..domain.organisation import public_employer_types
from ..domain.search import index_columns
from ..domain.sectors import sector_list

OVERRIDE_DATES = ("college_start", "college_end", "seconde_week1_start")


def sectors() -> list[dict]:
    return sector_list()


def find_places(uow, q: str, limit: int = 10) -> dict:
    """Communes matching a name, a postal code or an address (rules: ``domain/places.py``)."""
    with uow.read() as queries:
        items = places.rank(queries.communes_for_places(places.key), q, limit)
        return {"items": [{k: v for k, v in c.items() if not k.startswith("_")} for c in items]}


def calendar_view(uow, school_year: str | None, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        return _calendar_view(repo, school_year, now)


def _calendar_view(repo, school_year: str | None, now: dt.datetime) -> dict:
    year = school_year or cal.school_year_of(paris_date(now))
    if cal.check_school_year(year):
        raise ValidationError(None, {"school_year": [cal.MSG_YEAR_FORMAT]})
    overrides = repo.overrides()
    out = cal.calendar_view(year, overrides.get(year))
    out["overridden"] = year in overrides
    out["public_employer_types"] = public_employer_types()
    return out


def set_calendar_override(uow, actor, school_year: str, dates: dict, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        access.check_calendar_editor(actor)
        dates = dates or {}
        errs = {}
        if cal.check_school_year(school_year):
            errs["school_year"] = [cal.MSG_YEAR_FORMAT]
        errs.update(cal.check_override(dates))
        if errs:
            raise ValidationError(None, errs)
        values = {k: (dt.date.fromisoformat(v) if isinstance(v, str) else v) for k, v in dates.items()
                  if k in OVERRIDE_DATES}
        if "holiday_weeks" in dates:
            values["holiday_weeks"] = cal.clean_holiday_weeks(dates["holiday_weeks"])
        repo.save_override(school_year, values, (actor or {}).get("user_id"), now)
        # offers whose weeks follow the calendar (all year, 2nde periods) move with it
        overrides = repo.overrides()
        for row in repo.following_calendar(school_year):
            repo.change(row["id"], {"updated_at": now, **index_columns(row, overrides)})
        return _calendar_view(repo, school_year, now)
