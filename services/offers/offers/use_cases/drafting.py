"""Writing an offer in three steps (place, organisation, planning): create, update, duplicate.

Each step is validated whole by ``domain/offer.py`` (every error at once); the place is resolved from the
commune reference data; a live offer that changes may move between published and need_to_be_updated
(``publication.save_change``)."""
from __future__ import annotations

import datetime as dt
import uuid

from common.clock import paris_date
from common.errors import Conflict, FieldErrors, ValidationError

from .. import views
from ..domain import access
from ..domain import calendar as cal
from ..domain import moderation
from ..domain import offer as od
from ..domain import seats as seats_rules
from ..domain import states as st
from ..domain.organisation import normalize_organisation
from ..domain.search import index_columns
from . import publication
from .lookup import load, load_managed

MSG_UNKNOWN_COMMUNE = "Commune inconnue."
MSG_UNKNOWN_POSTAL = "Code postal inconnu."
MSG_NO_COORDINATES = "Cette commune n'a pas de coordonnées : indiquez la latitude et la longitude."
MSG_UNKNOWN_FIELD = "Champ inconnu."
MSG_STEP_MISSING = "Indiquez l'étape modifiée (place, organisation ou planning)."
MSG_MIXED_LIVE = "Une offre publiée ne peut pas mélanger collège et lycée : dupliquez-la pour l'autre niveau."


def resolve_place(repo, address: dict, prefix: str = "address.") -> tuple[dict, dict]:
    """Fill commune, city, département, académie and coordinates from the commune data
    (given coordinates win). Returns (columns, field errors)."""
    errors: dict = {}
    insee = (address.get("commune_insee") or "").strip().upper() or None
    postal = (address.get("postal_code") or "").strip() or None
    commune = None
    if insee:
        commune = repo.commune(insee=insee)
        if commune is None:
            errors[prefix + "commune_insee"] = [MSG_UNKNOWN_COMMUNE]
    elif postal:
        commune = repo.commune(postal=postal)
        if commune is None:
            errors[prefix + "postal_code"] = [MSG_UNKNOWN_POSTAL]
    if commune is None:
        return {}, errors
    lat, lon = address.get("lat"), address.get("lon")
    if lat is None or lon is None:
        lat, lon = commune["lat"], commune["lon"]
    if lat is None:
        errors[prefix + "lat"] = [MSG_NO_COORDINATES]
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


def steps_in(data: dict) -> list[str]:
    step = data.get("step")
    if step:
        return [step]
    return [s for s, fields in od.STEP_FIELDS.items() if any(f in data for f in fields)]


def apply_steps(repo, current: dict, data: dict, steps: list[str], today, overrides) -> tuple[dict, dict]:
    """Validate the given steps on (current + data); returns (columns to write, errors)."""
    merged = {**current}
    for s in steps:
        for f in od.STEP_FIELDS.get(s, ()):
            if f in data:
                merged[f] = data[f]
    errors = FieldErrors()
    cols: dict = {}
    naf = repo.naf_mapping()
    for s in steps:
        errs = od.validate_step(s, merged, today, overrides, naf)
        errors.merge(errs)
        if errs:
            continue
        if s == "place":
            place, perrs = resolve_place(repo, merged["address"])
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


def _unknown_fields(data: dict) -> list[str]:
    return sorted(set(data) - set(od.ALL_FIELDS) - {"step"})


def _add_once(repo, owner_id, values: dict, idempotency_key) -> dict:
    """Insert a new offer; with an idempotency key, the offer a concurrent double submit made wins."""
    if repo.add(values, unique="creation_key" if idempotency_key else None):
        return load(repo, values["id"])
    return repo.by_creation_key(owner_id, idempotency_key)


