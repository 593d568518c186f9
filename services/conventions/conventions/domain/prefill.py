"""Pre-filling a new convention from the application, the pupil and school (identity) and the offer (pure).

Pure mapping functions (``build``) are separate from the RPC calls (``clients``, use_cases.creation),
and tolerant: a key another service does not (yet) return leaves the field empty, for the
parties to complete.
"""
from __future__ import annotations

import uuid

from common import scopes
from common.weeks import period_of_weeks

from .convention import Convention

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


def _g(d, *keys, default=None):
    """First present, non-empty value among keys (dotted paths allowed)."""
    if not isinstance(d, dict):
        return default
    for key in keys:
        cur = d
        for part in key.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if cur not in (None, "", [], {}):
            return cur
    return default


def address_text(addr) -> str | None:
    if isinstance(addr, str):
        return addr.strip() or None
    if not isinstance(addr, dict):
        return None
    street = _g(addr, "street", "address", "line1")
    city = " ".join(x for x in (_g(addr, "postal_code", "zipcode"), _g(addr, "city", "commune", "commune_name"))
                    if x)
    return ", ".join(x for x in (street, city) if x) or None


def hours_from_offer(hours) -> dict | None:
    """Offers' hours ({mode: same, start, end, days[]} | {mode: per_day, days: {d: {start, end}}}) to ours."""
    if not isinstance(hours, dict):
        return None
    if hours.get("mode") == "same" and hours.get("start") and hours.get("end"):
        days = [d for d in (hours.get("days") or DAYS[:5]) if d in DAYS]
        return {"mode": "same", "weekdays": days, "same": {"start": hours["start"], "end": hours["end"]}}
    if hours.get("mode") == "per_day" and isinstance(hours.get("days"), dict):
        return {"mode": "per_day", "days": {d: {"start": v.get("start"), "end": v.get("end")}
                                            for d, v in hours["days"].items() if d in DAYS and isinstance(v, dict)}}
    return None


def split_name(full: str | None) -> tuple[str | None, str | None]:
    if not full:
        return None, None
    parts = full.strip().split(" ", 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (parts[0], None)


def build(data: dict, application: dict | None, pupil: dict | None, school: dict | None,
          offer: dict | None, *, head: dict | None = None, convention_id: str | None = None) -> Convention:
    """A draft convention from the event's identifiers and what the other services told."""
    app = application or {}
    pupil = pupil or {}
    school = school or {}
    offer = offer or {}
    org = _g(offer, "organisation") or {}
    weeks = list(_g(data, "weeks") or _g(app, "weeks") or [])
    first, last = _g(pupil, "first_name"), _g(pupil, "last_name")
    if not (first or last):
        first, last = split_name(_g(app, "pupil_name"))
    grade = _g(app, "grade") or _g(pupil, "grade") or "troisieme"
    head = head if isinstance(head, dict) else {}
    head_name = head.get("name") or " ".join(x for x in (head.get("first_name"), head.get("last_name")) if x) \
        or None
    prefill = {
        "pupil": {"first_name": first, "last_name": last, "birth_date": _g(pupil, "birth_date", "birthdate"),
                  "class_name": _g(pupil, "class_name", "class", "division"), "grade": grade},
        "school": {"uai": _g(data, "school_uai") or _g(app, "school_uai") or _g(school, "uai"),
                   "name": _g(school, "name") or _g(app, "school_name"),
                   # the ministry's postal address (identity); a lycée without a delivery name: its commune
                   "address": _g(school, "street_address", "address", "street"),
                   "address_complement": _g(school, "address_complement"),
                   "zipcode": _g(school, "address_postal_code", "postal_code", "zipcode"),
                   "city": _g(school, "address_city", "commune_name", "city", "commune"),
                   "head_name": head_name, "head_user_id": head.get("user_id") or head.get("id"),
                   "academie": _g(school, "academie_name", "academie"),
                   "academie_code": _g(school, "academie_code")},
        "organisation": {"name": _g(org, "name", "employer_name") or _g(offer, "employer_name"),
                         "siret": _g(org, "siret"),
                         "head_office_address": address_text(_g(org, "head_office_address", "address"))},
        "offer": {"title": _g(offer, "title") or _g(app, "offer_title"),
                  "internship_address": address_text(_g(offer, "address"))},
        "period": period_of_weeks(weeks),
    }
    employer = {}
    if _g(offer, "description"):
        employer["activities"] = str(_g(offer, "description"))[:1500]
    if hours_from_offer(_g(offer, "hours")):
        employer["hours"] = hours_from_offer(_g(offer, "hours"))
    if _g(offer, "lunch_break"):
        employer["lunch_break"] = str(_g(offer, "lunch_break"))[:500]
    rep = _g(org, "representative") or {}
    if isinstance(rep, dict) and (rep.get("name") or rep.get("function")):
        employer["representative"] = {"name": rep.get("name") or "", "function": rep.get("function") or ""}
    school_fields = {}
    if _g(app, "address"):
        school_fields["pupil_address"] = str(_g(app, "address"))[:170]
    if _g(app, "phone"):
        school_fields["pupil_phone"] = _g(app, "phone")
    legal = _g(app, "legal_representative")
    # the pupil's legal guardians as the national register tells them (identity), else the application's
    register_reps = [r for r in (_g(pupil, "legal_representatives") or []) if isinstance(r, dict) and r.get("name")]
    if register_reps:
        school_fields["legal_representatives"] = [{"name": r["name"], "email": r.get("email") or "",
                                                   "phone": r.get("phone") or ""} for r in register_reps[:2]]
        if "pupil_address" not in school_fields and register_reps[0].get("address"):
            school_fields["pupil_address"] = str(register_reps[0]["address"])[:170]
    elif isinstance(legal, dict) and any(legal.get(k) for k in ("name", "email", "phone")):
        school_fields["legal_representatives"] = [{"name": legal.get("name") or "", "email": legal.get("email") or "",
                                                   "phone": legal.get("phone") or ""}]
    return Convention(
        id=convention_id or str(uuid.uuid4()), application_id=str(data["application_id"]), grade=grade,
        school_uai=prefill["school"]["uai"] or "", pupil_user_id=str(_g(data, "pupil_id") or _g(app, "pupil_id")),
        employer_user_id=str(_g(data, "employer_id") or _g(app, "employer_id")),
        space_id=str(_g(offer, "space_id") or "") or None,
        offer_id=_g(data, "offer_id") or _g(app, "offer_id"), organisation_id=_g(org, "id") or _g(offer,
                                                                                             "organisation_id"),
        weeks=weeks, prefill=prefill, employer=employer, school=school_fields,
    )


def location(school: dict | None, application: dict | None) -> dict:
    """The school's location codes (common.scopes), set once when the convention is created: from identity's
    school, else from the application (which stores them too)."""
    loc = scopes.location(school) if school else {}
    app = application or {}
    return {k: loc.get(k) or app.get(k) for k in ("academie_code", "departement_code", "region_code")}
