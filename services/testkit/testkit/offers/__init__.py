"""Test helpers of the offers service, importable by any test (its own, the gateway's, the cross-service
ones): a valid offer's data for this run's calendar, an employer actor, and the fakes of its use-case unit
tests (``testkit.offers.fakes``)."""
from __future__ import annotations

import datetime as dt
import uuid

from common.clock import PROCESS_CLOCK, paris_date

TODAY = dt.date(2026, 11, 23)   # the fixed day of the offers' pure unit tests


def today():
    return paris_date(PROCESS_CLOCK.now())


def future_weeks(n=2, skip=1, day: dt.date | None = None):
    """The next n open collège weeks (after ``skip`` weeks), in this or next school year."""
    from offers.domain import calendar as cal
    t = day or today()
    for year in cal.offerable_school_years(t):
        weeks = [w for w in cal.college_weeks(year) if cal.week_monday(w) > t + dt.timedelta(days=7 * skip)]
        if len(weeks) >= n:
            return year, weeks[:n]
    raise AssertionError("no open weeks")


def employer():
    return {"user_id": str(uuid.uuid4()), "role": "employer"}


def offer_data(day: dt.date | None = None, **kw):
    """What an employer sends to create a complete 3e offer in Mâcon (every step), for open weeks."""
    year, weeks = future_weeks(day=day)
    d = {
        "title": "Boulanger pâtissier",
        "description": "Découvrir la fabrication du pain et des viennoiseries, la vente au comptoir.",
        "address": {"street": "12 rue Carnot", "commune_insee": "71270"},
        "organisation": {"name": "Boulangerie Dupont", "siret": "44306184100047", "is_public": False,
                         "sector": "s26",
                         "head_office_address": {"street": "12 rue Carnot", "postal_code": "71000", "city": "Mâcon"},
                         "contact_phone": "03 85 00 00 00"},
        "grades": ["troisieme"], "school_year": year, "weeks": weeks, "seats": 3,
        "hours": {"mode": "same", "start": "08:00", "end": "16:30"},
        "lunch_break": "Pause déjeuner d'une heure, repas sur place.",
    }
    d.update(kw)
    return d


def full_offer(**kw):
    """A complete offer as the rules see it (school year 2026-2027, weeks after ``TODAY``)."""
    o = {
        "title": "Boulanger, pâtissier",
        "description": "Découvrir la fabrication du pain et des viennoiseries, la vente au comptoir.",
        "address": {"street": "12 rue Carnot", "commune_insee": "71270", "postal_code": "71000", "city": "Mâcon"},
        "organisation": {"name": "Boulangerie Dupont", "siret": "44306184100047", "is_public": False,
                         "sector": "s26",
                         "head_office_address": {"street": "12 rue Carnot", "postal_code": "71000", "city": "Mâcon"},
                         "contact_phone": "03 85 00 00 00"},
        "work_environment": None,
        "accessibility": None,
        "grades": ["troisieme"],
        "school_year": "2026-2027",
        "weeks": ["2026-W50", "2026-W51"],
        "all_year": False,
        "seconde_period": None,
        "seats": 2,
        "hours": {"mode": "same", "start": "08:00", "end": "16:30"},
        "lunch_break": "Pause déjeuner d'une heure, repas sur place.",
        "reserved_school_uais": [],
        "reserved_rep": False,
        "reserved_qpv": False,
    }
    o.update(kw)
    return o
