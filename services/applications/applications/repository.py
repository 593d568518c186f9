"""Write side: the SQL (SQLAlchemy core) the use cases run through a unit of work.

``UnitOfWork(db)`` is what the use cases take (as ``uow``): ``uow.begin()`` opens one transaction and gives a
``Repository`` (commit on a clean exit, rollback on an exception; events go to the outbox in the same transaction),
``uow.read()`` gives the read side (``queries.Queries``). Rows are plain dicts of column values.

Locking: every writer locks the application rows it changes with ``SELECT ... FOR UPDATE`` in ascending id
order (a confirmation locks all the pupil's rows, a bulk action all its rows), so concurrent writers never
deadlock. No RPC is made while these locks are held (the use cases call other services before locking).
"""
from __future__ import annotations

import re

from common.db import ServiceUnitOfWork
from sqlalchemy import insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .domain import deadlines as C
from .domain import machine as M
from .domain import states as S
from .events import EVENTS
from .models import applications as A
from .models import transfer_tokens as TT
from .models import transitions as H
from .queries import Queries

PRODUCER = "applications"


class UnitOfWork(ServiceUnitOfWork):
    """What the use cases take as ``uow`` (``testkit.applications.fakes.FakeUnitOfWork`` is its fake):
    ``begin()`` one transaction yielding the ``Repository``, ``read()`` the ``Queries``."""

    repository = staticmethod(lambda unit: Repository(unit))
    queries = staticmethod(lambda session: Queries(session))

    def wake_relay(self) -> None:
        self.db.wake_relay()


def _row(r) -> dict | None:
    return None if r is None else dict(r._mapping)


class Repository(Queries):
    """The queries, in the transaction, and what writes."""

    def __init__(self, uow):
        super().__init__(uow.session)
        self._uow = uow

    # -- events and inbox ------------------------------------------------------------------
    def emit(self, event_type: str, data: dict) -> None:
        self._uow.emit(event_type, data)

    def claim(self, envelope: dict, handler: str) -> bool:
        return self._uow.claim(envelope, handler)

    # -- applications ----------------------------------------------------------------------
    def lock_pupil(self, pupil_id: str) -> list[dict]:
        """Every application of the pupil, locked, in ascending id order."""
        return [_row(r) for r in self.s.execute(select(A).where(A.c.pupil_id == pupil_id).order_by(A.c.id)
                                                .with_for_update()).all()]

    def lock_many(self, ids: list[str]) -> dict[str, dict]:
        return {r.id: _row(r) for r in self.s.execute(select(A).where(A.c.id.in_(ids)).order_by(A.c.id)
                                                      .with_for_update()).all()}

    def lock_of_offer(self, offer_id: str, states) -> list[dict]:
        """The offer's applications in ``states``, locked, in ascending id order."""
        return [_row(r) for r in self.s.execute(select(A).where(A.c.offer_id == offer_id, A.c.state.in_(list(states)))
                                                .order_by(A.c.id).with_for_update()).all()]

    def insert(self, values: dict) -> bool:
        """False when a twin exists (same pupil and offer, or same idempotency key)."""
        return self.s.execute(pg_insert(A).values(**values).on_conflict_do_nothing().returning(A.c.id)
                              ).first() is not None

    def update(self, application_id: str, cols: dict) -> None:
        self.s.execute(update(A).where(A.c.id == application_id).values(**cols))

    def record(self, application_id: str, record: dict) -> None:
        """One history entry (``Transition.as_record()``)."""
        self.s.execute(insert(H).values(application_id=application_id, **record))

    def seat_released(self, application_id: str) -> None:
        """offers has the seat back: the application holds none (unless confirmed again meanwhile)."""
        self.s.execute(update(A).where(A.c.id == application_id, A.c.state != S.CONFIRMED).values(seat_held=False))

    def erase_pupil(self, pupil_id: str) -> None:
        """Erase what we hold about an anonymised pupil (the application itself stays, for statistics): their
        application's personal fields, the messages and reasons exchanged on it, its transfer links."""
        self.s.execute(update(A).where(A.c.pupil_id == pupil_id).values(
            motivation="", email=None, phone=None, address=None, legal_representative=None,
            pupil_name=None, class_name=None))
        mine = select(A.c.id).where(A.c.pupil_id == pupil_id)
        self.s.execute(update(H).where(H.c.application_id.in_(mine)).values(message=None, reason=None))
        self.s.execute(TT.delete().where(TT.c.application_id.in_(mine)))

    def erase_author(self, user_id: str) -> None:
        """Erase what another anonymised person (an employer) wrote: their messages and reasons on
        applications, and the transfer links of their applications (the addresses they were sent to)."""
        self.s.execute(update(H).where(H.c.actor_id == user_id).values(message=None, reason=None))
        self.s.execute(TT.delete().where(TT.c.application_id.in_(select(A.c.id).where(A.c.employer_id == user_id))))

    # -- transfer links --------------------------------------------------------------------
    def add_transfer_link(self, token_hash: str, application_id: str, email: str, now, expires_at) -> None:
        """A new link; an older link of the application dies with it."""
        self.s.execute(update(TT).where(TT.c.application_id == application_id, TT.c.used_at.is_(None))
                       .values(used_at=now))
        self.s.execute(insert(TT).values(token_hash=token_hash, application_id=application_id, email=email,
                                         created_at=now, expires_at=expires_at))

    def use_transfer_link(self, token_hash: str, now) -> None:
        self.s.execute(update(TT).where(TT.c.token_hash == token_hash).values(used_at=now))

    # -- the timer -------------------------------------------------------------------------
    def expire_batch(self, now, batch: int) -> tuple[int, int]:
        # The batch's state, history and events commit (or vanish) together, so a crash can only lose a
        # whole batch, which the next round redoes: no need to wait for the WAL flush.
        self.s.execute(text("SET LOCAL synchronous_commit = off"))
        return expire_batch(self.s, now, batch)


