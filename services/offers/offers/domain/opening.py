"""The opening calendar of a school year (pure): per grade, from when employers may publish offers
(``publish_from``), pupils may browse them (``browse_from``) and pupils may apply (``apply_from``).

(``domain/calendar.py`` is the other calendar: the weeks an internship may take.)

* A calendar is ``{grade: {"publish_from": dt|None, "browse_from": dt|None, "apply_from": dt|None}}``
  (tz-aware UTC); None, or a year an admin never set (``{}``), means no restriction: the platform never
  closes itself on a date nobody chose (decision of issue 21, docs/operations.md « Calendrier d'ouverture »).
* Proposed dates (``defaults(year)``), what the admin page pre-fills and what an admin's PUT takes for a
  grade or a date it leaves out: the 2025 dates (employers Tuesday 21 January 2025 at 14:00 Paris time,
  pupils Thursday 13 February 2025) generalised: employers from the third Tuesday of January of the school
  year's second civil year at 14:00, pupils (browse and apply) from the second Thursday of February at
  00:00, every grade alike. For 2024-2025 this gives exactly the 2025 dates.
* Who is subject: publication, employers and operators (admins are not); browsing, pupils and anonymous
  visitors (staff, employers, operators, statisticians and admins always see offers); applying, pupils.
* The time rule itself (``is_open``) and its French sentences live in ``common.opening``, shared with
  the applications service.
"""
from __future__ import annotations

import datetime as dt

from common import opening as O
from common.clock import PARIS
from common.errors import Forbidden

from . import calendar as cal

GRADES = O.GRADES
KINDS = O.KINDS
PUBLISH_HOUR = 14
MSG_DATE = "Date et heure invalides (format attendu : AAAA-MM-JJTHH:MM, heure de Paris)."
MSG_ORDER = "Les candidatures ne peuvent pas ouvrir avant la consultation des offres."
MSG_GRADE = "Niveau inconnu (quatrieme, troisieme, seconde)."
MSG_KIND = "Date inconnue (publish_from, browse_from, apply_from)."


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    day = dt.date(year, month, 1)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    return day + dt.timedelta(weeks=n - 1)


def _paris(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS).astimezone(dt.timezone.utc)


def defaults(year: str) -> dict:
    """The proposed calendar of a school year ("2026-2027"), every grade alike."""
    second = cal.parse_school_year(year) + 1
    publish = _paris(_nth_weekday(second, 1, 1, 3), PUBLISH_HOUR)   # third Tuesday of January, 14:00
    pupils = _paris(_nth_weekday(second, 2, 3, 2))                  # second Thursday of February, 00:00
    return {g: {"publish_from": publish, "browse_from": pupils, "apply_from": pupils} for g in GRADES}


def parse_admin_moment(value) -> dt.datetime | None:
    """An admin's date: ISO 8601, with an offset or in Paris local time without one, between the years 2000
    and 2999 (every date can be said in Paris time). Raises ValueError."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(value)
    at = dt.datetime.fromisoformat(value.strip())
    if at.tzinfo is None:
        at = at.replace(tzinfo=PARIS)
    if not 2000 <= at.year <= 2999:
        raise ValueError(value)
    return at.astimezone(dt.timezone.utc)


def merge(year: str, current: dict, given: dict) -> tuple[dict, dict]:
    """The calendar an admin's PUT makes: ``given`` ({grade: {kind: ISO or null}}) over the year's
    ``current`` calendar, over the proposed ``defaults``. Returns (calendar, field errors)."""
    errors: dict[str, list[str]] = {}
    proposed = defaults(year)
    out = {g: {k: (current.get(g) or {}).get(k, proposed[g][k]) if g in current else proposed[g][k]
               for k in KINDS} for g in GRADES}
    if not isinstance(given, dict):
        return out, {"grades": ["Indiquez les dates par niveau : {\"seconde\": {\"apply_from\": ...}}."]}
    for grade, dates in given.items():
        if grade not in GRADES:
            errors.setdefault(f"grades.{grade}", []).append(MSG_GRADE)
            continue
        if not isinstance(dates or {}, dict):
            errors.setdefault(f"grades.{grade}", []).append(MSG_KIND)
            continue
        for kind, value in (dates or {}).items():
            field = f"grades.{grade}.{kind}"
            if kind not in KINDS:
                errors.setdefault(field, []).append(MSG_KIND)
                continue
            try:
                out[grade][kind] = parse_admin_moment(value)
            except (TypeError, ValueError, OverflowError):   # OverflowError: 0001-01-01T00:00 in Paris
                errors.setdefault(field, []).append(MSG_DATE)
    for grade in GRADES:
        b, a = out[grade]["browse_from"], out[grade]["apply_from"]
        if b is not None and a is not None and a < b and f"grades.{grade}.apply_from" not in errors:
            errors.setdefault(f"grades.{grade}.apply_from", []).append(MSG_ORDER)
    return out, errors


# -- the rules --------------------------------------------------------------------------------------
def _moment(calendar: dict | None, grade: str | None, kind: str):
    return ((calendar or {}).get(grade) or {}).get(kind)


def publish_opens_at(now: dt.datetime, calendar: dict | None, grades=GRADES) -> dt.datetime | None:
    """When publication opens for an offer of these grades, or None when it is open (every grade)."""
    closed = [O.parse_moment(_moment(calendar, g, "publish_from")) for g in grades or GRADES
              if not O.is_open(now, _moment(calendar, g, "publish_from"))]
    return max(closed) if closed else None


def may_publish(now: dt.datetime, calendar: dict | None, grades=GRADES, actor: dict | None = None) -> bool:
    return (actor or {}).get("role") == "admin" or publish_opens_at(now, calendar, grades) is None


def check_publish(now: dt.datetime, calendar: dict | None, grades, actor: dict | None) -> None:
    """Forbidden (403 ``publication_not_open``) with the date, before the employers' date."""
    if not may_publish(now, calendar, grades, actor):
        at = publish_opens_at(now, calendar, grades)
        raise Forbidden(O.publish_message(at), code="publication_not_open", extra={"opens_at": at.isoformat()})


