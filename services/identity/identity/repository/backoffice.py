"""The back-office's write side: the administration journal, schools an admin creates or corrects, and a
school's classes (with the pupils and staff that carry a class's name)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, select, update

from ..domain import roles
from ..models import admin_actions, classes, schools, users
from .rows import row_dict


# -- the journal -----------------------------------------------------------------------------

def insert_admin_action(conn, rec: dict) -> None:
    conn.execute(admin_actions.insert().values(**rec))


def last_admin_action(conn, target_id: str, action: str) -> dict | None:
    return row_dict(conn.execute(select(admin_actions).where(
        admin_actions.c.target_id == target_id, admin_actions.c.action == action)
        .order_by(admin_actions.c.at.desc(), admin_actions.c.id.desc()).limit(1)).first())


def admin_action_by_key(conn, target_id: str, action: str, idempotency_key: str) -> dict | None:
    """The journalled action done with this idempotency key (a command sent twice is done once)."""
    return row_dict(conn.execute(select(admin_actions).where(
        admin_actions.c.target_id == target_id, admin_actions.c.action == action,
        admin_actions.c.details["idempotency_key"].astext == idempotency_key).limit(1)).first())


# -- schools ------------------------------------------------------------------------------------

def school_for_update(conn, uai: str) -> dict | None:
    return row_dict(conn.execute(select(schools).where(schools.c.uai == uai).with_for_update()).first())


def insert_school(conn, rec: dict) -> None:
    conn.execute(schools.insert().values(**{k: v for k, v in rec.items() if k in schools.c}))


def update_school(conn, uai: str, rec: dict) -> None:
    conn.execute(update(schools).where(schools.c.uai == uai)
                 .values(**{k: v for k, v in rec.items() if k in schools.c and k != "uai"}))


# -- classes -------------------------------------------------------------------------------------

def serialise_classes(conn, uai: str) -> None:
    """One change of a school's classes at a time (transaction-scoped advisory lock)."""
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("classes:" + uai))))


def _pupils_of(uai: str):
    return (users.c.school_uai == uai, users.c.role == roles.PUPIL, users.c.status != "anonymized")


def live_classes(conn, uai: str) -> list[dict]:
    return [row_dict(r) for r in conn.execute(select(classes).where(
        classes.c.school_uai == uai, classes.c.archived_at.is_(None)).order_by(classes.c.name))]


def pupil_class_names(conn, uai: str) -> list[str]:
    """Class names the school's pupils carry (some may predate the classes table: an import)."""
    return [r[0] for r in conn.execute(select(users.c.class_name).where(
        *_pupils_of(uai), users.c.class_name.is_not(None)).group_by(users.c.class_name))]


def insert_class(conn, uai: str, name: str, grade: str | None, now: dt.datetime) -> str:
    cid = str(uuid.uuid4())
    conn.execute(classes.insert().values(id=cid, school_uai=uai, name=name, grade=grade, created_at=now,
                                         updated_at=now))
    return cid


def update_class(conn, class_id: str, now: dt.datetime, **values) -> None:
    conn.execute(update(classes).where(classes.c.id == class_id).values(updated_at=now, **values))


def rename_pupils_class(conn, uai: str, old: str, new: str, grade: str | None, now: dt.datetime) -> int:
    values = {"class_name": new, "updated_at": now}
    if grade:
        values["grade"] = grade
    return conn.execute(update(users).where(*_pupils_of(uai), users.c.class_name == old).values(**values)).rowcount


def staff_following(conn, uai: str, name: str) -> list[dict]:
    """The school's staff whose followed classes include ``name`` ({"id", "classes"})."""
    return [row_dict(r) for r in conn.execute(select(users.c.id, users.c.classes).where(
        users.c.school_uai == uai, users.c.role == roles.SCHOOL_STAFF,
        users.c.classes.contains([name])).with_for_update())]


def count_pupils_in_class(conn, uai: str, name: str) -> int:
    return conn.execute(select(func.count()).where(*_pupils_of(uai), users.c.class_name == name)).scalar()


def pupils_by_ids(conn, ids: list[str]) -> list[dict]:
    return [row_dict(r) for r in conn.execute(select(users).where(users.c.id.in_(ids), users.c.role == roles.PUPIL,
                                                                  users.c.status != "anonymized")
                                              .order_by(users.c.id).with_for_update())]


def move_pupils(conn, ids: list[str], class_name: str, grade: str | None, now: dt.datetime) -> None:
    values = {"class_name": class_name, "updated_at": now}
    if grade:
        values["grade"] = grade
    conn.execute(update(users).where(users.c.id.in_(ids)).values(**values))
