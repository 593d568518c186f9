"""Application layer of the offers service: loads rows, applies the pure rules
of ``offers.domain``, writes rows and outbox events in one unit of work.

Every function takes the unit of work (``uow``) and ``now`` (tz-aware UTC);
``service.py`` only opens the unit of work and passes the clock.
"""
from __future__ import annotations

import datetime as dt
import uuid

from eventlet.semaphore import Semaphore
from sqlalchemy import and_, create_engine, delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common import settings
from common.clock import paris_date
from common.errors import Conflict, FieldErrors, Forbidden, NotFound, RateLimited, ValidationError

from . import search_sql
from .domain import calendar as cal
from .domain import offer as od
from .domain import partner as pd
from .domain import search as sd
from .domain import seats as seats_rules
from .domain import states as st
from .domain.organisation import normalize_organisation, public_employer_types
from .domain.sectors import sector_list
from .search_pool import SearchConnections
from .models import calendar_overrides, communes, naf_codes, offers, partner_hits, postal_codes, school_points, \
    seat_reservations

PARTNER_LIMIT = 100
PARTNER_WINDOW = 60  # seconds
EMPLOYER_ROLES = ("employer",)
MSG_NOT_FOUND = "Offre introuvable."
MSG_UNKNOWN_COMMUNE = "Commune inconnue."
MSG_UNKNOWN_POSTAL = "Code postal inconnu."
MSG_NOT_AVAILABLE = "Cette offre n'accepte plus de candidatures."

_NAF_CACHE: dict = {}


# -- helpers ------------------------------------------------------------------------

_OVERRIDES_CACHE: dict = {}
OVERRIDES_TTL = 30.0  # seconds: an admin's change reaches every worker within this delay


def load_overrides(session, cached: bool = False) -> dict:
    """Calendar overrides by school year. ``cached`` (search only) reuses a copy
    younger than OVERRIDES_TTL; commands always read the table."""
    import time
    if cached and _OVERRIDES_CACHE and time.monotonic() - _OVERRIDES_CACHE["at"] < OVERRIDES_TTL:
        return _OVERRIDES_CACHE["value"]
    out = {}
    for r in session.execute(select(calendar_overrides)).mappings():
        out[r["school_year"]] = {k: r[k] for k in ("college_start", "college_end", "seconde_week1_start",
                                                   "holiday_weeks") if r[k] is not None}
    _OVERRIDES_CACHE.update(at=time.monotonic(), value=out)
    return out


def naf_mapping(session) -> dict:
    if not _NAF_CACHE:
        rows = session.execute(select(naf_codes.c.code, naf_codes.c.sector_id)
                               .where(naf_codes.c.level == "sous-classe")).all()
        _NAF_CACHE.update({r.code: r.sector_id for r in rows})
    return _NAF_CACHE


def _iso(v):
    if v is None:
        return None
    return v.isoformat()


def seats_left(row) -> int:
    return seats_rules.seats_left(row["seats"], row["seats_taken"])


def _actor(actor) -> dict:
    return actor or {}


def _is_admin(actor) -> bool:
    return _actor(actor).get("role") == "admin"


def _load(session, offer_id, lock=False):
    try:
        uuid.UUID(str(offer_id))
    except (ValueError, TypeError):
        raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
    q = select(offers).where(offers.c.id == str(offer_id))
    if lock:
        q = q.with_for_update()
    row = session.execute(q).mappings().first()
    if row is None:
        raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
    return dict(row)


def _load_owned(session, actor, offer_id, lock=True):
    row = _load(session, offer_id, lock=lock)
    a = _actor(actor)
    if not (_is_admin(a) or (a.get("user_id") and a.get("user_id") == row["owner_id"])):
        # do not reveal someone else's offer
        raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
    return row


def offer_dict(row) -> dict:
    """The offer as the domain sees it (plain values)."""
    keys = od.ALL_FIELDS
    return {k: row.get(k) for k in keys} | {"state": row.get("state")}


def resolve_place(session, address: dict, prefix: str = "address.") -> tuple[dict, dict]:
    """Fill commune, city, département, académie and coordinates from the commune data
    (given coordinates win). Returns (columns, field errors)."""
    errors: dict = {}
    insee = (address.get("commune_insee") or "").strip().upper() or None
    postal = (address.get("postal_code") or "").strip() or None
    commune = None
    if insee:
        commune = session.execute(select(communes).where(communes.c.insee_code == insee)).mappings().first()
        if commune is None:
            errors[prefix + "commune_insee"] = [MSG_UNKNOWN_COMMUNE]
    elif postal:
        commune = session.execute(
            select(communes).join(postal_codes, postal_codes.c.insee_code == communes.c.insee_code)
            .where(postal_codes.c.postal_code == postal)
            .order_by((communes.c.kind == "commune").desc(), communes.c.population.desc()).limit(1)
        ).mappings().first()
        if commune is None:
            errors[prefix + "postal_code"] = [MSG_UNKNOWN_POSTAL]
    if commune is None:
        return {}, errors
    lat, lon = address.get("lat"), address.get("lon")
    if lat is None or lon is None:
        lat, lon = commune["lat"], commune["lon"]
    if lat is None:
        errors[prefix + "lat"] = ["Cette commune n'a pas de coordonnées : indiquez la latitude et la longitude."]
    cols = {
        "commune_insee": commune["insee_code"],
        "city": address.get("city") or commune["name"],
        "dep_code": commune["dep_code"],
        "academie_code": commune["academie_code"],
        "lat": lat, "lon": lon,
        "address": {**address, "commune_insee": commune["insee_code"],
                    "postal_code": postal or (commune["postal_codes"] or [None])[0],
                    "city": address.get("city") or commune["name"]},
    }
    return cols, errors


def search_columns(data: dict, overrides: dict) -> dict:
    """Columns derived for the search from the offer's content."""
    weeks = od.offer_weeks(data, overrides)
    first, last = (cal.week_monday(weeks[0]), cal.week_friday(weeks[-1])) if weeks else (None, None)
    sector = (data.get("organisation") or {}).get("sector") or data.get("sector")
    return {
        "search_weeks": weeks, "first_day": first, "last_day": last, "sector": sector,
        "tags": sd.search_tags(data.get("lat"), data.get("lon"), sector, weeks),
        "knn_tags": sd.knn_tags(data.get("grades"), weeks),
    }


