"""Offer content rules: the three creation steps, whole-offer validation for
publishing, effective weeks, and the collège/lycée split.

An offer is a plain dict:

step 1 "place":     title (observed occupation(s), <=150), description (activities, 10-1500),
                    address {street, commune_insee | postal_code, city?, lat?, lon?}
step 2 "organisation": organisation {...} (see organisation.py), work_environment?, accessibility? (10-1000)
step 3 "planning":  grades [quatrieme|troisieme|seconde], school_year "2026-2027",
                    weeks ["2026-W40", ...] and/or all_year (4e/3e), seconde_period both|week1|week2 (2nde),
                    seats (1-6000), hours, lunch_break (8-250),
                    reserved_school_uais [], reserved_rep, reserved_qpv
"""
from __future__ import annotations

import datetime as dt
import re

from common import daytime
from common.validation import check_text

from . import calendar as cal
from .organisation import validate_organisation

GRADES = ("quatrieme", "troisieme", "seconde")
COLLEGE_GRADES = ("quatrieme", "troisieme")
LYCEE_GRADES = ("seconde",)
GRADE_LABELS = {"quatrieme": "4e", "troisieme": "3e", "seconde": "2nde"}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
DAY_LABELS = {"monday": "lundi", "tuesday": "mardi", "wednesday": "mercredi", "thursday": "jeudi",
              "friday": "vendredi", "saturday": "samedi"}
DEFAULT_DAYS = DAYS[:5]

STEP_FIELDS = {
    "place": ("title", "description", "address"),
    "organisation": ("organisation", "work_environment", "accessibility"),
    "planning": ("grades", "school_year", "weeks", "all_year", "seconde_period", "seats", "hours",
                 "lunch_break", "reserved_school_uais", "reserved_rep", "reserved_qpv"),
}
STEPS = tuple(STEP_FIELDS)
ALL_FIELDS = tuple(f for fs in STEP_FIELDS.values() for f in fs)

MSG_REQUIRED = "Ce champ est obligatoire."
MSG_GRADES = "Choisissez au moins un niveau parmi 4e, 3e et 2nde."
MSG_GRADE_UNKNOWN = "Niveau inconnu (attendu : quatrieme, troisieme ou seconde)."
MSG_WEEKS_REQUIRED = "Choisissez au moins une semaine, ou « toute l'année »."
MSG_WEEK_OUT = "La semaine {w} n'est pas ouverte aux stages de 4e/3e en {y}."
MSG_WEEK_HOLIDAY = ("La semaine {w} (du {first} au {last}) tombe pendant les vacances scolaires de toutes les zones "
                    "(A, B et C) : choisissez une autre semaine.")
MSG_PERIOD_REQUIRED = "Choisissez la période de 2nde : les deux semaines, la semaine 1 ou la semaine 2."
MSG_SEATS = "Le nombre de places doit être un entier entre 1 et 6000."
MSG_TIME = (f"Heure invalide : indiquez un quart d'heure entre {daytime.EARLIEST // 60:02d}:00 et "
            f"{daytime.LATEST // 60:02d}:00 (exemple : 08:30).")
MSG_START_END = "L'heure de début doit précéder l'heure de fin."
MSG_DAYS = "Indiquez au moins un jour travaillé entre lundi et samedi."
MSG_HOURS_MODE = "Choisissez des horaires identiques chaque jour (« same ») ou jour par jour (« per_day »)."
MSG_UAI = "Code UAI invalide (7 chiffres et une lettre, par exemple 0750001A)."
MSG_BOOL = "Ce champ doit valoir vrai ou faux."
MSG_YEAR_CLOSED = "L'année scolaire {y} n'est pas ouverte : choisissez {a} ou {b}."
MSG_ALL_PAST = "Toutes les semaines de cette offre sont passées."
MSG_COMMUNE = "Indiquez la commune (code INSEE) ou le code postal du lieu de stage."
MSG_INSEE = "Code commune INSEE invalide (5 caractères, par exemple 75056 ou 2A004)."
MSG_POSTAL = "Code postal invalide (5 chiffres)."
MSG_LAT = "Latitude invalide (entre -90 et 90)."
MSG_LON = "Longitude invalide (entre -180 et 180)."
MSG_LATLON_PAIR = "Indiquez la latitude et la longitude ensemble."

