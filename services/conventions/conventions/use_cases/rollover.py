"""The end-of-year rollover of agreements (docs/privacy.md): agreements signed by all whose retention is over
(``retention.purge_due``: 5 years after the internship) lose every party's identifying fields, signatures' names
and traces, and their PDF. An admin command, idempotent and resumable: each batch (keyset on the id) and the
step's progress commit together; a finished run does nothing."""
from __future__ import annotations

import datetime as dt

from common import school_years
from common.clock import paris_date
from common.errors import Forbidden

from ..domain import retention

STEPS = ("signed_agreements",)
BATCH = 200


def _check(actor, school_year, today: dt.date | None = None) -> None:
    if not isinstance(actor, dict) or actor.get("role") != "admin":
        raise Forbidden("Action réservée aux administrateurs.")
    if today is None:
        school_years.year_end(school_year)
    else:
        school_years.check_ended(school_year, today)


def run(uow, actor, school_year, now: dt.datetime, batch: int = BATCH, max_batches: int | None = None) -> dict:
    today = paris_date(now)
    _check(actor, school_year, today)
    with uow.begin() as repo:
        repo.start_run(school_year, now)
    batches = 0
    while max_batches is None or batches < max_batches:
        with uow.begin() as repo:
            current = repo.get_run(school_year, for_update=True)   # one runner at a time per year
            if current["finished_at"] is not None:
                break
            progress = dict(current["progress"] or {})
            mine = dict(progress.get(STEPS[0]) or {"done": 0, "seen": 0, "last_id": None, "finished": False})
            if mine["finished"]:
                repo.save_run(school_year, finished_at=now)
                break
            rows = repo.signed_batch(mine["last_id"], batch)
            for conv in rows:
                if retention.purge_due(conv.state, conv.weeks, conv.signed_by_all_at, today):
                    before = [s.id for s in conv.signatures]
                    if retention.purge(conv):
                        repo.save(conv, now, before=before)
                        repo.erase_all_signatures(conv.id, retention.ANONYMOUS)
                        repo.drop_document(conv.id)
                        mine["done"] += 1
            mine["seen"] += len(rows)
            mine["last_id"] = rows[-1].id if rows else mine["last_id"]
            mine["finished"] = len(rows) < batch
            progress[STEPS[0]] = mine
            repo.save_run(school_year, progress=progress)
        batches += 1
    return report(uow, actor, school_year)


def report(uow, actor, school_year) -> dict:
    _check(actor, school_year)
    with uow.read() as q:
        current = q.rollover_run(school_year)
        mine = ((current or {}).get("progress") or {}).get(STEPS[0]) or {}
        remaining = 0 if mine.get("finished") else q.signed_remaining(mine.get("last_id"))
    status = "not_started" if current is None else "finished" if current["finished_at"] else "in_progress"
    iso = (lambda v: v.isoformat() if v else None)
    return {"service": "conventions", "school_year": school_year, "status": status,
            "started_at": iso((current or {}).get("started_at")), "finished_at": iso((current or {}).get("finished_at")),
            "steps": {STEPS[0]: {"changed": mine.get("done", 0), "seen": mine.get("seen", 0), "remaining": remaining,
                                 "finished": bool(mine.get("finished"))}}}