# -- views ---------------------------------------------------------------------------

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
        "seats_left": seats_left(row),
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
        out.pop("reserved_school_uais")
        out.pop("completed_steps")
    return out


# -- reference -------------------------------------------------------------------------

def sectors_view() -> list[dict]:
    return sector_list()


_COMMUNES: list[dict] = []


def find_places(session, q: str, limit: int = 10) -> dict:
    """Communes matching a name, a postal code or an address (reference data, cached once per process)."""
    from .domain import places
    if not _COMMUNES:
        rows = session.execute(select(communes.c.insee_code, communes.c.name, communes.c.kind, communes.c.dep_code,
                                      communes.c.postal_codes, communes.c.population, communes.c.lat,
                                      communes.c.lon)).mappings().all()
        _COMMUNES.extend({**r, "postal_codes": list(r["postal_codes"] or []), "_key": places.key(r["name"])}
                         for r in rows)
    items = places.rank(_COMMUNES, q, limit)
    return {"items": [{k: v for k, v in c.items() if not k.startswith("_")} for c in items]}


def calendar_view(session, school_year: str | None, now: dt.datetime) -> dict:
    year = school_year or cal.school_year_of(paris_date(now))
    if cal.check_school_year(year):
        raise ValidationError(None, {"school_year": [cal.MSG_YEAR_FORMAT]})
    overrides = load_overrides(session)
    out = cal.calendar_view(year, overrides.get(year))
    out["overridden"] = year in overrides
    out["public_employer_types"] = public_employer_types()
    return out


def set_calendar_override(uow, actor, school_year: str, dates: dict, now) -> dict:
    if not _is_admin(actor):
        raise Forbidden("Seul un administrateur peut modifier le calendrier.")
    errs = {}
    if cal.check_school_year(school_year):
        errs["school_year"] = [cal.MSG_YEAR_FORMAT]
    errs.update(cal.check_override(dates or {}))
    if errs:
        raise ValidationError(None, errs)
    values = {k: (dt.date.fromisoformat(v) if isinstance(v, str) else v) for k, v in (dates or {}).items()
              if k in ("college_start", "college_end", "seconde_week1_start")}
    if "holiday_weeks" in (dates or {}):
        values["holiday_weeks"] = cal.clean_holiday_weeks(dates["holiday_weeks"])
    stmt = pg_insert(calendar_overrides).values(school_year=school_year, updated_by=_actor(actor).get("user_id"),
                                                updated_at=now, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["school_year"],
                                      set_={**values, "updated_by": stmt.excluded.updated_by,
                                            "updated_at": stmt.excluded.updated_at})
    uow.execute(stmt)
    # offers whose weeks follow the calendar (all year, 2nde periods) move with it
    overrides = load_overrides(uow.session)
    rows = uow.session.execute(select(offers).where(and_(
        offers.c.school_year == school_year, offers.c.state != st.REMOVED,
        (offers.c.all_year.is_(True)) | (offers.c.seconde_period.is_not(None))))
        .with_for_update()).mappings().all()
    for row in rows:
        uow.session.execute(update(offers).where(offers.c.id == row["id"]).values(
            updated_at=now, **search_columns(dict(row), overrides)))
    return calendar_view(uow.session, school_year, now)


# -- creation in three steps -----------------------------------------------------------

def _steps_in(data: dict) -> list[str]:
    step = data.get("step")
    if step:
        return [step]
    return [s for s, fields in od.STEP_FIELDS.items() if any(f in data for f in fields)]


def _apply_steps(session, current: dict, data: dict, steps: list[str], today, overrides) -> tuple[dict, dict]:
    """Validate the given steps on (current + data); returns (columns to write, errors)."""
    merged = {**current}
    for s in steps:
        for f in od.STEP_FIELDS.get(s, ()):
            if f in data:
                merged[f] = data[f]
    errors = FieldErrors()
    cols: dict = {}
    naf = naf_mapping(session)
    for s in steps:
        errs = od.validate_step(s, merged, today, overrides, naf)
        errors.merge(errs)
        if errs:
            continue
        if s == "place":
            place, perrs = resolve_place(session, merged["address"])
            errors.merge(perrs)
            cols.update(title=merged["title"].strip(), description=merged["description"].strip(), **place)
        elif s == "organisation":
            org = normalize_organisation(merged["organisation"], naf)
            cols.update(organisation=org, sector=org.get("sector"),
                        work_environment=merged.get("work_environment") or None,
                        accessibility=merged.get("accessibility") or None)
        elif s == "planning":
            plan = od.normalize_planning(merged)
            cols.update({k: plan.get(k) for k in od.STEP_FIELDS["planning"]})
    return cols, errors.errors


def create_offer(uow, actor, data: dict, idempotency_key: str | None, now) -> dict:
    a = _actor(actor)
    if a.get("role") not in EMPLOYER_ROLES + ("admin",):
        raise Forbidden("Seuls les employeurs créent des offres.", code="role_forbidden")
    data = data or {}
    session = uow.session
    if idempotency_key:
        existing = session.execute(select(offers).where(and_(offers.c.owner_id == a["user_id"],
                                                             offers.c.creation_key == idempotency_key))
                                   ).mappings().first()
        if existing:
            return offer_view(existing, "owner")
    steps = _steps_in(data) or ["place"]
    unknown = set(data) - set(od.ALL_FIELDS) - {"step"}
    today = paris_date(now)
    overrides = load_overrides(session)
    cols, errors = _apply_steps(session, {}, data, steps, today, overrides)
    for k in sorted(unknown):
        errors.setdefault(k, []).append("Champ inconnu.")
    if errors:
        raise ValidationError(None, errors)
    offer_id = str(uuid.uuid4())
    values = {"id": offer_id, "state": st.DRAFT, "owner_id": a["user_id"],
              "employer_id": a["user_id"] if a.get("role") == "employer" else None,
              "creation_key": idempotency_key, "completed_steps": sorted(steps, key=od.STEPS.index),
              "created_at": now, "updated_at": now, **cols}
    values.update(search_columns({**values}, overrides))
    stmt = pg_insert(offers).values(**values)
    if idempotency_key:
        stmt = stmt.on_conflict_do_nothing(index_elements=["owner_id", "creation_key"],
                                           index_where=text("creation_key IS NOT NULL"))
    inserted = session.execute(stmt.returning(offers.c.id)).first()
    if inserted is None:  # a concurrent double submit won: return its offer
        existing = session.execute(select(offers).where(and_(offers.c.owner_id == a["user_id"],
                                                             offers.c.creation_key == idempotency_key))
                                   ).mappings().first()
        return offer_view(existing, "owner")
    return offer_view(_load(session, offer_id), "owner")


