"""Partner API input (operators push offers).

Payload: remote_id, title, description, employer_name, employer_description?,
siret?, is_public?, sector "sN", address {street, postal_code, city,
commune_insee?, lat?, lon?}, grades [quatrieme|troisieme|seconde] (collège
or lycée, never both), weeks ["YYYY-Www"] (4e/3e), period both|week1|week2
(2nde), school_year? (2nde; default: the year running), seats (default 1),
permalink (https URL where pupils apply), reserved_rep?, reserved_qpv?.
"""
from __future__ import annotations

import datetime as dt
import re

from common.validation import check_text

from . import calendar as cal
from .offer import COLLEGE_GRADES, GRADES, validate_address
from .sectors import check_sector
from .siret import check_siret, normalize_siret

MSG_MIXED = "Une offre ne peut pas mélanger collège (4e, 3e) et lycée (2nde) : envoyez deux offres."
MSG_PERIOD_MISSING = "La période de 2nde est obligatoire (both, week1 ou week2)."
MSG_WEEKS_MISSING = "Indiquez au moins une semaine (format AAAA-Snn, par exemple 2027-W03)."
MSG_PERMALINK = "Le lien de candidature doit être une adresse https:// valide."
MSG_REMOTE_ID = "Identifiant distant obligatoire (1 à 100 caractères : lettres, chiffres, . _ -)."
MSG_WEEK_YEAR = "Les semaines doivent appartenir à une même année scolaire ouverte ({a} ou {b})."
MSG_WEEK_NOT_OPEN = "La semaine {w} n'est pas ouverte aux stages de 4e/3e."

REMOTE_ID_RE = re.compile(r"^[A-Za-z0-9._\-:]{1,100}$")
URL_RE = re.compile(r"^https://[^\s/$.?#][^\s]{1,2000}$")

PARTNER_FIELDS = ("remote_id", "title", "description", "employer_name", "employer_description", "siret",
                  "is_public", "sector", "address", "grades", "weeks", "period", "school_year", "seats",
                  "permalink", "reserved_rep", "reserved_qpv")


