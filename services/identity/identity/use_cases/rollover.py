"""The end-of-year rollover of accounts (``domain/rollover.py``, docs/privacy.md): an admin command, idempotent and
resumable. Each batch (keyset on the user id) changes its users and records the step's progress in the same
transaction, so an interrupted run continues where it stopped, and a finished run does nothing."""
from __future__ import annotations

from common.clock import paris_date

from ..domain import roles, rollover
from .context import Context


def run(ctx: Context, actor: dict | None, school_year, batch: int = rollover.BATCH,
        max_batches: int | None = None) -> dict:
    """Run (or continue) the rollover of ``school_year``; ``max_batches`` stops early (operations, tests)."""
    roles.require_admin(actor)
    rollover.check_ended(school_year, paris_date(ctx.now))
    with ctx.uow.begin() as uow:
        ctx.repo.start_run(uow.session, school_year, ctx.now)
    batches = 0
    while max_batches is None or batches < max_batches:
        with ctx.uow.begin() as uow:
            c = uow.session
            current = ctx.repo.get_run(c, school_year, for_update=True)   # one runner at a time per year
            if current["finished_at"] is not None:
                break
            progress = dict(current["progress"] or {})
            step = next((s for s in rollover.STEPS if not (progress.get(s) or {}).get("finished")), None)
            if step is None:
                ctx.repo.save_run(c, school_year, finished_at=ctx.now)
                break
            mine = dict(progress.get(step) or {"done": 0, "seen": 0, "last_id": None, "finished": False})
            rows = ctx.repo.rollover_batch(c, step, mine["last_id"], batch)
            for u in rows:
                changes = rollover.pupil_changes(u) if step == "pupils" else rollover.staff_changes(u)
                if changes:
                    ctx.repo.update_user(c, u["id"], updated_at=ctx.now, **changes)
                    mine["done"] += 1
            mine["seen"] += len(rows)
            mine["last_id"] = rows[-1]["id"] if rows else mine["last_id"]
            mine["finished"] = len(rows) < batch
            progress[step] = mine
            ctx.repo.save_run(c, school_year, progress=progress)
        batches += 1
    return report(ctx, actor, school_year)


def report(ctx: Context, actor: dict | None, school_year) -> dict:
    """Where the rollover of ``school_year`` stands: per step, users changed, gone through, remaining."""
    roles.require_admin(actor)
    rollover.year_end(school_year)
    with ctx.uow.read() as s:
        current = ctx.queries.rollover_run(s, school_year)
        progress = (current or {}).get("progress") or {}
        steps = {}
        for step in rollover.STEPS:
            mine = progress.get(step) or {}
            remaining = 0 if mine.get("finished") else ctx.queries.rollover_remaining(s, step, mine.get("last_id"))
            steps[step] = {"changed": mine.get("done", 0), "seen": mine.get("seen", 0), "remaining": remaining,
                           "finished": bool(mine.get("finished"))}
    status = "not_started" if current is None else "finished" if current["finished_at"] else "in_progress"
    iso = (lambda v: v.isoformat() if v else None)
    return {"service": "identity", "school_year": school_year, "status": status,
            "started_at": iso((current or {}).get("started_at")), "finished_at": iso((current or {}).get("finished_at")),
            "steps": steps}
