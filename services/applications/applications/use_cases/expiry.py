"""The timer: expire every overdue application, set-based, one short transaction per batch."""
from __future__ import annotations


def expire_due(uow, now, batch: int, workers: int, max_batches: int | None = None) -> int:
    """Each batch locks at most ``batch`` due applications (SKIP LOCKED: rows a user is changing are left for
    the next round, and ``workers`` concurrent loops never pick the same rows), moves them, writes their
    history and their events in one statement (``repository.expire_batch``), and commits."""
    import eventlet

    budget = {"batches": max_batches}

    def loop(_):
        done_here = 0
        while budget["batches"] is None or budget["batches"] > 0:
            if budget["batches"] is not None:
                budget["batches"] -= 1
            with uow.begin() as repo:
                taken, done = repo.expire_batch(now, batch)
            done_here += done
            if done:
                uow.wake_relay()
            if taken < batch:
                break
        return done_here

    pool = eventlet.GreenPool(max(1, workers))
    return sum(pool.imap(loop, range(max(1, workers))))
