"""Write side of the end-of-year rollover (``use_cases/rollover.py``): its runs and the keyset batches of users
each step goes through (locked, in id order, skipping rows another runner holds)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from ..domain import roles
from ..models import rollover_runs, users
from .rows import row_dict


def step_filter(step: str):
    """The users a step goes through (also counted by ``queries.rollover_remaining``)."""
    if step == "pupils":
        return (users.c.role == roles.PUPIL) & (users.c.status != "anonymized")
    if step == "staff_classes":
        return (users.c.role == "school_staff") & users.c.classes.is_not(None)
    raise ValueError(step)


def start_run(conn, school_year: str, now) -> None:
    conn.execute(insert(rollover_runs).values(school_year=school_year, started_at=now, progress={})
                 .on_conflict_do_nothing(index_elements=["school_year"]))


def get_run(conn, school_year: str, for_update: bool = False) -> dict | None:
    stmt = select(rollover_runs).where(rollover_runs.c.school_year == school_year)
    return row_dict(conn.execute(stmt.with_for_update() if for_update else stmt).first())


def save_run(conn, school_year: str, **values) -> None:
    conn.execute(update(rollover_runs).where(rollover_runs.c.school_year == school_year).values(**values))


def rollover_batch(conn, step: str, after_id: str | None, limit: int) -> list[dict]:
    stmt = select(users).where(step_filter(step))
    if after_id:
        stmt = stmt.where(users.c.id > after_id)
    return [row_dict(r) for r in conn.execute(stmt.order_by(users.c.id).limit(limit)
                                              .with_for_update(skip_locked=True))]
