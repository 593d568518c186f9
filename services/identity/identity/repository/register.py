"""The pupil register's imports, connected schools, guardians and the schools' internship weeks (SQL).

Write side, and the reads the register's use cases make (import runs, guardians, declared weeks)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import and_, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from ..domain import roles
from ..models import pupil_guardians, register_imports, register_schools, school_internship_weeks, schools, users
from .rows import row_dict

# -- connected schools ------------------------------------------------------------------------------------


def connect_school(conn, uai: str, now: dt.datetime, by: str | None) -> None:
    conn.execute(pg_insert(register_schools).values(school_uai=uai, connected_at=now, connected_by=by)
                 .on_conflict_do_nothing())


def disconnect_school(conn, uai: str) -> None:
    conn.execute(delete(register_schools).where(register_schools.c.school_uai == uai))


def is_connected(conn, uai: str) -> bool:
    return conn.execute(select(register_schools.c.school_uai).where(register_schools.c.school_uai == uai)
                        ).first() is not None


def connected_schools(conn) -> list[str]:
    return [r[0] for r in conn.execute(select(register_schools.c.school_uai).order_by(register_schools.c.school_uai))]


def due_schools(conn, cutoff: dt.datetime, limit: int = 50) -> list[str]:
    """Connected schools with no import started since ``cutoff`` (domain.register.nightly_cutoff)."""
    recent = exists().where(register_imports.c.school_uai == register_schools.c.school_uai,
                            register_imports.c.started_at >= cutoff)
    return [r[0] for r in conn.execute(select(register_schools.c.school_uai).where(~recent)
                                       .order_by(register_schools.c.school_uai).limit(limit))]


def lock_school_skip_locked(conn, uai: str) -> bool:
    """Lock the school's register row unless another replica holds it (then False: it is doing this school)."""
    return conn.execute(select(register_schools.c.school_uai).where(register_schools.c.school_uai == uai)
                        .with_for_update(skip_locked=True)).first() is not None


# -- import runs --------------------------------------------------------------------------------------------


def run_by_key(conn, uai: str, key: str) -> dict | None:
    return row_dict(conn.execute(select(register_imports).where(register_imports.c.school_uai == uai,
                                                                register_imports.c.idempotency_key == key)).first())


def started_since(conn, uai: str, cutoff: dt.datetime) -> bool:
    return conn.execute(select(register_imports.c.id).where(register_imports.c.school_uai == uai,
                                                            register_imports.c.started_at >= cutoff)).first() is not None


def claim_queued(conn) -> dict | None:
    """The oldest queued run no other replica holds, now ``running``."""
    row = row_dict(conn.execute(select(register_imports).where(register_imports.c.status == "queued")
                                .order_by(register_imports.c.started_at).limit(1)
                                .with_for_update(skip_locked=True)).first())
    if row is not None:
        conn.execute(update(register_imports).where(register_imports.c.id == row["id"]).values(status="running"))
    return row


def insert_run(conn, **values) -> None:
    conn.execute(register_imports.insert().values(**values))


def finish_run(conn, run_id: str, **values) -> None:
    conn.execute(update(register_imports).where(register_imports.c.id == run_id).values(**values))


def get_run(conn, run_id: str) -> dict | None:
    return row_dict(conn.execute(select(register_imports).where(register_imports.c.id == run_id)).first())


def list_runs(conn, uai: str, limit: int = 50) -> list[dict]:
    return [row_dict(r) for r in conn.execute(select(register_imports).where(register_imports.c.school_uai == uai)
                                              .order_by(register_imports.c.started_at.desc()).limit(limit))]


# -- pupils and guardians -----------------------------------------------------------------------------------


def register_known(conn, uai: str, ines: list[str], keys: list[str]) -> list[dict]:
    """Identity's pupils that may be the register's: same INE anywhere, or same natural key at ``uai``."""
    if not ines and not keys:
        return []
    cond = or_(users.c.ine.in_(ines or [""]), and_(users.c.school_uai == uai, users.c.pupil_key.in_(keys or [""])))
    return [row_dict(r) for r in conn.execute(
        select(users.c.id, users.c.ine, users.c.pupil_key.label("key"), users.c.school_uai, users.c.last_name,
               users.c.first_name, users.c.birth_date, users.c.grade, users.c.class_name)
        .where(users.c.role == roles.PUPIL, users.c.status != "anonymized", cond))]


def guardians_of(conn, pupil_ids: list[str]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    if not pupil_ids:
        return out
    for r in conn.execute(select(pupil_guardians).where(pupil_guardians.c.pupil_id.in_(pupil_ids))
                          .order_by(pupil_guardians.c.pupil_id, pupil_guardians.c.rank)):
        out.setdefault(r.pupil_id, []).append(row_dict(r))
    return out


def replace_guardians(conn, pupil_id: str, guardians: list[dict], now: dt.datetime) -> None:
    conn.execute(delete(pupil_guardians).where(pupil_guardians.c.pupil_id == pupil_id))
    for g in guardians:
        conn.execute(pupil_guardians.insert().values(id=str(uuid.uuid4()), pupil_id=pupil_id, updated_at=now, **g))


# -- internship weeks -----------------------------------------------------------------------------------------


def declared_weeks(conn, uai: str) -> list[str]:
    return [r[0] for r in conn.execute(select(school_internship_weeks.c.week)
                                       .where(school_internship_weeks.c.school_uai == uai)
                                       .order_by(school_internship_weeks.c.week))]


def replace_weeks(conn, uai: str, weeks: list[str], now: dt.datetime, by: str | None) -> None:
    conn.execute(delete(school_internship_weeks).where(school_internship_weeks.c.school_uai == uai))
    for w in weeks:
        conn.execute(school_internship_weeks.insert().values(school_uai=uai, week=w, declared_at=now, declared_by=by))


def weeks_in_box(conn, box: tuple[float, float, float, float]) -> list[dict]:
    """[{"uai", "lat", "lon", "week"}] of the schools inside ``box`` that declared weeks."""
    lat_min, lat_max, lon_min, lon_max = box
    j = school_internship_weeks.join(schools, schools.c.uai == school_internship_weeks.c.school_uai)
    return [row_dict(r) for r in conn.execute(
        select(schools.c.uai, schools.c.lat, schools.c.lon, school_internship_weeks.c.week).select_from(j)
        .where(schools.c.lat.between(lat_min, lat_max), schools.c.lon.between(lon_min, lon_max)))]