def update_offer(uow, actor, offer_id, data: dict, now) -> dict:
    session = uow.session
    row = _load_owned(session, actor, offer_id)
    st.check_transition("update", row["state"])
    if row["is_partner"]:
        raise Conflict("Une offre partenaire se modifie par l'API partenaire.", code="partner_offer")
    data = data or {}
    unknown = set(data) - set(od.ALL_FIELDS) - {"step"}
    if unknown:
        raise ValidationError(None, {k: ["Champ inconnu."] for k in sorted(unknown)})
    steps = _steps_in(data)
    if not steps:
        raise ValidationError(None, {"step": ["Indiquez l'étape modifiée (place, organisation ou planning)."]})
    today = paris_date(now)
    overrides = load_overrides(session)
    current = offer_dict(row)
    cols, errors = _apply_steps(session, current, data, steps, today, overrides)
    if "planning" in steps and not errors:
        msg = seats_rules.check_seats_change(cols["seats"], row["seats_taken"])
        if msg:
            errors.setdefault("seats", []).append(msg)
        if row["state"] != st.DRAFT and od.is_split_needed(cols["grades"]):
            errors.setdefault("grades", []).append(
                "Une offre publiée ne peut pas mélanger collège et lycée : dupliquez-la pour l'autre niveau.")
    if errors:
        raise ValidationError(None, errors)
    merged = {**row, **cols}
    values = dict(cols)
    values.update(search_columns(merged, overrides))
    values["completed_steps"] = sorted(set(row["completed_steps"] or []) | set(steps), key=od.STEPS.index)
    values["updated_at"] = now
    changed = sorted(k for k in cols if cols[k] != row.get(k))
    new_state = row["state"]
    if row["state"] in (st.PUBLISHED, st.NEED_TO_BE_UPDATED):
        candidate = {**row, **values}
        blockers = st.republish_blockers(offer_dict(candidate), row["seats_taken"], today, overrides)
        new_state = st.live_state(row["state"], blockers)
        values["state"] = new_state
    session.execute(update(offers).where(offers.c.id == row["id"]).values(**values))
    fresh = _load(session, row["id"])
    if row["state"] != st.DRAFT and changed:
        uow.emit("offer.updated", {"offer_id": row["id"], "state": new_state, "fields": changed,
                                   "seats_left": seats_left(fresh)})
    if row["state"] == st.NEED_TO_BE_UPDATED and new_state == st.PUBLISHED:
        _emit_published(uow, fresh, republished=True)
    return offer_view(fresh, "owner")


def _emit_published(uow, row, republished=False):
    uow.emit("offer.published", {
        "offer_id": row["id"], "employer_id": row.get("employer_id"), "operator_id": row.get("operator_id"),
        "linked_offer_id": row.get("linked_offer_id"), "grades": list(row.get("grades") or []),
        "school_year": row.get("school_year"), "seats_left": seats_left(row),
        "is_partner": bool(row.get("is_partner")), "republished": republished})


def publish_offer(uow, actor, offer_id, now) -> dict:
    """Publish (or republish) an offer. A collège + lycée offer is split into two
    linked offers. Returns {"offers": [views]} (one or two)."""
    session = uow.session
    row = _load_owned(session, actor, offer_id)
    st.check_transition("publish", row["state"])
    today = paris_date(now)
    overrides = load_overrides(session)
    data = offer_dict(row)
    if row["state"] != st.DRAFT:
        st.raise_if_blocked(st.republish_blockers(data, row["seats_taken"], today, overrides))
    errors = od.validate_for_publish(data, today, overrides, naf_mapping(session))
    if errors:
        raise ValidationError("L'offre ne peut pas être publiée : complétez ou corrigez les champs signalés.",
                              errors)
    parts = od.split_by_school_level(data)
    out = []
    if len(parts) == 1:
        session.execute(update(offers).where(offers.c.id == row["id"]).values(
            state=st.PUBLISHED, published_at=row["published_at"] or now, updated_at=now,
            completed_steps=list(od.STEPS), **search_columns({**row, **data}, overrides)))
        fresh = _load(session, row["id"])
        _emit_published(uow, fresh, republished=row["state"] != st.DRAFT)
        return {"offers": [offer_view(fresh, "owner")]}
    college, lycee = parts
    lycee_id = str(uuid.uuid4())
    session.execute(update(offers).where(offers.c.id == row["id"]).values(
        state=st.PUBLISHED, published_at=now, updated_at=now, linked_offer_id=lycee_id,
        completed_steps=list(od.STEPS), grades=college["grades"], seconde_period=None,
        **search_columns({**row, **college}, overrides)))
    copy = {k: v for k, v in row.items() if k in offers.c and k not in ("id", "creation_key")}
    copy.update(id=lycee_id, state=st.PUBLISHED, published_at=now, created_at=now, updated_at=now,
                linked_offer_id=row["id"], grades=lycee["grades"], weeks=[], all_year=False,
                seconde_period=lycee["seconde_period"], seats_taken=0, completed_steps=list(od.STEPS))
    copy.update(search_columns({**row, **lycee}, overrides))
    session.execute(insert(offers).values(**copy))
    for oid in (row["id"], lycee_id):
        fresh = _load(session, oid)
        _emit_published(uow, fresh)
        out.append(offer_view(fresh, "owner"))
    return {"offers": out}


