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
import logging

import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider
from sqlalchemy import (BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text,
                        create_engine, func, select, text, update)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Session

from . import settings
from .clock import PROCESS_CLOCK
from .events import BatchPublisher, make_envelope

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
    # Green psycopg is set up by importing ``common`` (see __init__).
    idle = min(5, pool_size)
    return create_engine(url, pool_size=idle, max_overflow=max(pool_size - idle, 0), pool_pre_ping=True,
                         pool_recycle=1800, future=True)


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
            self._relay = OutboxRelay(self.engine, self.outbox, self.container.config)
            self._relay_thread = self.container.spawn_managed_thread(self._relay_loop,
                                                                     identifier="outbox_relay")

    def stop(self):
        self._stopping = True
        self.wake_relay()
        if self._relay_thread is not None:
            self._relay_thread.wait()
            self._relay.publisher.close()
        if self.engine is not None:
            self.engine.dispose()

    def kill(self):
        self._stopping = True
        if self._relay_thread is not None:
            self._relay_thread.kill()
        if self.engine is not None:
            self.engine.dispose()

    def clock_now(self) -> dt.datetime:
        return PROCESS_CLOCK.now()

    def wake_relay(self):
        if self._wakeup is not None and not self._wakeup.ready():
            self._wakeup.send(True)

    def _relay_loop(self):
        interval = settings.env_float("OUTBOX_POLL_SECONDS", 1.0)
        while not self._stopping:
            try:
                while self._relay.publish_pending() and not self._stopping:
                    pass
            except Exception:  # the broker or the database is away: try again later
                log.exception("outbox relay failed; retrying")
                eventlet.sleep(min(interval * 5, 5))
            with eventlet.Timeout(interval, False):
                self._wakeup.wait()
            self._wakeup = Event()

    def get_dependency(self, worker_ctx):
        return DatabaseAccess(self, worker_ctx)


class OutboxRelay:
    """Publishes pending outbox rows in order, a batch per AMQP transaction,
    then marks them sent (a crash in between publishes them again: consumers
    deduplicate on event_id)."""

    batch_size = 500

    def __init__(self, engine, outbox: Table, config: dict):
        self.engine = engine
        self.outbox = outbox
        self.publisher = BatchPublisher(config)

    def publish_pending(self) -> int:
        """Publish one batch. Returns how many rows were published."""
        o = self.outbox
        with Session(self.engine) as session, session.begin():
            rows = session.execute(
                select(o.c.id, o.c.envelope, o.c.request_id)
                .where(o.c.published_at.is_(None))
                .order_by(o.c.id).limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            published = self.publisher.publish([(r.envelope, r.request_id) for r in rows])
            if published:
                ids = [r.id for r in rows[:published]]
                session.execute(update(o).where(o.c.id.in_(ids)).values(published_at=func.now()))
            if published < len(rows):
                session.execute(update(o).where(o.c.id == rows[published].id)
                                .values(attempts=o.c.attempts + 1))
            return published


def check_database(engine) -> dict:
    """Used by health RPCs: can we run a query, and how far behind is the outbox?"""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        pending = conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
    return {"db": "ok", "outbox_pending": int(pending)}