INSEE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
UAI_RE = re.compile(r"^\d{7}[A-Z]$")


class _Errors(dict):
    def add(self, field, msg):
        self.setdefault(field, []).append(msg)


def _num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# -- step 1 ------------------------------------------------------------------

def check_insee(value) -> str | None:
    return None if isinstance(value, str) and INSEE_RE.match(value.strip().upper()) else MSG_INSEE


def validate_address(addr, prefix="address.") -> dict:
    e = _Errors()
    if not isinstance(addr, dict):
        e.add(prefix.rstrip("."), "Indiquez l'adresse du lieu de stage.")
        return e
    msg = check_text(addr.get("street"), min_len=3, max_len=200)
    if msg:
        e.add(prefix + "street", msg)
    insee, postal = addr.get("commune_insee"), addr.get("postal_code")
    if insee in (None, "") and postal in (None, ""):
        e.add(prefix + "commune_insee", MSG_COMMUNE)
    if insee not in (None, ""):
        msg = check_insee(insee)
        if msg:
            e.add(prefix + "commune_insee", msg)
    if postal not in (None, "") and not (isinstance(postal, str) and re.fullmatch(r"\d{5}", postal.strip())):
        e.add(prefix + "postal_code", MSG_POSTAL)
    if addr.get("city") not in (None, ""):
        msg = check_text(addr.get("city"), max_len=100)
        if msg:
            e.add(prefix + "city", msg)
    lat, lon = addr.get("lat"), addr.get("lon")
    if (lat is None) != (lon is None):
        e.add(prefix + ("lon" if lon is None else "lat"), MSG_LATLON_PAIR)
    if lat is not None and not (_num(lat) and -90 <= lat <= 90):
        e.add(prefix + "lat", MSG_LAT)
    if lon is not None and not (_num(lon) and -180 <= lon <= 180):
        e.add(prefix + "lon", MSG_LON)
    return e


def validate_place(data: dict) -> dict:
    """Step 1: observed occupation(s), activities, internship address."""
    e = _Errors()
    msg = check_text(data.get("title"), min_len=1, max_len=150)
    if msg:
        e.add("title", msg)
    msg = check_text(data.get("description"), min_len=10, max_len=1500)
    if msg:
        e.add("description", msg)
    e.update(validate_address(data.get("address")))
    return dict(e)


# -- step 2 ------------------------------------------------------------------

def validate_organisation_step(data: dict, naf_mapping: dict | None = None) -> dict:
    """Step 2: the host organisation plus optional work environment / accessibility."""
    e = _Errors()
    e.update(validate_organisation(data.get("organisation"), naf_mapping))
    for field in ("work_environment", "accessibility"):
        msg = check_text(data.get(field), min_len=10, max_len=1000, required=False)
        if msg:
            e.add(field, msg)
    return dict(e)


# -- step 3 ------------------------------------------------------------------

QUARTER_HOURS = (0, 15, 30, 45)


def parse_time(value) -> int | None:
    """'08:30' -> minutes since midnight, for an offer's hours: an HH:MM time (``common.daytime``) on a
    quarter hour (an offer-form rule) within the legal day of a minor (06:00-20:00, ``common.daytime``)."""
    t = daytime.parse_time(value)
    if t is None or t % 60 not in QUARTER_HOURS or not daytime.within_legal_day(t):
        return None
    return t


def validate_hours(hours, prefix="hours") -> dict:
    e = _Errors()
    if not isinstance(hours, dict):
        e.add(prefix, "Indiquez les horaires.")
        return e

    def pair(start, end, path):
        ts, te = parse_time(start), parse_time(end)
        if ts is None:
            e.add(f"{path}.start", MSG_TIME)
        if te is None:
            e.add(f"{path}.end", MSG_TIME)
        if ts is not None and te is not None and ts >= te:
            e.add(f"{path}.end", MSG_START_END)

    mode = hours.get("mode")
    if mode == "same":
        pair(hours.get("start"), hours.get("end"), prefix)
        days = hours.get("days", list(DEFAULT_DAYS))
        if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
            e.add(f"{prefix}.days", MSG_DAYS)
    elif mode == "per_day":
        days = hours.get("days")
        if not isinstance(days, dict) or not days or any(d not in DAYS for d in days):
            e.add(f"{prefix}.days", MSG_DAYS)
        else:
            for d in DAYS:
                if d in days:
                    v = days[d] if isinstance(days[d], dict) else {}
                    pair(v.get("start"), v.get("end"), f"{prefix}.days.{d}")
    else:
        e.add(f"{prefix}.mode", MSG_HOURS_MODE)
    return e