def unpublish_offer(uow, actor, offer_id, now) -> dict:
    session = uow.session
    row = _load_owned(session, actor, offer_id)
    st.check_transition("unpublish", row["state"])
    session.execute(update(offers).where(offers.c.id == row["id"]).values(state=st.UNPUBLISHED, updated_at=now))
    uow.emit("offer.unpublished", {"offer_id": row["id"], "state": st.UNPUBLISHED, "reason": "employer"})
    return offer_view(_load(session, row["id"]), "owner")


def remove_offer(uow, actor, offer_id, now) -> dict:
    session = uow.session
    row = _load_owned(session, actor, offer_id)
    if row["state"] == st.REMOVED:
        return offer_view(row, "owner")  # idempotent
    st.check_transition("remove", row["state"])
    session.execute(update(offers).where(offers.c.id == row["id"]).values(
        state=st.REMOVED, removed_at=now, updated_at=now))
    uow.emit("offer.removed", {"offer_id": row["id"]})
    return offer_view(_load(session, row["id"]), "owner")


def duplicate_offer(uow, actor, offer_id, options: dict | None, idempotency_key, now) -> dict:
    """A new draft copied from an offer, for another period or year; ``keep_place``
    (default true) keeps the address. Weeks are cleared (the period must be chosen again)."""
    session = uow.session
    options = options or {}
    a = _actor(actor)
    if idempotency_key:
        existing = session.execute(select(offers).where(and_(offers.c.owner_id == a.get("user_id"),
                                                             offers.c.creation_key == idempotency_key))
                                   ).mappings().first()
        if existing:
            return offer_view(existing, "owner")
    row = _load_owned(session, actor, offer_id, lock=False)
    if row["is_partner"]:
        raise Conflict("Une offre partenaire ne se duplique pas.", code="partner_offer")
    today = paris_date(now)
    year = options.get("school_year") or row["school_year"] or cal.school_year_of(today)
    allowed = cal.offerable_school_years(today)
    if cal.check_school_year(year) or year not in allowed:
        raise ValidationError(None, {"school_year": [od.MSG_YEAR_CLOSED.format(y=year, a=allowed[0], b=allowed[1])]})
    keep_place = options.get("keep_place", True)
    copy = {k: v for k, v in row.items() if k in offers.c}
    new_id = str(uuid.uuid4())
    copy.update(id=new_id, state=st.DRAFT, creation_key=idempotency_key, duplicated_from=row["id"],
                linked_offer_id=None, school_year=year, weeks=[], all_year=False, seats_taken=0,
                published_at=None, removed_at=None, created_at=now, updated_at=now, owner_id=a.get("user_id"),
                completed_steps=[s for s in (row["completed_steps"] or []) if s != "planning"])
    if not keep_place:
        copy.update(address=None, commune_insee=None, city=None, dep_code=None, academie_code=None, lat=None,
                    lon=None, completed_steps=[s for s in copy["completed_steps"] if s != "place"])
    copy.update(search_columns(copy, load_overrides(session)))
    stmt = pg_insert(offers).values(**copy)
    if idempotency_key:
        stmt = stmt.on_conflict_do_nothing(index_elements=["owner_id", "creation_key"],
                                           index_where=text("creation_key IS NOT NULL"))
    if session.execute(stmt.returning(offers.c.id)).first() is None:
        existing = session.execute(select(offers).where(and_(offers.c.owner_id == a.get("user_id"),
                                                             offers.c.creation_key == idempotency_key))
                                   ).mappings().first()
        return offer_view(existing, "owner")
    return offer_view(_load(session, new_id), "owner")


# -- reading ---------------------------------------------------------------------------

def get_offer_internal(session, offer_id) -> dict:
    return with_holidays(offer_view(_load(session, offer_id), "internal"), load_overrides(session, cached=True))


def with_holidays(view: dict, overrides: dict) -> dict:
    """Add ``holiday_weeks``: those of the offer's weeks that are school holidays in some zone
    ({week: [zones]}); the applications service refuses a pupil's week that is a holiday in their zone."""
    view["holiday_weeks"] = cal.holiday_weeks(view.get("offer_weeks"), overrides)
    return view


def view_offer(session, actor, offer_id, now) -> dict:
    """An offer as an HTTP caller may see it: owners and admins see everything;
    others see live offers they are allowed to see, with can_apply."""
    row = _load(session, offer_id)
    a = _actor(actor)
    if _is_admin(a) or (a.get("user_id") and a.get("user_id") == row["owner_id"]):
        return with_holidays(offer_view(row, "owner"), load_overrides(session, cached=True))
    if row["state"] in (st.DRAFT, st.REMOVED):
        raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
    viewer = sd.viewer_from_actor(a)
    data = {**offer_dict(row), "state": row["state"]}
    if viewer["role"] not in ("pupil", "school_staff") and sd.is_reserved(data) and viewer["role"] not in sd.SEE_ALL_ROLES:
        raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
    if viewer["role"] in ("pupil", "school_staff") and sd.is_reserved(data) and not sd.reservation_matches(data, viewer):
        raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
    out = with_holidays(offer_view(row, "public"), load_overrides(session, cached=True))
    out["can_apply"] = (sd.can_apply(data, viewer, seats_left(row)) and row["last_day"] is not None
                        and not cal.week_is_past(cal.week_key(row["last_day"]), now))
    return out


def get_offers_internal(session, offer_ids: list) -> list[dict]:
    ids = []
    for i in offer_ids or []:
        try:
            ids.append(str(uuid.UUID(str(i))))
        except ValueError:
            continue
    rows = session.execute(select(offers).where(offers.c.id.in_(ids))).mappings().all() if ids else []
    return [offer_view(r, "internal") for r in rows]


def list_my_offers(session, actor, state: str | None, page: int, owner_id: str | None = None) -> dict:
    """The caller's offers; an administrator may name another owner (``owner_id``: an employer's offers)."""
    a = _actor(actor)
    if not a.get("user_id"):
        raise Forbidden()
    if owner_id and not _is_admin(actor):
        raise Forbidden("Seul un administrateur consulte les offres d'un autre compte.")
    page = max(int(page or 1), 1)
    q = select(offers).where(offers.c.owner_id == str(owner_id or a["user_id"]))
    if state:
        if state not in st.STATES:
            raise ValidationError(None, {"state": ["État inconnu (draft, published, unpublished, "
                                                   "need_to_be_updated, removed)."]})
        q = q.where(offers.c.state == state)
    else:
        q = q.where(offers.c.state != st.REMOVED)
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar()
    rows = session.execute(q.order_by(offers.c.created_at.desc(), offers.c.id).limit(30).offset((page - 1) * 30)
                           ).mappings().all()
    return {"items": [offer_view(r, "owner") for r in rows], "page": page, "per_page": 30, "total": total}


