"""Accounts, schools and the staff confirmation rows (write side)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..domain import roles
from ..models import school_heads, schools, staff_audit, users
from .rows import row_dict


def get_school(conn, uai: str) -> dict | None:
    return row_dict(conn.execute(select(schools).where(schools.c.uai == uai)).first())


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
    return identifier_owner(conn, "email", email, except_id) is not None


def user_id_by_id_or_email(conn, user_id: str, email: str) -> str | None:
    row = conn.execute(select(users.c.id).where(or_(users.c.id == user_id, users.c.email == email)).limit(1)).first()
    return row[0] if row else None


def insert_user(conn, **values) -> None:
    conn.execute(users.insert().values(**values))


def update_user(conn, user_id: str, **values) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


def serialise_school_staff(conn, uai: str) -> None:
    """One change of a school's staff confirmation at a time (transaction-scoped advisory lock)."""
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("staff:" + uai))))


def has_confirmed_head(conn, uai: str) -> bool:
    return conn.execute(select(users.c.id).where(
        users.c.school_uai == uai, users.c.role == roles.SCHOOL_STAFF, users.c.function == roles.HEAD,
        users.c.staff_confirmed_at.is_not(None), users.c.status == "active").limit(1)).first() is not None


def designated_head(conn, uai: str, for_update: bool = False) -> dict | None:
    """The school's designated head row ({"school_uai", "user_id", "designated_at", "designated_by"}) or None."""
    stmt = select(school_heads).where(school_heads.c.school_uai == uai)
    if for_update:
        stmt = stmt.with_for_update()
    return row_dict(conn.execute(stmt).first())


def upsert_head(conn, uai: str, user_id: str, at: dt.datetime, by: str | None, replace: bool = True) -> bool:
    """Make ``user_id`` the school's designated head; with ``replace=False`` only if it has none.
    Returns whether the row was written."""
    values = dict(user_id=user_id, designated_at=at, designated_by=by)
    stmt = pg_insert(school_heads).values(school_uai=uai, **values)
    stmt = stmt.on_conflict_do_update(index_elements=["school_uai"], set_=values) if replace else \
        stmt.on_conflict_do_nothing(index_elements=["school_uai"])
    return bool(conn.execute(stmt).rowcount)


def insert_audit(conn, *, school_uai: str, user_id: str, action: str, how: str | None, at: dt.datetime,
                 actor_id: str | None = None, actor_role: str | None = None,
                 previous_user_id: str | None = None) -> None:
    conn.execute(staff_audit.insert().values(
        id=str(uuid.uuid4()), school_uai=school_uai, user_id=user_id, action=action, how=how, actor_id=actor_id,
        actor_role=actor_role, previous_user_id=previous_user_id, at=at))
