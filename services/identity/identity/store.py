"""Database helpers of the identity service (SQLAlchemy Core over identity.models).

Rows are turned into plain dicts here; the domain layer only sees dicts."""
from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from .domain import keys as keys_domain
from .domain.access_tokens import ACCESS_TTL
from .domain.schools import bounding_box, words
from .models import (login_locks, one_time_tokens, rate_events, refresh_families, refresh_tokens,
                     school_heads, schools, signing_keys, users)


def row_dict(row) -> dict | None:
    return dict(row._mapping) if row is not None else None


def iso(v):
    if v is None:
        return None
    return v.isoformat()


# -- schools -------------------------------------------------------------------

SCHOOL_FIELDS = ("uai", "kind", "name", "sector", "private_contract", "status", "postal_code", "commune_insee",
                 "commune_name", "dep_code", "academie_code", "academie_name", "lat", "lon",
                 "education_prioritaire", "qpv", "qpv_situation", "street_address", "address_complement",
                 "address_postal_code", "address_city")


def school_public(s: dict | None) -> dict | None:
    if s is None:
        return None
    return {k: s.get(k) for k in SCHOOL_FIELDS}


def get_school(conn, uai: str) -> dict | None:
    return row_dict(conn.execute(select(schools).where(schools.c.uai == uai)).first())


def get_schools(conn, uais) -> dict[str, dict]:
    uais = [u for u in set(uais) if u]
    if not uais:
        return {}
    return {r.uai: row_dict(r) for r in conn.execute(select(schools).where(schools.c.uai.in_(uais)))}


def _filtered(stmt, filters: dict | None):
    """Directory filters (see domain.schools.check_filters) as WHERE clauses."""
    filters = filters or {}
    if "education_prioritaire" in filters:
        stmt = stmt.where(schools.c.education_prioritaire.in_(filters["education_prioritaire"]))
    if "qpv" in filters:
        stmt = stmt.where(schools.c.qpv.is_(filters["qpv"]))
    return stmt


def school_candidates(conn, query: str, kind: str | None, limit: int = 400, filters: dict | None = None) -> list[dict]:
    """Schools whose name or commune contains every significant query word (prefilter for ranking)."""
    from .domain.schools import _expand  # same expansion as the stored keys

    ws = [_expand(w) for w in words(query)]
    ws = [w for w in ws if len(w) >= 2 or w.isdigit()] or ws
    if not ws:
        return []
    hay = schools.c.name_key + " " + schools.c.commune_key + " " + func.coalesce(schools.c.postal_code, "") + \
        " " + func.lower(schools.c.uai)
    stmt = _filtered(select(schools).where(and_(*[hay.contains(w) for w in ws])), filters)
    if kind:
        stmt = stmt.where(schools.c.kind == kind)
    return [row_dict(r) for r in conn.execute(stmt.limit(limit))]


def schools_in_box(conn, lat: float, lon: float, radius_km: float, kind: str | None,
                   filters: dict | None = None) -> list[dict]:
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_km)
    stmt = _filtered(select(schools), filters).where(schools.c.lat.between(min_lat, max_lat),
                                                     schools.c.lon.between(min_lon, max_lon))
    if kind:
        stmt = stmt.where(schools.c.kind == kind)
    return [row_dict(r) for r in conn.execute(stmt)]


def designated_head(conn, uai: str, for_update: bool = False) -> dict | None:
    """The school's designated head row ({"school_uai", "user_id", "designated_at", "designated_by"}) or None."""
    stmt = select(school_heads).where(school_heads.c.school_uai == uai)
    if for_update:
        stmt = stmt.with_for_update()
    return row_dict(conn.execute(stmt).first())


# -- users -----------------------------------------------------------------------