def export_personal_data(session, actor) -> dict:
    """Everything the offers service keeps about the caller (GET /me/data): every offer they created, published
    or manage as an operator, removed ones included, as their owner sees it, with the internal columns kept
    (creation key, partner payload, dates)."""
    a = _actor(actor)
    if not a.get("user_id"):
        raise Forbidden()
    uid = str(a["user_id"])
    rows = session.execute(select(offers).where(or_(offers.c.owner_id == uid, offers.c.employer_id == uid,
                                                    offers.c.operator_id == uid))
                           .order_by(offers.c.created_at, offers.c.id)).mappings().all()
    items = []
    for r in rows:
        item = offer_view(r, "owner")
        for k in ("owner_id", "employer_id", "operator_id", "remote_id", "creation_key", "partner_payload",
                  "removed_at", "created_at", "updated_at", "published_at"):
            v = r.get(k)
            item[k] = v.isoformat() if hasattr(v, "isoformat") else v
        items.append(item)
    return {"offers": items}


# -- seats -----------------------------------------------------------------------------

def reserve_seat(uow, offer_id, application_id, week, now) -> dict:
    """Take a seat for an application (idempotent per application; the offer row lock
    serialises concurrent calls, the CHECK constraint guards the invariant)."""
    session = uow.session
    try:
        application_id = str(uuid.UUID(str(application_id)))
    except (ValueError, TypeError):
        raise ValidationError(None, {"application_id": ["Identifiant de candidature invalide."]})
    row = _load(session, offer_id, lock=True)
    existing = session.execute(select(seat_reservations.c.week).where(and_(
        seat_reservations.c.offer_id == row["id"], seat_reservations.c.application_id == application_id))).first()
    if existing is not None:
        return {"offer_id": row["id"], "application_id": application_id, "week": existing.week,
                "seats_left": seats_left(row), "replayed": True}
    if row["state"] != st.PUBLISHED:
        if row["state"] == st.NEED_TO_BE_UPDATED and seats_left(row) == 0:
            raise Conflict(seats_rules.MSG_FULL, code="offer_full")
        raise Conflict(MSG_NOT_AVAILABLE, code="offer_not_available", extra={"state": row["state"]})
    if week is None and len(row["search_weeks"] or []) >= 1:
        week = row["search_weeks"][0]
    seats_rules.check_reserve(row["seats"], row["seats_taken"], week, list(row["search_weeks"] or []), None)
    if cal.week_is_past(week, paris_date(now)):
        raise ValidationError(None, {"week": ["Cette semaine est passée."]})
    session.execute(insert(seat_reservations).values(offer_id=row["id"], application_id=application_id,
                                                     week=week, created_at=now))
    taken = row["seats_taken"] + 1
    full = taken >= row["seats"]
    session.execute(update(offers).where(offers.c.id == row["id"]).values(
        seats_taken=taken, updated_at=now, **({"state": st.NEED_TO_BE_UPDATED} if full else {})))
    if full:
        uow.emit("offer.full", {"offer_id": row["id"], "seats": row["seats"]})
    return {"offer_id": row["id"], "application_id": application_id, "week": week,
            "seats_left": row["seats"] - taken, "replayed": False}


def release_seat(uow, offer_id, application_id, now) -> dict:
    session = uow.session
    row = _load(session, offer_id, lock=True)
    try:
        application_id = str(uuid.UUID(str(application_id)))
    except (ValueError, TypeError):
        raise ValidationError(None, {"application_id": ["Identifiant de candidature invalide."]})
    gone = session.execute(delete(seat_reservations).where(and_(
        seat_reservations.c.offer_id == row["id"], seat_reservations.c.application_id == application_id))
        .returning(seat_reservations.c.week)).first()
    if gone is None:
        return {"offer_id": row["id"], "application_id": application_id, "released": False,
                "seats_left": seats_left(row)}
    taken = max(row["seats_taken"] - 1, 0)
    values = {"seats_taken": taken, "updated_at": now}
    back = False
    if row["state"] == st.NEED_TO_BE_UPDATED:
        blockers = st.republish_blockers({**offer_dict(row)}, taken, paris_date(now), load_overrides(session))
        if not blockers:
            values["state"] = st.PUBLISHED
            back = True
    session.execute(update(offers).where(offers.c.id == row["id"]).values(**values))
    fresh = _load(session, row["id"])
    if back:
        _emit_published(uow, fresh, republished=True)
    return {"offer_id": row["id"], "application_id": application_id, "released": True,
            "seats_left": seats_left(fresh)}


# -- timer -----------------------------------------------------------------------------

def move_past_offers(uow, now) -> list[str]:
    """Published offers whose weeks are all past move to need_to_be_updated."""
    session = uow.session
    today = paris_date(now)
    overrides = load_overrides(session)
    rows = session.execute(select(offers).where(and_(offers.c.state == st.PUBLISHED,
                                                     offers.c.last_day < today))  # Friday over: cal.week_is_past
                           .with_for_update(skip_locked=True)).mappings().all()
    moved = []
    for row in rows:
        if od.future_weeks(offer_dict(row), today, overrides):
            continue
        session.execute(update(offers).where(offers.c.id == row["id"]).values(
            state=st.NEED_TO_BE_UPDATED, updated_at=now))
        uow.emit("offer.unpublished", {"offer_id": row["id"], "state": st.NEED_TO_BE_UPDATED,
                                       "reason": "weeks_past"})
        moved.append(row["id"])
    return moved


# -- search ----------------------------------------------------------------------------

_POINTS: dict = {}
_SCHOOL_POINTS: dict = {}  # uai -> (point or None, read at)
SCHOOL_POINT_TTL = 600.0
_REFERENCE_LOCK = Semaphore(1)  # concurrent first searches read the 35,000 communes once, not each


