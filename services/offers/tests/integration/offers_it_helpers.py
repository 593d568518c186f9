import datetime as dt
import uuid

from common.clock import PROCESS_CLOCK, paris_date


def today():
    return paris_date(PROCESS_CLOCK.now())


def future_weeks(n=2, skip=1):
    """The next n open collège weeks (after ``skip`` weeks), in this or next school year."""
    from offers.domain import calendar as cal
    t = today()
    for year in cal.offerable_school_years(t):
        weeks = [w for w in cal.college_weeks(year) if cal.week_monday(w) > t + dt.timedelta(days=7 * skip)]
        if len(weeks) >= n:
            return year, weeks[:n]
    raise AssertionError("no open weeks")


def employer():
    return {"user_id": str(uuid.uuid4()), "role": "employer"}


def offer_data(**kw):
    year, weeks = future_weeks()
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
