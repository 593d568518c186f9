"""Pupils' imports and activation codes (write side)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, update

from ..domain import roles
from ..models import pupil_codes, pupil_imports, users
from .rows import row_dict


def serialise_imports(conn, uai: str) -> None:
    """One import at a time per school (two staff members importing the same file)."""
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("pupils:" + uai))))


def known_pupils(conn, uai: str) -> list[dict]:
    return [row_dict(r) for r in conn.execute(
        select(users.c.id, users.c.pupil_key.label("key"), users.c.ine, users.c.email, users.c.last_name,
               users.c.first_name, users.c.class_name, users.c.grade)
        .where(users.c.school_uai == uai, users.c.role == roles.PUPIL, users.c.status != "anonymized"))]


def ine_taken(conn, ine: str, except_id: str | None = None) -> bool:
    q = select(users.c.id).where(users.c.ine == ine)
    if except_id:
        q = q.where(users.c.id != except_id)
    return conn.execute(q).first() is not None


def pending_pupils(conn, uai: str, ids: list[str]) -> list[dict]:
    """Pupils of ``uai`` among ``ids`` who have not activated their account."""
    if not ids:
        return []
    return [row_dict(r) for r in conn.execute(select(users).where(
        users.c.id.in_(ids), users.c.school_uai == uai, users.c.role == roles.PUPIL,
        users.c.status == "pending_activation"))]


def insert_pupil_code(conn, user_id: str, code_hash: str, now: dt.datetime, expires_at: dt.datetime,
                      import_id: str | None = None) -> None:
    conn.execute(pupil_codes.insert().values(id=str(uuid.uuid4()), user_id=user_id, code_hash=code_hash,
                                             import_id=import_id, created_at=now, expires_at=expires_at))


def void_pupil_codes(conn, user_id: str, now: dt.datetime) -> None:
    conn.execute(update(pupil_codes).where(pupil_codes.c.user_id == user_id, pupil_codes.c.used_at.is_(None))
                 .values(used_at=now))


def pupil_code_by_hash(conn, code_hash: str | None) -> dict | None:
    return row_dict(conn.execute(select(pupil_codes).where(pupil_codes.c.code_hash == code_hash)
                                 .with_for_update()).first())


def mark_code_used(conn, code_id: str, now: dt.datetime) -> None:
    conn.execute(update(pupil_codes).where(pupil_codes.c.id == code_id).values(used_at=now))


def insert_import(conn, **values) -> None:
    conn.execute(pupil_imports.insert().values(**values))


def purge_import_reports(conn, before: dt.datetime, now: dt.datetime) -> int:
    """The detailed reports of imports made before ``before`` are replaced by ``{"purged_at"}``."""
    return conn.execute(update(pupil_imports).where(pupil_imports.c.created_at < before,
                                                    ~pupil_imports.c.report.has_key("purged_at"))
                        .values(report={"purged_at": now.isoformat()})).rowcount