def create_offer(uow, actor, data: dict, idempotency_key: str | None, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        access.check_creator(actor)
        a = actor or {}
        data = data or {}
        if idempotency_key:
            existing = repo.by_creation_key(a["user_id"], idempotency_key)
            if existing:
                return views.offer_view(existing, "owner")
        steps = steps_in(data) or ["place"]
        today = paris_date(now)
        overrides = repo.overrides()
        cols, errors = apply_steps(repo, {}, data, steps, today, overrides)
        for k in _unknown_fields(data):
            errors.setdefault(k, []).append(MSG_UNKNOWN_FIELD)
        if errors:
            raise ValidationError(None, errors)
        values = {"id": str(uuid.uuid4()), "state": st.DRAFT, "owner_id": a["user_id"],
                  "employer_id": a["user_id"] if a.get("role") == "employer" else None,
                  "space_id": access.employer_space(a),
                  "creation_key": idempotency_key, "completed_steps": sorted(steps, key=od.STEPS.index),
                  "created_at": now, "updated_at": now, **cols}
        values.update(index_columns(values, overrides))
        return views.offer_view(_add_once(repo, a["user_id"], values, idempotency_key), "owner")


def update_offer(uow, actor, offer_id, data: dict, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        row = load_managed(repo, actor, offer_id)
        st.check_transition("update", row["state"])
        if row["is_partner"]:
            raise Conflict("Une offre partenaire se modifie par l'API partenaire.", code="partner_offer")
        data = data or {}
        unknown = _unknown_fields(data)
        if unknown:
            raise ValidationError(None, {k: [MSG_UNKNOWN_FIELD] for k in unknown})
        steps = steps_in(data)
        if not steps:
            raise ValidationError(None, {"step": [MSG_STEP_MISSING]})
        today = paris_date(now)
        overrides = repo.overrides()
        cols, errors = apply_steps(repo, od.content(row), data, steps, today, overrides)
        if "planning" in steps and not errors:
            msg = seats_rules.check_seats_change(cols["seats"], row["seats_taken"])
            if msg:
                errors.setdefault("seats", []).append(msg)
            if row["state"] != st.DRAFT and od.is_split_needed(cols["grades"]):
                errors.setdefault("grades", []).append(MSG_MIXED_LIVE)
        if errors:
            raise ValidationError(None, errors)
        values = dict(cols)
        values.update(index_columns({**row, **cols}, overrides))
        values["completed_steps"] = sorted(set(row["completed_steps"] or []) | set(steps), key=od.STEPS.index)
        values["updated_at"] = now
        changed = sorted(k for k in cols if cols[k] != row.get(k))
        if changed:   # an edit answers a moderator's request for changes (domain/moderation.py)
            values["moderation_status"] = moderation.after_edit(row.get("moderation_status"))
        fresh = publication.save_change(repo, row, values, changed, today, overrides)
        return views.offer_view(fresh, "owner")


def duplicate_offer(uow, actor, offer_id, options: dict | None, idempotency_key, now: dt.datetime) -> dict:
    """A new draft copied from an offer, for another period or year; ``keep_place``
    (default true) keeps the address. Weeks are cleared (the period must be chosen again)."""
    with uow.begin() as repo:
        options = options or {}
        owner_id = (actor or {}).get("user_id")
        if idempotency_key:
            existing = repo.by_creation_key(owner_id, idempotency_key)
            if existing:
                return views.offer_view(existing, "owner")
        row = load_managed(repo, actor, offer_id, lock=False)
        if row["is_partner"]:
            raise Conflict("Une offre partenaire ne se duplique pas.", code="partner_offer")
        today = paris_date(now)
        year = options.get("school_year") or row["school_year"] or cal.school_year_of(today)
        allowed = cal.offerable_school_years(today)
        if cal.check_school_year(year) or year not in allowed:
            raise ValidationError(None, {"school_year": [od.MSG_YEAR_CLOSED.format(y=year, a=allowed[0],
                                                                                   b=allowed[1])]})
        copy = dict(row)
        copy.update(id=str(uuid.uuid4()), state=st.DRAFT, creation_key=idempotency_key, duplicated_from=row["id"],
                    linked_offer_id=None, school_year=year, weeks=[], all_year=False, seats_taken=0,
                    published_at=None, removed_at=None, created_at=now, updated_at=now, owner_id=owner_id,
                    moderation_hold=False, moderation_status=None,
                    completed_steps=[s for s in (row["completed_steps"] or []) if s != "planning"])
        if not options.get("keep_place", True):
            copy.update(address=None, commune_insee=None, city=None, dep_code=None, academie_code=None, lat=None,
                        lon=None, completed_steps=[s for s in copy["completed_steps"] if s != "place"])
        copy.update(index_columns(copy, repo.overrides()))
        return views.offer_view(_add_once(repo, owner_id, copy, idempotency_key), "owner")