def _points(engines: "SearchEngines") -> dict:
    """Commune and postal-code points, read once per process (static reference data)."""
    if _POINTS.get("communes"):
        return _POINTS
    with _REFERENCE_LOCK:
        if not _POINTS.get("communes"):
            with engines.reference.connect() as session:
                rows = session.execute(select(communes.c.insee_code, communes.c.lat, communes.c.lon,
                                              communes.c.kind, communes.c.population)
                                       .where(communes.c.lat.is_not(None))).all()
                postal = session.execute(select(postal_codes.c.postal_code, postal_codes.c.insee_code)).all()
            by_insee = {r.insee_code: (r.lat, r.lon) for r in rows}
            rank = {r.insee_code: (r.kind == "commune", r.population) for r in rows}
            by_postal: dict = {}
            for pc, insee in postal:
                if insee in by_insee and (pc not in by_postal or rank[insee] > rank[by_postal[pc]]):
                    by_postal[pc] = insee
            if by_insee:
                _POINTS.update(communes=by_insee, postal={pc: by_insee[i] for pc, i in by_postal.items()})
    return _POINTS


def _school_point(engines: "SearchEngines", uai: str):
    import time
    hit = _SCHOOL_POINTS.get(uai)
    if hit is not None and time.monotonic() - hit[1] < SCHOOL_POINT_TTL:
        return hit[0]
    with engines.reference.connect() as session:
        r = session.execute(select(school_points.c.lat, school_points.c.lon)
                            .where(school_points.c.uai == uai)).first()
    point = (r.lat, r.lon) if r is not None and r.lat is not None else None
    if len(_SCHOOL_POINTS) > 50_000:
        _SCHOOL_POINTS.clear()
    _SCHOOL_POINTS[uai] = (point, time.monotonic())
    return point


def _search_overrides(engines: "SearchEngines") -> dict:
    import time
    if _OVERRIDES_CACHE and time.monotonic() - _OVERRIDES_CACHE["at"] < OVERRIDES_TTL:
        return _OVERRIDES_CACHE["value"]
    with engines.reference.connect() as session:
        return load_overrides(session, cached=True)


def _centre(engines: "SearchEngines", p: dict, viewer: dict) -> tuple[tuple[float, float] | None, str | None]:
    if p.get("lat") is not None:
        return (p["lat"], p["lon"]), "coordinates"
    if p.get("commune"):
        point = _points(engines).get("communes", {}).get(p["commune"])
        if point is None:
            raise ValidationError(None, {"commune": [MSG_UNKNOWN_COMMUNE]})
        return point, "commune"
    if p.get("postal_code"):
        point = _points(engines).get("postal", {}).get(p["postal_code"])
        if point is None:
            raise ValidationError(None, {"postal_code": [MSG_UNKNOWN_POSTAL]})
        return point, "postal_code"
    if viewer.get("role") == "pupil" and viewer.get("school_uai"):
        point = _school_point(engines, viewer["school_uai"])
        if point is not None:
            return point, "school"
    return None, None


class SearchEngines:
    """What the search reads with: ``pools`` (plain psycopg, see ``search_pool``) for its
    statements, ``reference`` (SQLAlchemy, opened rarely) for the calendar overrides, commune
    points and school points it keeps in memory."""

    def __init__(self, url, size: int | None = None):
        size = size or int(settings.env_float("OFFERS_SEARCH_CONNECTIONS", 6))
        self.pools = SearchConnections(url, size)
        self.reference = create_engine(url, pool_size=1, max_overflow=2, pool_recycle=1800)

    def dispose(self):
        self.pools.close()
        self.reference.dispose()


_SEARCH_ENGINES: dict = {}


def search_engines(url) -> SearchEngines:
    key = url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)
    if key not in _SEARCH_ENGINES:
        _SEARCH_ENGINES[key] = SearchEngines(url)
    return _SEARCH_ENGINES[key]


def _run(engines, p, viewer, grade, centre, today, priority, limit, offset) -> list[dict]:
    sql, params = search_sql.build_search(p, viewer, grade, centre, today - dt.timedelta(days=1),
                                          priority=priority, limit=limit, offset=offset)
    prio = bool(priority) and search_sql.priority_sql(viewer) is not None
    return _fetch_cards(engines, p, centre, sql, params, viewer, lambda row: prio)


def _fetch_cards(engines, p, centre, sql, params, viewer, is_priority) -> list[dict]:
    pool = engines.pools.knn if search_sql.uses_knn(p, centre) else engines.pools.default
    # binary results (no text parsing of arrays, dates and floats), tuples (a dict per row cost more than
    # the rest of the row handling); psycopg prepares a statement it runs for the fifth time
    rows = pool.fetch(search_sql.to_pyformat(sql), params)
    return [_result_view(row, viewer.get("role") == "pupil", is_priority(row)) for row in rows]


def _page(engines, p, viewer, grade, centre, today) -> tuple[list[dict], bool]:
    """One page: the viewer's priority offers first (all of them, by distance), then the others."""
    size = p["page_size"]
    start = (p["page"] - 1) * size
    if search_sql.priority_sql(viewer) is None:
        rows = _run(engines, p, viewer, grade, centre, today, None, size + 1, start)
        return rows[:size], len(rows) > size
    if start == 0 and centre is not None:
        # the first page asks both halves in one statement (one round trip)
        sql, params = search_sql.build_priority_page(p, viewer, grade, centre, today - dt.timedelta(days=1),
                                                     limit=size + 1)
        both = _fetch_cards(engines, p, centre, sql, params, viewer, lambda row: row[-1])
        first = sorted((c for c in both if c["priority"]), key=_by_distance)
        rest = sorted((c for c in both if not c["priority"]), key=_by_distance)
        if len(first) > size:
            return first[:size], True
        need = size - len(first)
        return first + rest[:need], len(rest) > need
    first = _run(engines, p, viewer, grade, centre, today, True, start + size + 1, 0)
    items = first[start:start + size]
    if len(first) > start + size:
        return items, True
    need = size - len(items)
    rest = _run(engines, p, viewer, grade, centre, today, False, need + 1, max(0, start - len(first)))
    return items + rest[:need], len(rest) > need


def _by_distance(card: dict):
    return card["distance_km"], card["id"]