def hours_by_day(hours: dict) -> dict:
    """{'monday': {'start': '09:00', 'end': '17:00'}, ...} for a valid hours dict."""
    if hours.get("mode") == "same":
        return {d: {"start": hours["start"], "end": hours["end"]} for d in hours.get("days", DEFAULT_DAYS)}
    return {d: dict(hours["days"][d]) for d in DAYS if d in hours["days"]}


def _fr_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def validate_planning(data: dict, today: dt.date, overrides: dict | None = None) -> dict:
    """Step 3: grades, period, seats, hours, lunch break, reservations.

    ``overrides`` maps a school year key to the admin's override of its dates.
    """
    e = _Errors()
    overrides = overrides or {}
    grades = data.get("grades")
    if not isinstance(grades, list) or not grades:
        e.add("grades", MSG_GRADES)
        grades = []
    elif any(g not in GRADES for g in grades):
        e.add("grades", MSG_GRADE_UNKNOWN)
        grades = [g for g in grades if g in GRADES]
    year = data.get("school_year")
    allowed_years = cal.offerable_school_years(today)
    year_ok = False
    if year in (None, ""):
        e.add("school_year", MSG_REQUIRED)
    elif cal.check_school_year(year):
        e.add("school_year", cal.MSG_YEAR_FORMAT)
    elif year not in allowed_years:
        e.add("school_year", MSG_YEAR_CLOSED.format(y=year, a=allowed_years[0], b=allowed_years[1]))
    else:
        year_ok = True
    college = any(g in COLLEGE_GRADES for g in grades)
    lycee = "seconde" in grades
    weeks = data.get("weeks") or []
    all_year = data.get("all_year", False)
    if all_year not in (True, False, None):
        e.add("all_year", MSG_BOOL)
    if college:
        if not isinstance(weeks, list):
            e.add("weeks", cal.MSG_WEEK_FORMAT)
        elif not weeks and not all_year:
            e.add("weeks", MSG_WEEKS_REQUIRED)
        else:
            bad = [w for w in weeks if cal.check_week(w)]
            if bad:
                e.add("weeks", cal.MSG_WEEK_FORMAT)
            elif year_ok:
                override = overrides.get(year)
                allowed = set(cal.college_weeks(year, override))
                unknown = None
                for w in weeks:
                    try:
                        zones = cal.holiday_zones(w, override)
                    except cal.HolidayCalendarUnknown as exc:
                        unknown, zones = str(exc), ()
                    if zones == cal.ZONES:
                        e.add("weeks", MSG_WEEK_HOLIDAY.format(w=w, first=_fr_date(cal.week_monday(w)),
                                                               last=_fr_date(cal.week_friday(w))))
                    elif w not in allowed:
                        e.add("weeks", MSG_WEEK_OUT.format(w=w, y=year))
                if unknown is None and all_year:
                    unknown = cal.college_calendar_problem(year, override)
                if unknown:
                    e.add("weeks", unknown)
    if lycee and data.get("seconde_period") not in cal.SECONDE_PERIODS:
        e.add("seconde_period", MSG_PERIOD_REQUIRED)
    seats = data.get("seats")
    if not (isinstance(seats, int) and not isinstance(seats, bool) and 1 <= seats <= 6000):
        e.add("seats", MSG_SEATS)
    e.update(validate_hours(data.get("hours")))
    msg = check_text(data.get("lunch_break"), min_len=8, max_len=250)
    if msg:
        e.add("lunch_break", msg)
    uais = data.get("reserved_school_uais") or []
    if not isinstance(uais, list) or any(not (isinstance(u, str) and UAI_RE.match(u.strip().upper())) for u in uais):
        e.add("reserved_school_uais", MSG_UAI)
    for f in ("reserved_rep", "reserved_qpv"):
        if data.get(f) not in (None, True, False):
            e.add(f, MSG_BOOL)
    return dict(e)


