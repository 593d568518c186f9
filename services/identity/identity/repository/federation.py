"""National sign-in (federated identities) and the schools of staff in several schools (write side)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..domain import roles
from ..models import federated_identities, school_memberships, schools, users
from .rows import row_dict


def serialise_identity(conn, provider: str, subject: str) -> None:
    """One sign-in of an identity at a time (transaction-scoped advisory lock): two first sign-ins of the
    same person at once create one account."""
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"federation:{provider}:{subject}"))))


def federated_user_id(conn, provider: str, subject: str) -> str | None:
    row = conn.execute(select(federated_identities.c.user_id).where(
        federated_identities.c.provider == provider, federated_identities.c.subject == subject)).first()
    return row[0] if row else None


def federated_link_of(conn, user_id: str, provider: str) -> dict | None:
    return row_dict(conn.execute(select(federated_identities).where(
        federated_identities.c.user_id == user_id, federated_identities.c.provider == provider)).first())


def insert_federated(conn, provider: str, subject: str, user_id: str, at: dt.datetime) -> bool:
    """Link; False when the identity or this account's link for the provider already exists."""
    return bool(conn.execute(pg_insert(federated_identities).values(
        provider=provider, subject=subject, user_id=user_id, linked_at=at).on_conflict_do_nothing()).rowcount)


def pupil_by_ine(conn, ine: str, for_update: bool = False) -> dict | None:
    stmt = select(users).where(users.c.ine == ine, users.c.role == roles.PUPIL)
    if for_update:
        stmt = stmt.with_for_update()
    return row_dict(conn.execute(stmt).first())


def pupil_by_key(conn, uai: str, key: str) -> dict | None:
    """The pupil of ``uai`` whose natural key (names, birth date) is ``key``, locked."""
    return row_dict(conn.execute(select(users).where(
        users.c.school_uai == uai, users.c.pupil_key == key, users.c.role == roles.PUPIL,
        users.c.status != "anonymized").with_for_update()).first())


def known_school_uais(conn, uais: list[str]) -> set[str]:
    return {r[0] for r in conn.execute(select(schools.c.uai).where(schools.c.uai.in_(list(uais))))}


def memberships_of(conn, user_id: str) -> list[dict]:
    return [row_dict(r) for r in conn.execute(select(school_memberships).where(
        school_memberships.c.user_id == user_id).order_by(school_memberships.c.created_at,
                                                          school_memberships.c.school_uai))]


def upsert_membership(conn, user_id: str, m: dict, now: dt.datetime) -> None:
    values = {k: m.get(k) for k in ("function", "source", "confirmed_at", "confirmed_by", "confirmed_how")}
    values["updated_at"] = now
    conn.execute(pg_insert(school_memberships).values(user_id=user_id, school_uai=m["school_uai"], created_at=now,
                                                      **values)
                 .on_conflict_do_update(index_elements=["user_id", "school_uai"], set_=values))


def delete_memberships(conn, user_id: str, uais: list[str]) -> None:
    if uais:
        conn.execute(delete(school_memberships).where(school_memberships.c.user_id == user_id,
                                                      school_memberships.c.school_uai.in_(list(uais))))


def delete_federation_rows(conn, user_id: str) -> None:
    """Anonymisation: the account's national identities and memberships go."""
    conn.execute(delete(federated_identities).where(federated_identities.c.user_id == user_id))
    conn.execute(delete(school_memberships).where(school_memberships.c.user_id == user_id))