# -- the expiry batch ------------------------------------------------------------------------
# The data of application.expired as SQL over the expired row (``moved`` in repository.expire_batch): the
# same keys as views.event_data; an expired application has no deadline left.
EXPIRED_DATA_SQL = {
    "application_id": "id", "offer_id": "offer_id", "pupil_id": "pupil_id", "employer_id": "employer_id",
    "school_uai": "school_uai", "weeks": "to_jsonb(weeks)", "state": "state", "from_state": "from_state",
    "expires_at": "CAST(NULL AS text)",
}

# The timer's lag (common.ops): the oldest due entry of its queue.
OLDEST_DUE_SQL = "SELECT min(due_at) FROM application_deadlines WHERE due_at <= :now"
# deadlines.is_due (now >= deadline_at), in SQL
IS_DUE_SQL = "deadline_at <= :now"


def _literal(value: str) -> str:
    assert re.fullmatch(r"[a-z_.]+", value), value  # code constants only, never data
    return f"'{value}'"


def _expiry_target_sql() -> str:
    """``deadlines.expiry_target(deadline_action)`` as a CASE over the applications row."""
    whens = " ".join(f"WHEN {_literal(action)} THEN {_literal(state)}" for action, state in C.EXPIRY_TARGETS.items())
    return f"CASE a.deadline_action {whens} END"


def _expired_data_sql() -> str:
    return ", ".join(f"{_literal(key)}, {expr}" for key, expr in EXPIRED_DATA_SQL.items())


# One statement per batch, built from the domain (deadlines.EXPIRY_TARGETS, is_due; the timer's action is
# the deadline action, machine.EXPIRE / EXPIRE_BY_PUPIL): take the due entries of the timer's queue
# (models.deadlines) with their applications, move the applications whose deadline has come, write their
# history and their outbox rows, and drop the entries (an entry whose application no longer has that
# deadline is only dropped). Each step is a CTE:
#   due       the queue's due entries and their applications, locked (SKIP LOCKED: concurrent loops and
#             users' transactions never wait for each other)
#   dequeued  drop the entries whose application is due or has no deadline any more
#   requeued  an application whose deadline moved later keeps its entry, at the new deadline
#   updated   the due applications move to their expiry target, clocks cleared
#   moved     what changed, with the state it came from and a new event id
#   history   one transition per application (actor: the system)
#   outboxed  one application.expired envelope per application (EXPIRED_DATA_SQL)
EXPIRE_SQL = text(f"""
WITH due AS (
    SELECT q.ctid AS queue_tid, a.ctid AS tid, a.id, a.state AS from_state, a.deadline_at, a.deadline_action
    FROM application_deadlines q JOIN applications a ON a.id = q.application_id
    WHERE q.due_at <= :now
    ORDER BY q.due_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
), dequeued AS (
    DELETE FROM application_deadlines q
    WHERE q.ctid = ANY(ARRAY(SELECT queue_tid FROM due WHERE deadline_at IS NULL OR {IS_DUE_SQL}))
), requeued AS (
    -- never happens while the triggers keep the queue (a moved deadline moves its entry); kept, not lost
    UPDATE application_deadlines q SET due_at = d.deadline_at FROM due d
    WHERE q.ctid = d.queue_tid AND NOT d.{IS_DUE_SQL}
), updated AS (
    -- the rows are locked, so their ctid cannot move: a TID scan, never a pass over the table
    UPDATE applications a
    SET state = {_expiry_target_sql()},
        deadline_at = NULL, deadline_action = NULL, reminder_at = NULL, reminder_to = NULL, updated_at = :now
    WHERE a.ctid = ANY(ARRAY(SELECT tid FROM due WHERE {IS_DUE_SQL}))
    RETURNING a.id, a.offer_id, a.pupil_id, a.employer_id, a.school_uai, a.weeks, a.state
), moved AS (
    SELECT u.*, d.from_state, d.deadline_action, gen_random_uuid()::text AS event_id
    FROM updated u JOIN due d USING (id)
), history AS (
    INSERT INTO application_transitions (application_id, action, from_state, to_state, actor_role, actor_id, at)
    SELECT id, deadline_action, from_state, state, CAST(:system AS text), NULL, :now
    FROM moved
), outboxed AS (
    INSERT INTO outbox (event_id, type, envelope)
    SELECT event_id, CAST(:event_type AS text), jsonb_build_object(
        'event_id', event_id, 'type', CAST(:event_type AS text), 'version', CAST(:version AS int),
        'occurred_at', CAST(:now_iso AS text), 'producer', CAST(:producer AS text),
        'data', jsonb_build_object({_expired_data_sql()}))
    FROM moved
)
SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM moved)
""")


def expiry_params(now, batch: int) -> dict:
    """The bind parameters of EXPIRE_SQL."""
    event_type = M.EVENT_OF_ACTION[M.EXPIRE]
    return {"now": now, "now_iso": now.isoformat(), "batch": batch, "system": M.SYSTEM,
            "event_type": event_type, "version": EVENTS[event_type]["version"], "producer": PRODUCER}


def expire_batch(conn, now, batch: int) -> tuple[int, int]:
    """Run one expiry batch on ``conn`` (a Session or Connection): (entries taken, applications expired)."""
    taken, done = conn.execute(EXPIRE_SQL, expiry_params(now, batch)).one()
    return int(taken), int(done)