def validate_step(step: str, data: dict, today: dt.date, overrides: dict | None = None,
                  naf_mapping: dict | None = None) -> dict:
    if step == "place":
        return validate_place(data)
    if step == "organisation":
        return validate_organisation_step(data, naf_mapping)
    if step == "planning":
        return validate_planning(data, today, overrides)
    return {"step": ["Étape inconnue (attendu : place, organisation ou planning)."]}


# -- whole offer ---------------------------------------------------------------

def offer_weeks(offer: dict, overrides: dict | None = None) -> list[str]:
    """Every ISO week an offer covers (collège weeks and/or 2nde weeks), sorted."""
    overrides = overrides or {}
    year = offer.get("school_year")
    grades = offer.get("grades") or []
    out: set[str] = set()
    if any(g in COLLEGE_GRADES for g in grades):
        if offer.get("all_year"):
            out.update(cal.college_weeks(year, overrides.get(year)))
        else:
            out.update(offer.get("weeks") or [])
    if "seconde" in grades and offer.get("seconde_period") in cal.SECONDE_PERIODS:
        out.update(cal.seconde_weeks(year, offer["seconde_period"], overrides.get(year)))
    return sorted(out)


def future_weeks(offer: dict, today: dt.date, overrides: dict | None = None) -> list[str]:
    return [w for w in offer_weeks(offer, overrides) if not cal.week_is_past(w, today)]


def offer_dates(offer: dict, overrides: dict | None = None) -> tuple[str | None, str | None]:
    weeks = offer_weeks(offer, overrides)
    if not weeks:
        return None, None
    return cal.week_monday(weeks[0]).isoformat(), cal.week_friday(weeks[-1]).isoformat()


def validate_for_publish(offer: dict, today: dt.date, overrides: dict | None = None,
                         naf_mapping: dict | None = None) -> dict:
    """Every error that keeps an offer from being published, at once."""
    e = _Errors()
    e.update(validate_place(offer))
    e.update(validate_organisation_step(offer, naf_mapping))
    e.update(validate_planning(offer, today, overrides))
    if not any(k in e for k in ("weeks", "seconde_period", "grades", "school_year")):
        if not future_weeks(offer, today, overrides):
            e.add("weeks", MSG_ALL_PAST)
    return dict(e)


def is_split_needed(grades) -> bool:
    g = set(grades or [])
    return bool(g & set(COLLEGE_GRADES)) and "seconde" in g


def split_by_school_level(offer: dict) -> list[dict]:
    """An offer for both collège and lycée pupils becomes two offers: the
    collège one (4e/3e grades, weeks) and the lycée one (2nde, period). The
    caller links them (``linked_offer_id``). Otherwise returns [offer]."""
    if not is_split_needed(offer.get("grades")):
        return [dict(offer)]
    college = dict(offer)
    college["grades"] = [g for g in COLLEGE_GRADES if g in offer["grades"]]
    college["seconde_period"] = None
    lycee = dict(offer)
    lycee["grades"] = ["seconde"]
    lycee["weeks"] = []
    lycee["all_year"] = False
    return [college, lycee]


def school_level(grades) -> str:
    g = set(grades or [])
    if g and g <= set(COLLEGE_GRADES):
        return "college"
    if g == {"seconde"}:
        return "lycee"
    return "mixed"


def normalize_planning(data: dict) -> dict:
    """Clean copy: grades in canonical order, weeks sorted and unique, UAIs upper-case,
    period fields cleared where the grades do not use them."""
    out = dict(data)
    grades = [g for g in GRADES if g in (data.get("grades") or [])]
    out["grades"] = grades
    college = any(g in COLLEGE_GRADES for g in grades)
    out["all_year"] = bool(data.get("all_year")) if college else False
    out["weeks"] = sorted(set(data.get("weeks") or [])) if college and not out["all_year"] else []
    if "seconde" not in grades:
        out["seconde_period"] = None
    out["reserved_school_uais"] = sorted({u.strip().upper() for u in (data.get("reserved_school_uais") or [])})
    out["reserved_rep"] = bool(data.get("reserved_rep"))
    out["reserved_qpv"] = bool(data.get("reserved_qpv"))
    return out


def content(row: dict) -> dict:
    """The offer as the rules see it (its fields and state) from a stored row."""
    return {k: row.get(k) for k in ALL_FIELDS} | {"state": row.get("state")}