_CARD_KEYS = search_sql.RESULT_KEYS


def _result_view(row: tuple, can_apply: bool, priority: bool) -> dict:
    """A result card. Every row the search returns is live (a seat left) and visible to the viewer (the
    SQL applies ``domain.search.visible_to``), so a pupil may apply to each of them."""
    card = dict(zip(_CARD_KEYS, row))
    card["weeks"] = card["weeks"] or []
    card["first_day"] = _iso(card["first_day"])
    card["last_day"] = _iso(card["last_day"])
    chord = card.pop("chord")
    card["distance_km"] = round(search_sql.distance_km(chord), 2) if chord is not None else None
    card["priority"] = priority
    card["can_apply"] = can_apply
    return card


def search(engines: SearchEngines, actor, raw: dict, now) -> dict:
    today = paris_date(now)
    viewer = sd.viewer_from_actor(actor)
    # one connection at a time per search (never hold one while waiting for another: pool deadlock)
    p = sd.parse_search_params(raw or {}, today, _search_overrides(engines))
    grade = sd.effective_grade(p, viewer)
    centre, source = _centre(engines, p, viewer)
    items, has_more = _page(engines, p, viewer, grade, centre, today)
    relaxed = False
    if not items and p["page"] == 1:
        rp = sd.relaxed_params(p)
        if rp is not None:
            items, has_more = _page(engines, rp, viewer, grade, centre, today)
            relaxed = bool(items)
    return {
        "items": items,
        "page": p["page"], "per_page": p["page_size"], "has_more": has_more, "relaxed": relaxed,
        "centre": ({"lat": centre[0], "lon": centre[1], "source": source, "radius_km": p["radius_km"]}
                   if centre else None),
        "grade": grade if grade != "__none__" else None,
    }


# -- partner API -----------------------------------------------------------------------

def _operator(actor) -> str:
    a = _actor(actor)
    if a.get("role") != "operator" or not a.get("user_id"):
        raise Forbidden("L'API partenaire est réservée aux opérateurs.", code="role_forbidden")
    return a["user_id"]


def partner_hit(uow, actor, now) -> None:
    """100 requests a minute per operator, sliding window, shared by every
    gateway and service process (the operator's row lock serialises it)."""
    operator_id = _operator(actor)
    session = uow.session
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "partner:" + operator_id})
    since = now - dt.timedelta(seconds=PARTNER_WINDOW)
    session.execute(delete(partner_hits).where(and_(partner_hits.c.operator_id == operator_id,
                                                    partner_hits.c.at <= since)))
    hits = session.execute(select(partner_hits.c.at).where(partner_hits.c.operator_id == operator_id)
                           .order_by(partner_hits.c.at)).scalars().all()
    if len(hits) >= PARTNER_LIMIT:
        oldest = hits[len(hits) - PARTNER_LIMIT]
        retry = max(1, int((oldest + dt.timedelta(seconds=PARTNER_WINDOW) - now).total_seconds() + 0.999))
        raise RateLimited(f"Limite de {PARTNER_LIMIT} requêtes par minute atteinte. Réessayez dans {retry} s.",
                          retry_after=retry)
    session.execute(insert(partner_hits).values(operator_id=operator_id, at=now))


def _partner_columns(session, data: dict, out: dict, overrides) -> tuple[dict, dict]:
    cols = {k: out[k] for k in ("title", "description", "grades", "weeks", "all_year", "seconde_period",
                                "school_year", "seats", "permalink", "reserved_rep", "reserved_qpv") if k in out}
    errors = {}
    if "address" in out:
        place, errors = resolve_place(session, out["address"])
        cols.update(place)
    if "organisation" in out:
        cols["organisation"] = out["organisation"]
        cols["sector"] = out["organisation"].get("sector")
    return cols, errors


def _partner_row(session, operator_id, remote_id, lock=False):
    q = select(offers).where(and_(offers.c.operator_id == operator_id, offers.c.remote_id == remote_id,
                                  offers.c.state != st.REMOVED))
    if lock:
        q = q.with_for_update()
    row = session.execute(q).mappings().first()
    if row is None:
        raise NotFound("Aucune offre avec cet identifiant distant.", code="offer_not_found")
    return dict(row)


def partner_view(row) -> dict:
    v = offer_view(row, "internal")
    return {k: v[k] for k in ("id", "remote_id", "state", "title", "description", "permalink", "sector", "grades",
                              "school_year", "weeks", "seconde_period", "offer_weeks", "first_day", "last_day",
                              "seats", "seats_left", "city", "commune_insee", "address", "reserved_rep",
                              "reserved_qpv", "published_at", "updated_at")} | {
        "employer_name": (row.get("organisation") or {}).get("name")}


def partner_create(uow, actor, data: dict, now) -> dict:
    operator_id = _operator(actor)
    session = uow.session
    today = paris_date(now)
    overrides = load_overrides(session)
    errors, out = pd.validate_partner_offer(data or {}, today, overrides)
    if errors:
        raise ValidationError(None, errors)
    cols, perrs = _partner_columns(session, data, out, overrides)
    if perrs:
        raise ValidationError(None, perrs)
    dup = session.execute(select(offers.c.id).where(and_(offers.c.operator_id == operator_id,
                                                         offers.c.remote_id == out["remote_id"],
                                                         offers.c.state != st.REMOVED))).first()
    if dup is not None:
        raise Conflict("Une offre avec ce remote_id existe déjà pour votre compte.", code="duplicate_remote_id",
                       extra={"offer_id": dup.id})
    offer_id = str(uuid.uuid4())
    values = {"id": offer_id, "state": st.PUBLISHED, "owner_id": operator_id, "operator_id": operator_id,
              "remote_id": out["remote_id"], "is_partner": True, "partner_payload": data,
              "completed_steps": list(od.STEPS), "published_at": now, "created_at": now, "updated_at": now,
              "hours": None, "lunch_break": None, **cols}
    values.update(search_columns(values, overrides))
    stmt = pg_insert(offers).values(**values).on_conflict_do_nothing(
        index_elements=["operator_id", "remote_id"],
        index_where=text("remote_id IS NOT NULL AND state <> 'removed'")).returning(offers.c.id)
    if session.execute(stmt).first() is None:
        raise Conflict("Une offre avec ce remote_id existe déjà pour votre compte.", code="duplicate_remote_id")
    fresh = _load(session, offer_id)
    _emit_published(uow, fresh)
    return partner_view(fresh)


