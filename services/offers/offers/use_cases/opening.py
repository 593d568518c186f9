"""The opening calendar of a school year (rules: ``domain/opening.py``): reading it, an admin setting it
(event ``calendar.changed``), and the search behind the pupils' browsing date. Publication
(``publication.publish_offer``, ``partner.partner_create``) and an offer's ``can_apply``
(``reading.view_offer``) ask ``check_publish`` / ``apply_closed`` with the same calendar."""
from __future__ import annotations

import datetime as dt

from common.clock import paris_date
from common.errors import ValidationError

from ..domain import access
from ..domain import calendar as cal
from ..domain import opening as op
from ..domain import search as sd
from . import search as search_uc


def _year(school_year: str | None, now: dt.datetime) -> str:
    year = school_year or cal.school_year_of(paris_date(now))
    if cal.check_school_year(year):
        raise ValidationError(None, {"school_year": [cal.MSG_YEAR_FORMAT]})
    return year


def get_opening(uow, school_year: str | None, now: dt.datetime) -> dict:
    """The year's opening dates (the current school year by default), what is open now, the proposed dates."""
    year = _year(school_year, now)
    with uow.begin() as repo:
        return op.view(year, repo.opening(year, cached=True), now)


def set_opening(uow, actor, school_year: str, grades: dict | None, now: dt.datetime) -> dict:
    """An admin sets a year's dates: ``grades`` {grade: {kind: ISO datetime or null}}; what it leaves out
    keeps the stored date, else the proposed one; null means no restriction. Naturally idempotent."""
    access.check_calendar_editor(actor)
    year = _year(school_year, now)
    with uow.begin() as repo:
        calendar, errors = op.merge(year, repo.opening(year), grades if grades is not None else {})
        if errors:
            raise ValidationError(None, errors)
        repo.save_opening(year, calendar, (actor or {}).get("user_id"), now)
        repo.emit("calendar.changed", {
            "school_year": year,
            "grades": {g: {k: (v.isoformat() if v is not None else None) for k, v in d.items()}
                       for g, d in calendar.items()}})
        return op.view(year, calendar, now)


def search(uow, reader, actor, params: dict, now: dt.datetime) -> dict:
    """The search, except for pupils (and anonymous visitors) before their grade's browsing date: then no
    offers and ``closed`` {code, message, opens_at} saying when (an answer, not an error: docs/rpc/offers.md)."""
    year = cal.school_year_of(paris_date(now))
    with uow.begin() as repo:
        calendar = repo.opening(year, cached=True)
    viewer = sd.viewer_from_actor(actor)
    grade = viewer.get("grade") if viewer.get("role") == "pupil" else (params or {}).get("grade")
    closed = op.browse_closed(now, grade if isinstance(grade, str) else None, calendar, actor)
    if closed is None:
        found = search_uc.search(reader, actor, params, now)
        if viewer.get("role") == "pupil":   # before the application date of the offer's year: no « Postuler »
            years = {i.get("school_year") for i in found["items"] if i.get("can_apply") and i.get("school_year")}
            with uow.begin() as repo:
                calendars = {y: repo.opening(y, cached=True) for y in years if not cal.check_school_year(y)}
            for item in found["items"]:
                if item.get("can_apply") and not op.may_apply(now, grade, calendars.get(item.get("school_year"))):
                    item["can_apply"] = False
        return found
    page = (params or {}).get("page") or 1
    return {"items": [], "page": page if isinstance(page, int) else 1, "per_page": 30, "has_more": False,
            "relaxed": False, "centre": None, "grade": grade if isinstance(grade, str) else None,
            "closed": closed}
