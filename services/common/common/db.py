"""Database access for a service: engine, unit of work, transactional outbox
and idempotent inbox.

A service declares ``db = Database("offers", metadata)``; in a worker,
``with self.db.uow() as uow:`` opens a transaction on ``uow.session``;
``uow.emit(type, data)`` writes an outbox row in that same transaction, so
the fact is recorded if and only if the change is. On success the unit of
work commits and wakes the relay, which publishes the row (with publisher
confirms) and marks it sent. A crash between commit and publish leaves the
row pending: the relay of the next process publishes it.

Event consumers call ``uow.claim(envelope, handler)`` first: it inserts
``(event_id, handler)`` into the inbox in the same transaction as the
handler's effects and returns False if that event was already handled.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from contextlib import contextmanager

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from nameko.standalone.events import get_event_exchange
from psycopg.errors import LockNotAvailable
from sqlalchemy import (BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text,
                        create_engine, func, text)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Session

from . import settings
from .boot import prepare_process
from .clock import PROCESS_CLOCK
from .events import BatchPublisher, EventMessage, make_envelope

log = logging.getLogger(__name__)


def plumbing_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Add the outbox and inbox tables to a service's metadata."""
    outbox = Table(
        "outbox", metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("type", String(100), nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("request_id", String(64)),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default="0"),
        Column("last_error", Text),
    )
    # the relay only ever looks for unpublished rows
    Index("ix_outbox_pending", outbox.c.id, postgresql_where=outbox.c.published_at.is_(None))
    inbox = Table(
        "inbox", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("handler", String(200), primary_key=True),
        Column("type", String(100), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return outbox, inbox


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_metadata() -> tuple[MetaData, Table, Table]:
    """A service's metadata (with our constraint naming convention) and its
    outbox and inbox tables: ``metadata, outbox, inbox = service_metadata()``."""
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    outbox, inbox = plumbing_tables(metadata)
    return metadata, outbox, inbox


def make_engine(url: str, pool_size: int = 10):
    """An engine that keeps at most 5 idle connections but may open up to
    ``pool_size`` at once (one per concurrent worker): a platform of a dozen
    processes must fit in PostgreSQL's default 100 connections."""
    prepare_process()   # green psycopg before the first connection
    idle = min(5, pool_size)
    return create_engine(url, pool_size=idle, max_overflow=max(pool_size - idle, 0), pool_pre_ping=True,
                         pool_recycle=1800, future=True)


def database_unavailable(exc: BaseException) -> bool:
    """The database refused or lost the connection, or gave up on a statement (too many clients, a restart, a
    lock or statement timeout): nothing was committed, the request may be tried again."""
    from sqlalchemy.exc import DBAPIError, OperationalError as SAOperationalError
    import psycopg

    return isinstance(exc, (SAOperationalError, psycopg.OperationalError)) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)


DATABASE_UNAVAILABLE = ("Le service est momentanément indisponible (base de données). "
                        "Réessayez dans quelques instants.")


class UnitOfWork:
    """One transaction. Commits on a clean exit, rolls back on an exception."""

    def __init__(self, database: "DatabaseAccess"):
        self._db = database
        self.session: Session | None = None
        self._emitted = 0

    def __enter__(self) -> "UnitOfWork":
        self.session = Session(self._db.engine, expire_on_commit=False)
        self.session.begin()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                self.session.commit()
                if self._emitted:
                    self._db.wake_relay()
            else:
                self.session.rollback()
        finally:
            self.session.close()
        return False

    # -- outbox -------------------------------------------------------------
    def emit(self, event_type: str, data: dict, version: int = 1) -> dict:
        """Record an event to publish once this transaction commits."""
        envelope = make_envelope(self._db.service_name, event_type, data, version,
                                 occurred_at=self._db.clock_now())
        self.session.execute(self._db.outbox.insert().values(
            event_id=envelope["event_id"], type=event_type, envelope=envelope,
            request_id=self._db.request_id()))
        self._emitted += 1
        return envelope

    # -- inbox --------------------------------------------------------------
    def claim(self, envelope: dict, handler: str) -> bool:
        """True the first time this event reaches this handler, False after."""
        stmt = insert(self._db.inbox).values(
            event_id=envelope["event_id"], handler=handler, type=envelope.get("type", "?"),
        ).on_conflict_do_nothing().returning(self._db.inbox.c.event_id)
        return self.session.execute(stmt).first() is not None

    def execute(self, *args, **kwargs):
        return self.session.execute(*args, **kwargs)


class ServiceUnitOfWork:
    """What a service's use cases take as ``uow`` (docs/architecture.md, « One shape for every service »):
    ``begin()`` one transaction (commit on exit, rollback on an exception) yielding ``repository(unit)``, the
    service's write side (which emits events through the unit's outbox); ``read()`` a read-only session yielding
    ``queries(session)``, its read side. A service subclasses it and names its two sides; by default they are the
    transaction and the session themselves. Its fakes (``testkit.<service>``) answer the same two methods."""

    def __init__(self, db: "DatabaseAccess"):
        self.db = db

    def repository(self, unit: UnitOfWork):
        return unit

    def queries(self, session: Session):
        return session

    @contextmanager
    def begin(self):
        with self.db.uow() as unit:
            yield self.repository(unit)

    @contextmanager
    def read(self):
        with self.db.session() as session:
            yield self.queries(session)


class DatabaseAccess:
    """What a worker sees as ``self.db``."""

    def __init__(self, provider: "Database", worker_ctx=None):
        self._provider = provider
        self._worker_ctx = worker_ctx
        self.engine = provider.engine
        self.service_name = provider.service_name
        self.outbox = provider.outbox
        self.inbox = provider.inbox

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self)

    def session(self) -> Session:
        """A read-only convenience: ``with self.db.session() as s:``."""
        return Session(self.engine, expire_on_commit=False)

    def wake_relay(self):
        self._provider.wake_relay()

    def clock_now(self) -> dt.datetime:
        return self._provider.clock_now()

    def request_id(self) -> str | None:
        if self._worker_ctx is None:
            return None
        return (self._worker_ctx.context_data or {}).get("request_id")


