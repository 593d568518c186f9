"""Shaping of the offers service's answers (the dicts its RPCs return): an offer as its owner, another
service or the public sees it, a partner's view, a search result card, the personal-data export."""
from __future__ import annotations

from .domain import calendar as cal
from .domain import offer as od
from .domain import seats as seats_rules

PARTNER_KEYS = ("id", "remote_id", "state", "title", "description", "permalink", "sector", "grades", "school_year",
                "weeks", "seconde_period", "offer_weeks", "first_day", "last_day", "seats", "seats_left", "city",
                "commune_insee", "address", "reserved_rep", "reserved_qpv", "published_at", "updated_at")
PERSONAL_KEYS = ("owner_id", "employer_id", "operator_id", "remote_id", "creation_key", "partner_payload",
                 "removed_at", "created_at", "updated_at", "published_at")


def _iso(v):
    if v is None:
        return None
    return v.isoformat()


def offer_view(row, audience: str = "public") -> dict:
    """JSON view of an offer. ``audience``: "owner" (everything, incl. contact phone),
    "internal" (other services: everything), "public" (no contact phone, no internals)."""
    org = dict(row.get("organisation") or {})
    if audience == "public":
        org.pop("contact_phone", None)
    hours = row.get("hours")
    out = {
        "id": row["id"],
        "state": row["state"],
        "employer_id": row.get("employer_id"),
        "space_id": row.get("space_id") or row.get("employer_id"),
        "operator_id": row.get("operator_id"),
        "is_partner": row.get("is_partner", False),
        "remote_id": row.get("remote_id"),
        "permalink": row.get("permalink"),
        "title": row.get("title"),
        "description": row.get("description"),
        "address": row.get("address"),
        "commune_insee": row.get("commune_insee"),
        "city": row.get("city"),
        "dep_code": row.get("dep_code"),
        "academie_code": row.get("academie_code"),
        "lat": row.get("lat"),
        "lon": row.get("lon"),
        "organisation": org or None,
        "siret": org.get("siret"),
        "sector": row.get("sector"),
        "work_environment": row.get("work_environment"),
        "accessibility": row.get("accessibility"),
        "grades": list(row.get("grades") or []),
        "school_level": od.school_level(row.get("grades")) if row.get("grades") else None,
        "school_year": row.get("school_year"),
        "weeks": list(row.get("weeks") or []),
        "all_year": row.get("all_year", False),
        "seconde_period": row.get("seconde_period"),
        "offer_weeks": list(row.get("search_weeks") or []),
        "first_day": _iso(row.get("first_day")),
        "last_day": _iso(row.get("last_day")),
        "seats": row.get("seats"),
        "seats_taken": row.get("seats_taken"),
        "seats_left": seats_rules.left_of(row),
        "hours": hours,
        "hours_by_day": od.hours_by_day(hours) if hours and not od.validate_hours(hours) else None,
        "lunch_break": row.get("lunch_break"),
        "reserved_school_uais": list(row.get("reserved_school_uais") or []),
        "reserved_rep": row.get("reserved_rep", False),
        "reserved_qpv": row.get("reserved_qpv", False),
        "linked_offer_id": row.get("linked_offer_id"),
        "duplicated_from": row.get("duplicated_from"),
        "completed_steps": list(row.get("completed_steps") or []),
        "published_at": _iso(row.get("published_at")),
        "created_at": _iso(row.get("created_at")),
        "updated_at": _iso(row.get("updated_at")),
    }
    if audience == "public":
        out.pop("space_id")
        out.pop("reserved_school_uais")
        out.pop("completed_steps")
    return out


def with_holidays(view: dict, overrides: dict) -> dict:
    """Add ``holiday_weeks``: those of the offer's weeks that are school holidays in some zone
    ({week: [zones]}); the applications service refuses a pupil's week that is a holiday in their zone."""
    view["holiday_weeks"] = cal.holiday_weeks(view.get("offer_weeks"), overrides)
    return view


def partner_view(row) -> dict:
    v = offer_view(row, "internal")
    return {k: v[k] for k in PARTNER_KEYS} | {"employer_name": (row.get("organisation") or {}).get("name")}


def personal_item(row) -> dict:
    """An offer in the personal-data export: as its owner sees it, with the internal columns kept."""
    item = offer_view(row, "owner")
    for k in PERSONAL_KEYS:
        v = row.get(k)
        item[k] = v.isoformat() if hasattr(v, "isoformat") else v
    return item


def result_card(found: dict, can_apply: bool, priority: bool) -> dict:
    """A search result card. Every row the search returns is live (a seat left) and visible to the viewer
    (the SQL applies ``domain.search.visible_to``), so a pupil may apply to each of them."""
    card = {k: v for k, v in found.items() if k != "sql_priority"}
    card["weeks"] = card["weeks"] or []
    card["first_day"] = _iso(card["first_day"])
    card["last_day"] = _iso(card["last_day"])
    if card["distance_km"] is not None:
        card["distance_km"] = round(card["distance_km"], 2)
    card["priority"] = priority
    card["can_apply"] = can_apply
    return card