def partner_update(uow, actor, remote_id, data: dict, now) -> dict:
    operator_id = _operator(actor)
    session = uow.session
    row = _partner_row(session, operator_id, remote_id, lock=True)
    if "remote_id" in (data or {}):
        raise ValidationError(None, {"remote_id": ["L'identifiant distant ne peut pas être modifié."]})
    merged = {**(row["partner_payload"] or {}), **(data or {})}
    today = paris_date(now)
    overrides = load_overrides(session)
    errors, out = pd.validate_partner_offer(merged, today, overrides)
    if errors:
        raise ValidationError(None, errors)
    cols, perrs = _partner_columns(session, merged, out, overrides)
    if not perrs:
        msg = seats_rules.check_seats_change(cols.get("seats", row["seats"]), row["seats_taken"])
        if msg:
            perrs = {"seats": [msg]}
    if perrs:
        raise ValidationError(None, perrs)
    values = {**cols, "partner_payload": merged, "updated_at": now}
    values.update(search_columns({**row, **values}, overrides))
    changed = sorted(k for k in cols if cols[k] != row.get(k))
    new_state = row["state"]
    if row["state"] in (st.PUBLISHED, st.NEED_TO_BE_UPDATED):
        blockers = st.republish_blockers(offer_dict({**row, **values}), row["seats_taken"], today, overrides)
        new_state = st.live_state(row["state"], blockers)
        values["state"] = new_state
    session.execute(update(offers).where(offers.c.id == row["id"]).values(**values))
    fresh = _load(session, row["id"])
    if changed:
        uow.emit("offer.updated", {"offer_id": row["id"], "state": new_state, "fields": changed,
                                   "seats_left": seats_left(fresh)})
    if row["state"] == st.NEED_TO_BE_UPDATED and new_state == st.PUBLISHED:
        _emit_published(uow, fresh, republished=True)
    return partner_view(fresh)


def partner_delete(uow, actor, remote_id, now) -> dict:
    operator_id = _operator(actor)
    session = uow.session
    row = _partner_row(session, operator_id, remote_id, lock=True)
    session.execute(update(offers).where(offers.c.id == row["id"]).values(
        state=st.REMOVED, removed_at=now, updated_at=now))
    uow.emit("offer.removed", {"offer_id": row["id"]})
    return {"id": row["id"], "remote_id": remote_id, "state": st.REMOVED}


def partner_list(session, actor, page: int) -> dict:
    operator_id = _operator(actor)
    page = max(int(page or 1), 1)
    q = select(offers).where(and_(offers.c.operator_id == operator_id, offers.c.state != st.REMOVED))
    total = session.execute(select(func.count()).select_from(q.subquery())).scalar()
    rows = session.execute(q.order_by(offers.c.created_at.desc(), offers.c.id).limit(30).offset((page - 1) * 30)
                           ).mappings().all()
    return {"items": [partner_view(r) for r in rows], "page": page, "per_page": 30, "total": total}


# -- demo ------------------------------------------------------------------------------

DEMO = [
    ("Boulanger, pâtissier", "s26", "71270", ["troisieme"]),
    ("Développeur web", "s31", "75056", ["quatrieme", "troisieme"]),
    ("Infirmier en service de pédiatrie", "s43", "69123", ["seconde"]),
    ("Agent administratif en mairie", "s25", "13055", ["troisieme"]),
    ("Technicien de maintenance éolienne", "s21", "44109", ["seconde"]),
]


def seed_demo_offers(uow, employer_id: str, count: int, now) -> list[str]:
    """Published demo offers for the demo dataset (idempotent per employer and rank)."""
    session = uow.session
    today = paris_date(now)
    year = cal.school_year_of(today)
    overrides = load_overrides(session)
    future = [w for w in cal.college_weeks(year, overrides.get(year)) if not cal.week_is_past(w, today)]
    if len(future) < 2:
        year = cal.next_school_year(year)
        future = cal.college_weeks(year, overrides.get(year))
    ids = []
    for i in range(count):
        title, sector, insee, grades = DEMO[i % len(DEMO)]
        key = f"demo-{i}"
        existing = session.execute(select(offers.c.id).where(and_(offers.c.owner_id == employer_id,
                                                                  offers.c.creation_key == key))).first()
        if existing:
            ids.append(existing.id)
            continue
        is_public = sector == "s25"
        data = {
            "title": title,
            "description": f"Découverte du métier de {title.lower()} : observation, échanges avec l'équipe, "
                           f"présentation des outils et des règles de sécurité.",
            "address": {"street": f"{i + 1} place de la Mairie", "commune_insee": insee},
            "organisation": {"name": f"Structure d'accueil démo {i + 1}", "manual_entry": True,
                             "is_public": is_public, "public_employer_type": "collectivite_commune" if is_public else None,
                             "sector": sector,
                             "head_office_address": {"street": f"{i + 1} place de la Mairie", "postal_code": "75001",
                                                     "city": "Paris"},
                             "contact_phone": "01 23 45 67 89"},
            "grades": grades, "school_year": year, "weeks": future[i % max(len(future) - 1, 1):][:2],
            "seconde_period": "both" if "seconde" in grades else None, "seats": 3,
            "hours": {"mode": "same", "start": "09:00", "end": "17:00"},
            "lunch_break": "Pause déjeuner d'une heure, possibilité de déjeuner sur place.",
        }
        cols, errors = _apply_steps(session, {}, data, list(od.STEPS), today, overrides)
        if errors:
            raise ValidationError("Offre de démonstration invalide.", errors)
        oid = str(uuid.uuid4())
        values = {"id": oid, "state": st.PUBLISHED, "owner_id": employer_id, "employer_id": employer_id,
                  "creation_key": key, "completed_steps": list(od.STEPS), "published_at": now, "created_at": now,
                  "updated_at": now, **cols}
        values.update(search_columns(values, overrides))
        session.execute(insert(offers).values(**values))
        _emit_published(uow, _load(session, oid))
        ids.append(oid)
    return ids