def get_user(conn, user_id: str, for_update: bool = False) -> dict | None:
    stmt = select(users).where(users.c.id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    return row_dict(conn.execute(stmt).first())


def find_by_login(conn, kind: str, value: str) -> dict | None:
    col = users.c.email if kind == "email" else users.c.phone
    return row_dict(conn.execute(select(users).where(col == value, users.c.status != "anonymized")).first())


def identifier_owner(conn, kind: str, value: str, except_id: str | None = None) -> str | None:
    """The id of the account (other than ``except_id``) whose e-mail or phone is ``value``."""
    col = users.c.email if kind == "email" else users.c.phone
    stmt = select(users.c.id).where(col == value)
    if except_id:
        stmt = stmt.where(users.c.id != except_id)
    row = conn.execute(stmt.limit(1)).first()
    return row[0] if row else None


def email_taken(conn, email: str, except_id: str | None = None) -> bool:
    stmt = select(users.c.id).where(users.c.email == email)
    if except_id:
        stmt = stmt.where(users.c.id != except_id)
    return conn.execute(stmt).first() is not None


def phone_taken(conn, phone: str, except_id: str | None = None) -> bool:
    stmt = select(users.c.id).where(users.c.phone == phone)
    if except_id:
        stmt = stmt.where(users.c.id != except_id)
    return conn.execute(stmt).first() is not None


USER_PUBLIC = ("id", "role", "status", "first_name", "last_name", "function", "job_title", "organisation_name",
               "school_uai", "grade", "class_name", "stat_scope", "stat_scope_code")


def user_public(u: dict) -> dict:
    out = {k: u.get(k) for k in USER_PUBLIC}
    if u.get("role") == "school_staff":
        out["staff_confirmed"] = u.get("staff_confirmed_at") is not None
    out["created_at"] = iso(u.get("created_at"))
    out["activated_at"] = iso(u.get("activated_at"))
    if u.get("role") == "pupil":
        out["birth_date"] = iso(u.get("birth_date"))   # conventions: minors and their legal representatives
    return out


def pupil_public(u: dict) -> dict:
    return {"id": u["id"], "first_name": u["first_name"], "last_name": u["last_name"], "class_name": u["class_name"],
            "grade": u["grade"], "birth_date": iso(u.get("birth_date")), "ine": u.get("ine"),
            "email": u.get("email"), "status": u["status"], "activated": u["status"] == "active",
            "last_activity_at": iso(u.get("last_activity_at"))}


# -- one-time tokens -----------------------------------------------------------------

def find_token(conn, token_hash: str, for_update: bool = True) -> dict | None:
    stmt = select(one_time_tokens).where(one_time_tokens.c.token_hash == token_hash)
    if for_update:
        stmt = stmt.with_for_update()
    return row_dict(conn.execute(stmt).first())


def expire_tokens(conn, user_id: str, kind: str, now: dt.datetime) -> None:
    """Older unused tokens of this kind stop working when a new one is issued or one is used."""
    conn.execute(update(one_time_tokens).where(one_time_tokens.c.user_id == user_id, one_time_tokens.c.kind == kind,
                                               one_time_tokens.c.used_at.is_(None))
                 .values(used_at=now))


# -- rate limits and locks -------------------------------------------------------------

def window_events(conn, bucket: str, since: dt.datetime) -> list[dt.datetime]:
    return [r.at for r in conn.execute(select(rate_events.c.at).where(rate_events.c.bucket == bucket,
                                                                         rate_events.c.at > since))]


def add_event(conn, bucket: str, at: dt.datetime) -> None:
    conn.execute(rate_events.insert().values(bucket=bucket, at=at))


def prune_events(conn, before: dt.datetime) -> int:
    return conn.execute(rate_events.delete().where(rate_events.c.at < before)).rowcount


def lock_row(conn, key: str, now: dt.datetime) -> dict:
    conn.execute(insert(login_locks).values(key=key, failed_count=0, locked_until=None, updated_at=now)
                 .on_conflict_do_nothing(index_elements=["key"]))
    return row_dict(conn.execute(select(login_locks).where(login_locks.c.key == key).with_for_update()).first())


def save_lock(conn, key: str, failed_count: int, locked_until, now) -> None:
    conn.execute(update(login_locks).where(login_locks.c.key == key)
                 .values(failed_count=failed_count, locked_until=locked_until, updated_at=now))


# -- refresh tokens -----------------------------------------------------------------

def revoke_families(conn, user_id: str, now: dt.datetime, reason: str) -> list[str]:
    """Close every open session of a user; returns their ids (to be denied at the gateway)."""
    return [r[0] for r in conn.execute(update(refresh_families).where(refresh_families.c.user_id == user_id,
                                                                      refresh_families.c.revoked_at.is_(None))
                                       .values(revoked_at=now, revoked_reason=reason)
                                       .returning(refresh_families.c.id))]


def find_refresh(conn, token_hash: str):
    t = row_dict(conn.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
                              .with_for_update()).first())
    if t is None:
        return None, None
    f = row_dict(conn.execute(select(refresh_families).where(refresh_families.c.id == t["family_id"])
                              .with_for_update()).first())
    return t, f


# -- signing keys ----------------------------------------------------------------------

_KEY_CACHE: dict = {}
_KEY_LOCK = threading.Lock()
KEY_CACHE_SECONDS = 30.0


def _key_secret() -> str | None:
    import os
    return os.environ.get("IDENTITY_KEY_ENCRYPTION_KEY") or None


def all_keys(conn) -> list[dict]:
    out = []
    for r in conn.execute(select(signing_keys).order_by(signing_keys.c.activated_at)):
        k = row_dict(r)
        k["private_pem"] = keys_domain.unseal_private_key(k["private_pem"], _key_secret())
        out.append(k)
    return out


def ensure_signing_key(engine, now: dt.datetime) -> None:
    """Create the first key if there is none (an advisory lock serialises concurrent instances)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(7461001)"))
        if keys_domain.signing_key(all_keys(conn), now) is None:
            insert_new_key(conn, now, now)


def insert_new_key(conn, now: dt.datetime, activate_at: dt.datetime) -> str:
    pem = keys_domain.generate_private_key_pem()
    kid = keys_domain.kid_of(pem)
    conn.execute(signing_keys.insert().values(kid=kid, private_pem=keys_domain.seal_private_key(pem, _key_secret()),
                                              public_pem=keys_domain.public_pem(pem),
                                              created_at=now, activated_at=activate_at))
    _KEY_CACHE.clear()
    return kid


def cached_keys(engine, now: dt.datetime) -> list[dict]:
    with _KEY_LOCK:
        entry = _KEY_CACHE.get("keys")
        if entry and time.monotonic() - entry[0] < KEY_CACHE_SECONDS:
            ks = entry[1]
            if keys_domain.signing_key(ks, now) is not None:
                return ks
    ensure_signing_key(engine, now)
    with engine.connect() as conn:
        ks = all_keys(conn)
    with _KEY_LOCK:
        _KEY_CACHE["keys"] = (time.monotonic(), ks)
    return ks


def jwks(engine, now: dt.datetime) -> dict:
    published = keys_domain.select_keys_to_publish(cached_keys(engine, now), now, ACCESS_TTL)
    return keys_domain.build_jwks([(k["kid"], k["public_pem"]) for k in published])


def clear_key_cache() -> None:
    with _KEY_LOCK:
        _KEY_CACHE.clear()


__all__ = ["or_", "func"]