def validate_partner_offer(data: dict, today: dt.date, overrides: dict | None = None,
                           partial: bool = False) -> tuple[dict, dict]:
    """(errors, normalized offer dict). With ``partial`` (PATCH) only the given
    fields are checked, except that grades/weeks/period are checked together
    whenever one of them is present."""
    overrides = overrides or {}
    errors: dict[str, list[str]] = {}

    def add(f, m):
        errors.setdefault(f, []).append(m)

    def given(k):
        return not partial or k in data

    if not isinstance(data, dict):
        return {"body": ["Le corps de la requête doit être un objet JSON."]}, {}
    unknown = sorted(set(data) - set(PARTNER_FIELDS))
    for k in unknown:
        add(k, "Champ inconnu.")
    if given("remote_id") and not partial:
        rid = data.get("remote_id")
        if not (isinstance(rid, str) and REMOTE_ID_RE.match(rid)):
            add("remote_id", MSG_REMOTE_ID)
    if partial and "remote_id" in data:
        add("remote_id", "L'identifiant distant ne peut pas être modifié.")
    if given("title"):
        m = check_text(data.get("title"), min_len=1, max_len=150)
        if m:
            add("title", m)
    if given("description"):
        m = check_text(data.get("description"), min_len=10, max_len=1500)
        if m:
            add("description", m)
    if given("employer_name"):
        m = check_text(data.get("employer_name"), min_len=2, max_len=150)
        if m:
            add("employer_name", m)
    if data.get("employer_description") not in (None, ""):
        m = check_text(data.get("employer_description"), max_len=1000)
        if m:
            add("employer_description", m)
    if data.get("siret") not in (None, ""):
        m = check_siret(data["siret"])
        if m:
            add("siret", m)
    if "is_public" in data and not isinstance(data["is_public"], bool):
        add("is_public", "Ce champ doit valoir vrai ou faux.")
    if given("sector"):
        m = check_sector(data.get("sector"))
        if m:
            add("sector", m)
    if given("address"):
        errors.update(validate_address(data.get("address")))
    if given("permalink"):
        p = data.get("permalink")
        if not (isinstance(p, str) and URL_RE.match(p)):
            add("permalink", MSG_PERMALINK)
    if given("seats") and data.get("seats") is not None:
        s = data.get("seats")
        if not (isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 6000):
            add("seats", "Le nombre de places doit être un entier entre 1 et 6000.")
    for f in ("reserved_rep", "reserved_qpv"):
        if f in data and not isinstance(data[f], bool):
            add(f, "Ce champ doit valoir vrai ou faux.")

    out: dict = {}
    planning = any(k in data for k in ("grades", "weeks", "period", "school_year")) or not partial
    if planning:
        grades = data.get("grades")
        if not isinstance(grades, list) or not grades:
            add("grades", "Choisissez au moins un niveau parmi quatrieme, troisieme et seconde.")
            grades = []
        elif any(g not in GRADES for g in grades):
            add("grades", "Niveau inconnu (attendu : quatrieme, troisieme ou seconde).")
            grades = [g for g in grades if g in GRADES]
        college = [g for g in COLLEGE_GRADES if g in grades]
        lycee = "seconde" in grades
        allowed_years = cal.offerable_school_years(today)
        if college and lycee:
            add("grades", MSG_MIXED)
        elif lycee:
            if data.get("period") not in cal.SECONDE_PERIODS:
                add("period", MSG_PERIOD_MISSING)
            year = data.get("school_year") or _running_seconde_year(today, overrides)
            if cal.check_school_year(year) or year not in allowed_years:
                add("school_year", MSG_WEEK_YEAR.format(a=allowed_years[0], b=allowed_years[1]))
            out.update(grades=["seconde"], seconde_period=data.get("period"), weeks=[], all_year=False,
                       school_year=year)
        elif college:
            weeks = data.get("weeks")
            if not isinstance(weeks, list) or not weeks:
                add("weeks", MSG_WEEKS_MISSING)
            elif any(cal.check_week(w) for w in weeks):
                add("weeks", cal.MSG_WEEK_FORMAT)
            else:
                years = set()
                for w in weeks:
                    years.add(cal.school_year_of(cal.week_monday(w)))
                if len(years) != 1 or not years <= set(allowed_years):
                    add("weeks", MSG_WEEK_YEAR.format(a=allowed_years[0], b=allowed_years[1]))
                else:
                    year = years.pop()
                    allowed = set(cal.college_weeks(year, overrides.get(year)))
                    for w in weeks:
                        if w not in allowed:
                            add("weeks", MSG_WEEK_NOT_OPEN.format(w=w))
                    out.update(school_year=year)
            out.update(grades=college, weeks=sorted(set(weeks or [])), all_year=False, seconde_period=None)
    if errors:
        return errors, {}
    for k in ("title", "description", "sector", "permalink", "reserved_rep", "reserved_qpv", "address"):
        if k in data:
            out[k] = data[k]
    if "seats" in data or not partial:
        out["seats"] = data.get("seats") or 1
    if not partial:
        out["remote_id"] = data["remote_id"]
        out["is_partner"] = True
    org_keys = ("employer_name", "employer_description", "siret", "is_public", "sector")
    if any(k in data for k in org_keys):
        out["organisation"] = {
            "name": data.get("employer_name"),
            "description": data.get("employer_description"),
            "siret": normalize_siret(data.get("siret")) if data.get("siret") else None,
            "manual_entry": not data.get("siret"),
            "is_public": bool(data.get("is_public", False)),
            "sector": data.get("sector"),
        }
    return {}, out


def _running_seconde_year(today: dt.date, overrides: dict) -> str:
    year = cal.school_year_of(today)
    weeks = cal.seconde_weeks(year, "both", overrides.get(year))
    if all(cal.week_is_past(w, today) for w in weeks):
        return cal.next_school_year(year)
    return year
