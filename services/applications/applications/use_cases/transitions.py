"""Applying a transition: the row's new columns, the history entry and the event, in the caller's transaction."""
from __future__ import annotations

from ..domain import machine as M
from ..views import event_data, facts_of

SYSTEM_ACTOR = {"role": M.SYSTEM, "user_id": None}


def record(repo, app: dict, t: M.Transition, cols: dict) -> None:
    repo.record(app["id"], t.as_record())
    repo.emit(t.event_type, event_data(app, t, cols))


def apply(repo, row: dict, t: M.Transition, **extra_cols) -> dict:
    """Write ``t`` on ``row`` (locked); the new column values."""
    cols = M.columns_after(facts_of(row), t)
    cols.update(extra_cols)
    repo.update(row["id"], cols)
    record(repo, row, t, cols)
    return cols


def expire_if_due(repo, row: dict, pupil_rows: list[dict], now) -> tuple[dict, list[dict]]:
    """Apply a deadline the timer has not reached yet (it runs every minute): a user action never sees an
    application past its deadline. The fresh row and pupil rows."""
    t = M.overdue(facts_of(row), now)
    if t is None:
        return row, pupil_rows
    apply(repo, row, t)
    fresh = repo.get(row["id"])
    return fresh, [fresh if r["id"] == row["id"] else r for r in pupil_rows]


def as_of(row: dict, now) -> M.ApplicationFacts:
    """The application as a user action will find it (its deadline applied), from an unlocked read."""
    facts = facts_of(row)
    t = M.overdue(facts, now)
    return facts if t is None else M.apply(facts, t)