def browse_subject(actor: dict | None) -> bool:
    """Pupils and anonymous visitors wait for the browsing date; every other role does not."""
    return (actor or {}).get("role") in (None, "pupil")


def browse_opens_at(now: dt.datetime, grade: str | None, calendar: dict | None) -> dt.datetime | None:
    """When browsing opens for ``grade`` (None: the first grade to open), or None when it is open."""
    grades = [grade] if grade in GRADES else list(GRADES)
    moments = [_moment(calendar, g, "browse_from") for g in grades]
    if any(O.is_open(now, m) for m in moments):
        return None
    return min(O.parse_moment(m) for m in moments)


def may_browse(now: dt.datetime, grade: str | None, calendar: dict | None, actor: dict | None = None) -> bool:
    return not browse_subject(actor) or browse_opens_at(now, grade, calendar) is None


def browse_closed(now: dt.datetime, grade: str | None, calendar: dict | None, actor: dict | None) -> dict | None:
    """What a search answers instead of offers before the browsing date, or None."""
    if may_browse(now, grade, calendar, actor):
        return None
    at = browse_opens_at(now, grade, calendar)
    return {"code": "browsing_not_open", "message": O.browse_message(grade, at), "opens_at": at.isoformat()}


def may_apply(now: dt.datetime, grade: str | None, calendar: dict | None) -> bool:
    return O.is_open(now, _moment(calendar, grade, "apply_from"))


def apply_closed(now: dt.datetime, grade: str | None, calendar: dict | None) -> dict | None:
    """For an offer shown to a pupil before the grade's application date: the date and the sentence."""
    if may_apply(now, grade, calendar):
        return None
    at = O.parse_moment(_moment(calendar, grade, "apply_from"))
    return {"code": "applications_not_open", "message": O.apply_message(grade, at), "opens_at": at.isoformat()}


def view(year: str, calendar: dict | None, now: dt.datetime) -> dict:
    """JSON-ready answer of GET /calendar: the year's dates (null: no restriction), whether an admin set
    them, what is open now per grade, and the proposed dates."""
    iso = (lambda v: O.parse_moment(v).isoformat() if v is not None else None)
    cal_ = calendar or {}
    return {
        "school_year": year,
        "set": bool(cal_),
        "grades": {g: {k: iso(_moment(cal_, g, k)) for k in KINDS} for g in GRADES},
        "open": {g: {"publish": O.is_open(now, _moment(cal_, g, "publish_from")),
                     "browse": O.is_open(now, _moment(cal_, g, "browse_from")),
                     "apply": O.is_open(now, _moment(cal_, g, "apply_from"))} for g in GRADES},
        "proposed": {g: {k: iso(v) for k, v in d.items()} for g, d in defaults(year).items()},
    }