class Database(DependencyProvider):
    """Engine + unit of work + outbox relay for one service.

    ``metadata`` must contain the plumbing tables (see ``plumbing_tables``);
    the service's alembic migrations create them.
    """

    def __init__(self, service_name: str, metadata: MetaData, pool_size: int | None = None,
                 relay: bool | None = None):
        self.service_name = service_name
        self.metadata = metadata
        self.outbox = metadata.tables["outbox"]
        self.inbox = metadata.tables["inbox"]
        self.pool_size = pool_size
        self.relay_enabled = relay
        self.engine = None
        self._wakeup = None
        self._relay_thread = None
        self._stopping = False

    def setup(self):
        pool = self.pool_size or int(self.container.config.get("DB_POOL_SIZE", 0) or
                                     self.container.max_workers)
        self.engine = make_engine(settings.database_url(self.service_name), pool_size=max(pool, 2))
        if self.relay_enabled is None:
            self.relay_enabled = settings.env_flag("OUTBOX_RELAY", True)
        self._wakeup = Event()

    def start(self):
        if self.relay_enabled:
            self._relay = OutboxRelay(self.engine, self.outbox, self.container.config, self.service_name,
                                      stopping=lambda: self._stopping)
            self._lease = RelayLease(self.engine, self.service_name)
            self._relay_thread = self.container.spawn_managed_thread(self._relay_loop,
                                                                     identifier="outbox_relay")

    def stop(self):
        self._stopping = True
        self.wake_relay()
        if self._relay_thread is not None:
            self._relay_thread.wait()
            self._relay.publisher.close()
            self._lease.release()
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self._stopping = True
        if self._relay_thread is not None:
            self._relay_thread.kill()
            self._lease._drop()
        if self.engine is not None:
            self.engine.dispose()

    def clock_now(self) -> dt.datetime:
        return PROCESS_CLOCK.now()

    def wake_relay(self):
        if self._wakeup is not None and not self._wakeup.ready():
            self._wakeup.send(True)

    def _relay_loop(self):
        interval = settings.env_float("OUTBOX_POLL_SECONDS", 1.0)
        retention = settings.env_float("OUTBOX_RETENTION_DAYS", 7.0)
        next_purge = time.monotonic() + 60  # not while the service starts
        while not self._stopping:
            try:
                if self._lease.holds():  # one active relay per service: events leave in outbox order
                    self._relay.publish_pending()
                if time.monotonic() >= next_purge:
                    next_purge = time.monotonic() + 3600
                    purge_plumbing(self.engine, retention)
            except Exception:  # the broker or the database is away: try again later
                log.exception("outbox relay failed; retrying")
                eventlet.sleep(min(interval * 5, 5))
            with eventlet.Timeout(interval, False):
                self._wakeup.wait()
            self._wakeup = Event()

    def get_dependency(self, worker_ctx):
        return DatabaseAccess(self, worker_ctx)


class RelayLease:
    """One active outbox relay per service, whatever the number of its replicas.

    With a relay in every replica, each took other rows (SKIP LOCKED) and published them at its own pace, so
    one entity's events could reach subscribers out of order. A relay now publishes only while it holds a
    PostgreSQL advisory lock (session level, on a connection kept for it): the other replicas' relays wait,
    and one of them takes over within ``OUTBOX_POLL_SECONDS`` when that connection ends (the process stopped
    or died, or its database connection was cut). Events leave in outbox order, which is commit order per
    entity (an entity's changes take its row lock)."""

    def __init__(self, engine, service_name: str):
        self.engine = engine
        digest = hashlib.sha256(f"stages.outbox-relay:{service_name}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self._conn = None

    def holds(self) -> bool:
        if self._conn is not None:
            try:  # still connected, so still holding it
                cur = self._conn.cursor()
                cur.execute("SELECT 1")
                self._conn.commit()
                return True
            except Exception:
                log.warning("the outbox relay lost its lease connection; trying to take it again")
                self._drop()
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            cur.execute("SELECT pg_try_advisory_lock(%(key)s)", {"key": self.key})
            held = cur.fetchone()[0]
            conn.commit()
        except BaseException:
            _rollback(conn)
            raise
        if held:
            self._conn = conn
            log.info("this process now runs the outbox relay")
            return True
        conn.close()
        return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            cur = conn.cursor()
            cur.execute("SELECT pg_advisory_unlock(%(key)s)", {"key": self.key})
            conn.commit()
            conn.close()
        except Exception:
            self._conn = conn
            self._drop()

    def _drop(self) -> None:
        """Forget the lease connection without returning it to the pool (a pooled connection would keep the
        lock)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.invalidate()
            except Exception:
                pass


class OutboxRelay:
    """Publishes pending outbox rows in order, a batch at a time, then marks them
    sent. A crash in between publishes them again: consumers deduplicate on
    event_id.

    The broker confirms a batch of persistent messages only once it has written
    them; waiting for that before sending the next batch left it idle half of the
    time (7,600 events/s). So up to ``window`` batches are in flight: each keeps
    its rows locked (``FOR UPDATE SKIP LOCKED``, its own transaction) until its
    confirms arrive, and is then marked and committed, oldest first. A refused or
    unconfirmed batch is rolled back with every batch sent after it (their rows
    are published again later).

    The rows are read as JSON text (``envelope::text``) and published as they
    are (see ``BatchPublisher``)."""

    batch_size = 2000
    window = 3

    def __init__(self, engine, outbox: Table, config: dict, service_name: str, stopping=lambda: False):
        self.engine = engine
        self.outbox = outbox
        self.service_name = service_name
        self.stopping = stopping
        self.publisher = BatchPublisher(config, exchange=get_event_exchange(service_name, config).name)

    def publish_pending(self) -> int:
        """Publish what is pending now (until the process stops), ``window`` batches in flight;
        returns how many rows were published (0: nothing was pending, or the broker is away)."""
        in_flight: list[tuple] = []  # (connection, cursor, ids, first tag, last tag), oldest first
        published, blocked = 0, False
        try:
            while True:
                more = len(in_flight) < self.window and not self.stopping() and not blocked
                batch = self._next_batch() if more else None
                if batch is BLOCKED:
                    blocked, batch = True, None  # finish the batches in flight, take no more this round
                if batch is not None:
                    conn, cur, rows = batch
                    try:
                        first, last = self.publisher.send([EventMessage(t, b, e, r) for _, t, b, e, r in rows])
                    except Exception:
                        log.exception("could not publish %d event(s); they stay in the outbox", len(rows))
                        _rollback(conn)
                        break
                    in_flight.append((conn, cur, [r[0] for r in rows], first, last))
                    continue
                if not in_flight:
                    break
                conn, cur, ids, first, last = in_flight.pop(0)
                taken = self.publisher.confirmed(first, last)
                if taken:
                    cur.execute("UPDATE outbox SET published_at = now() WHERE id = ANY(%(ids)s)",
                                {"ids": ids[:taken]})
                if taken < len(ids):
                    cur.execute("UPDATE outbox SET attempts = attempts + 1 WHERE id = %(id)s", {"id": ids[taken]})
                conn.commit()
                conn.close()
                published += taken
                if taken < len(ids):
                    break  # the broker refused or went away: what was sent after is unconfirmed too
        finally:
            for conn, *_ in in_flight:
                _rollback(conn)
        return published

    def _next_batch(self):
        conn = self.engine.raw_connection()  # psycopg itself: no SQLAlchemy row processing on 2,000 rows
        try:
            cur = conn.cursor(binary=True)
            # marking rows sent need not wait for the WAL flush: a crash that loses the mark only
            # publishes the batch again (consumers deduplicate)
            cur.execute("SET LOCAL synchronous_commit = off")
            rows = select_pending(cur, self.batch_size)
        except LockNotAvailable:
            log.info("the outbox is locked by another statement; the relay lets it pass")
            _rollback(conn)
            return BLOCKED
        except BaseException:
            _rollback(conn)
            raise
        if not rows:
            _rollback(conn)
            return None
        return conn, cur, rows


BLOCKED = object()  # _next_batch: the outbox is locked by a statement waiting for the batches in flight


def _rollback(conn) -> None:
    try:
        conn.rollback()
    finally:
        conn.close()


# The settings of the relay's read, for its transaction only:
# - enable_sort off: right after a burst (the expiry timer writes 200,000 rows in a few seconds) the
#   outbox's statistics still describe a small table, and the planner read every pending row through a
#   bitmap scan, turned each envelope into text and sorted them all on disk to keep the first 2,000
#   (0.4-0.8 s a batch, 40 s of PostgreSQL CPU for the 200,000 events). Walking the partial index in id
#   order is always right here (bench/README.md, "The relay's plan").
# - lock_timeout: a batch in flight holds its lock on the outbox until confirmed; a statement that wants
#   the whole table (TRUNCATE, a migration's ALTER TABLE) queues behind it, and the next batch's read
#   queues behind that statement: waiting would never end, as the batch in flight is only committed by
#   the relay's own thread. So the read gives up after a moment (LockNotAvailable) instead.
_PENDING_SETTINGS = "SELECT set_config('enable_sort', 'off', true), set_config('lock_timeout', '250ms', true)"


def select_pending(cur, n: int, explain: bool = False) -> list:
    """Lock and return the next ``n`` pending outbox rows, oldest first (``explain``: the plan's
    lines instead). Inside the caller's transaction; raises LockNotAvailable when a statement
    holding or awaiting the whole table is in the way."""
    cur.execute(_PENDING_SETTINGS)
    cur.execute(("EXPLAIN " if explain else "") + _PENDING_SQL, {"n": n})
    rows = cur.fetchall()
    return [r[0] for r in rows] if explain else rows


_PENDING_SQL = """
SELECT id, type, convert_to(envelope::text, 'UTF8'), event_id, request_id
FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT %(n)s FOR UPDATE SKIP LOCKED
"""


def purge_plumbing(engine, retention_days: float, batch: int = 5000) -> tuple[int, int]:
    """Delete outbox rows published more than ``retention_days`` ago, and inbox rows
    (deduplication marks) older than four times that: without it both tables grow
    with every event forever. A published event is only ever sent again by a relay
    that lost its confirm (minutes), and redelivered by the broker while it sits
    in a queue, so older rows serve no one. Batches of ``batch`` rows, each its own
    short transaction; the scan of the outbox follows its primary key, oldest
    first. Returns (outbox rows, inbox rows) deleted."""
    statements = (
        "DELETE FROM outbox WHERE id = ANY(ARRAY(SELECT id FROM outbox WHERE published_at < now() - "
        "make_interval(secs => :secs) ORDER BY id LIMIT :n))",
        "DELETE FROM inbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM inbox WHERE received_at < now() - "
        "make_interval(secs => :secs) LIMIT :n))",
    )
    deleted = []
    for sql, days in zip(statements, (retention_days, 4 * retention_days)):
        total = 0
        while True:
            with engine.begin() as conn:
                n = conn.execute(text(sql), {"secs": days * 86400, "n": batch}).rowcount
            total += n
            if n < batch:
                break
            eventlet.sleep(0)
        deleted.append(total)
    if any(deleted):
        log.info("purged %d published outbox row(s) and %d inbox row(s)", *deleted)
    return deleted[0], deleted[1]


def check_database(engine) -> dict:
    """Used by health RPCs: can we run a query, and how far behind is the outbox?"""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        pending = conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
    return {"db": "ok", "outbox_pending": int(pending)}
