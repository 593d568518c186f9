"""Write side of the offers service: the SQL the use cases run inside their unit of work.

``UnitOfWork(db)`` is what every use case receives (as ``uow``): ``with uow.begin() as repo:`` opens one
transaction (commit on exit, rollback on an exception) and yields the ``OfferRepository`` below, whose
``emit(type, data)`` writes to the outbox of ``common.db`` in that transaction; ``with uow.read() as queries:``
gives the read side (``queries.OfferQueries``) on a read-only session. The in-memory fake the use-case unit
tests use has the same methods (``testkit.offers.FakeUnitOfWork``).

Rows are plain dicts of the ``offers`` table's columns.
"""
from __future__ import annotations

import datetime as dt
import time
import uuid

from common.db import ServiceUnitOfWork
from sqlalchemy import and_, delete, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .domain import states as st
from .models import (calendar_overrides, communes, naf_codes, offer_moderations, offer_reports, offers, opening_calendar,
                     partner_hits, postal_codes, seat_reservations)
from .queries import OfferQueries

OVERRIDES_TTL = 30.0  # seconds: an admin's change reaches every worker's search within this delay
_OVERRIDES_CACHE: dict = {}
_NAF_CACHE: dict = {}
OPENING_TTL = 10.0  # seconds: an admin's opening dates reach the other replicas within this delay
_OPENING_CACHE: dict = {}
COLUMNS = frozenset(offers.c.keys())

# the unique indexes a creating insert may meet (idempotent creation), by the key that names them
UNIQUE = {"creation_key": (["owner_id", "creation_key"], "creation_key IS NOT NULL"),
          "remote_id": (["operator_id", "remote_id"], "remote_id IS NOT NULL AND state <> 'removed'")}


def read_overrides(session) -> dict:
    """Calendar overrides by school year (every command reads the table)."""
    out = {}
    for r in session.execute(select(calendar_overrides)).mappings():
        out[r["school_year"]] = {k: r[k] for k in ("college_start", "college_end", "seconde_week1_start",
                                                   "holiday_weeks") if r[k] is not None}
    _OVERRIDES_CACHE.update(at=time.monotonic(), value=out)
    return out


def cached_overrides(read) -> dict:
    """A copy of the overrides younger than OVERRIDES_TTL, else ``read()`` (readers of offers only)."""
    if _OVERRIDES_CACHE and time.monotonic() - _OVERRIDES_CACHE["at"] < OVERRIDES_TTL:
        return _OVERRIDES_CACHE["value"]
    return read()


class ModerationRepository:
    """Reports and moderation decisions (``domain/moderation.py``), in the caller's transaction."""

    def add_report(self, values: dict) -> bool:
        """Insert an open report; False when this reporter has an open report on the offer already."""
        stmt = pg_insert(offer_reports).values(**values).on_conflict_do_nothing(
            index_elements=["offer_id", "reporter_key"], index_where=text("closed_at IS NULL"))
        return self.session.execute(stmt.returning(offer_reports.c.id)).first() is not None

    def open_report(self, offer_id: str, reporter_key: str) -> dict | None:
        row = self.session.execute(select(offer_reports).where(and_(
            offer_reports.c.offer_id == offer_id, offer_reports.c.reporter_key == reporter_key,
            offer_reports.c.closed_at.is_(None)))).mappings().first()
        return dict(row) if row is not None else None

    def open_reasons(self, offer_id: str) -> list[str]:
        """The reason of every open report of an offer (one per reporter)."""
        return list(self.session.execute(select(offer_reports.c.reason).where(and_(
            offer_reports.c.offer_id == offer_id, offer_reports.c.closed_at.is_(None)))).scalars().all())

    def close_reports(self, offer_id: str, moderation_id: str, now) -> None:
        self.session.execute(update(offer_reports).where(and_(
            offer_reports.c.offer_id == offer_id, offer_reports.c.closed_at.is_(None)))
            .values(closed_at=now, moderation_id=moderation_id))

    def moderation_by_key(self, author_id: str, key: str) -> dict | None:
        row = self.session.execute(select(offer_moderations).where(and_(
            offer_moderations.c.author_id == author_id, offer_moderations.c.idempotency_key == key)))\
            .mappings().first()
        return dict(row) if row is not None else None

    def last_moderation(self, offer_id: str) -> dict | None:
        row = self.session.execute(select(offer_moderations).where(offer_moderations.c.offer_id == offer_id)
                                   .order_by(offer_moderations.c.created_at.desc(), offer_moderations.c.id)
                                   .limit(1)).mappings().first()
        return dict(row) if row is not None else None

    def add_moderation(self, values: dict) -> None:
        self.session.execute(insert(offer_moderations).values(**values))


class OfferRepository(ModerationRepository):
    def __init__(self, session, unit=None):
        self.session = session
        self._unit = unit   # common.db unit of work: the outbox of this transaction

    def emit(self, type_: str, data: dict) -> None:
        self._unit.emit(type_, data)

    def claim(self, envelope: dict, handler: str) -> bool:
        """Inbox: False when this handler already handled the event (same transaction)."""
        return self._unit.claim(envelope, handler)

    def offers_of_person(self, user_id: str) -> list[dict]:
        """The offers a person created, employs on or operates, locked in id order (``user.anonymized``)."""
        c = offers.c
        q = (select(c.id, c.organisation, c.partner_payload)
             .where((c.owner_id == user_id) | (c.employer_id == user_id) | (c.operator_id == user_id))
             .order_by(c.id).with_for_update())
        return [dict(r) for r in self.session.execute(q).mappings()]

    # -- offers ------------------------------------------------------------------------
    def get(self, offer_id, lock: bool = False) -> dict | None:
        try:
            uuid.UUID(str(offer_id))
        except (ValueError, TypeError):
            return None
        q = select(offers).where(offers.c.id == str(offer_id))
        if lock:
            q = q.with_for_update()
        row = self.session.execute(q).mappings().first()
        return dict(row) if row is not None else None

    def by_creation_key(self, owner_id, key: str) -> dict | None:
        row = self.session.execute(select(offers).where(and_(offers.c.owner_id == owner_id,
                                                             offers.c.creation_key == key))).mappings().first()
        return dict(row) if row is not None else None

    def live_partner_offer(self, operator_id: str, remote_id: str, lock: bool = False) -> dict | None:
        q = select(offers).where(and_(offers.c.operator_id == operator_id, offers.c.remote_id == remote_id,
                                      offers.c.state != st.REMOVED))
        if lock:
            q = q.with_for_update()
        row = self.session.execute(q).mappings().first()
        return dict(row) if row is not None else None

    def add(self, values: dict, unique: str | None = None) -> bool:
        """Insert an offer; with ``unique`` ("creation_key": per owner, "remote_id": per operator among
        live offers), False when such a row exists already (a concurrent double submit won)."""
        stmt = pg_insert(offers).values(**{k: v for k, v in values.items() if k in COLUMNS})
        if unique is not None:
            columns, where = UNIQUE[unique]
            stmt = stmt.on_conflict_do_nothing(index_elements=columns, index_where=text(where))
        return self.session.execute(stmt.returning(offers.c.id)).first() is not None

    def change(self, offer_id: str, values: dict) -> None:
        self.session.execute(update(offers).where(offers.c.id == offer_id).values(**values))

    def following_calendar(self, school_year: str) -> list[dict]:
        """Offers of a school year whose weeks follow the calendar (all year, 2nde periods), locked."""
        rows = self.session.execute(select(offers).where(and_(
            offers.c.school_year == school_year, offers.c.state != st.REMOVED,
            (offers.c.all_year.is_(True)) | (offers.c.seconde_period.is_not(None))))
            .with_for_update()).mappings().all()
        return [dict(r) for r in rows]

    def published_ending_before(self, day: dt.date) -> list[dict]:
        """Published offers whose last day is before ``day`` (candidates of the daily timer), locked,
        skipping those another transaction holds."""
        rows = self.session.execute(select(offers).where(and_(offers.c.state == st.PUBLISHED,
                                                              offers.c.last_day < day))
                                    .with_for_update(skip_locked=True)).mappings().all()
        return [dict(r) for r in rows]

    # -- seats -------------------------------------------------------------------------
    def reserved_week(self, offer_id: str, application_id: str) -> str | None:
        r = self.session.execute(select(seat_reservations.c.week).where(and_(
            seat_reservations.c.offer_id == offer_id,
            seat_reservations.c.application_id == application_id))).first()
        return r.week if r is not None else None

    def add_reservation(self, offer_id: str, application_id: str, week: str, now) -> None:
        self.session.execute(insert(seat_reservations).values(offer_id=offer_id, application_id=application_id,
                                                              week=week, created_at=now))

    def remove_reservation(self, offer_id: str, application_id: str) -> str | None:
        """Delete the application's seat; its week, or None when it held none."""
        gone = self.session.execute(delete(seat_reservations).where(and_(
            seat_reservations.c.offer_id == offer_id, seat_reservations.c.application_id == application_id))
            .returning(seat_reservations.c.week)).first()
        return gone.week if gone is not None else None

    # -- calendar and reference ----------------------------------------------------------
    def overrides(self, cached: bool = False) -> dict:
        """Calendar overrides by school year; ``cached`` (readers only) reuses a copy younger than
        OVERRIDES_TTL."""
        if cached:
            return cached_overrides(lambda: read_overrides(self.session))
        return read_overrides(self.session)

    def save_override(self, school_year: str, values: dict, user_id, now) -> None:
        stmt = pg_insert(calendar_overrides).values(school_year=school_year, updated_by=user_id, updated_at=now,
                                                    **values)
        stmt = stmt.on_conflict_do_update(index_elements=["school_year"],
                                          set_={**values, "updated_by": stmt.excluded.updated_by,
                                                "updated_at": stmt.excluded.updated_at})
        self.session.execute(stmt)

    def opening(self, school_year: str, cached: bool = False) -> dict:
        """The opening calendar of a year ({grade: {kind: datetime|None}}; {} when never set); ``cached``
        reuses this process's copy younger than OPENING_TTL (refreshed at once by ``save_opening``)."""
        hit = _OPENING_CACHE.get(school_year)
        if cached and hit is not None and time.monotonic() - hit[0] < OPENING_TTL:
            return hit[1]
        rows = self.session.execute(select(opening_calendar).where(
            opening_calendar.c.school_year == school_year)).mappings().all()
        value = {r["grade"]: {k: r[k] for k in ("publish_from", "browse_from", "apply_from")} for r in rows}
        _OPENING_CACHE[school_year] = (time.monotonic(), value)
        return value

    def save_opening(self, school_year: str, calendar: dict, user_id, now) -> None:
        for grade, dates in calendar.items():
            stmt = pg_insert(opening_calendar).values(school_year=school_year, grade=grade, updated_by=user_id,
                                                      updated_at=now, **dates)
            self.session.execute(stmt.on_conflict_do_update(
                index_elements=["school_year", "grade"],
                set_={**dates, "updated_by": user_id, "updated_at": now}))
        _OPENING_CACHE.pop(school_year, None)

    def naf_mapping(self) -> dict:
        """NAF sub-class -> sector (reference data, read once per process)."""
        if not _NAF_CACHE:
            rows = self.session.execute(select(naf_codes.c.code, naf_codes.c.sector_id)
                                        .where(naf_codes.c.level == "sous-classe")).all()
            _NAF_CACHE.update({r.code: r.sector_id for r in rows})
        return _NAF_CACHE

    def commune(self, insee: str | None = None, postal: str | None = None) -> dict | None:
        """A commune by INSEE code, or the main commune of a postal code (communes before districts,
        larger first)."""
        if insee:
            q = select(communes).where(communes.c.insee_code == insee)
        else:
            q = (select(communes).join(postal_codes, postal_codes.c.insee_code == communes.c.insee_code)
                 .where(postal_codes.c.postal_code == postal)
                 .order_by((communes.c.kind == "commune").desc(), communes.c.population.desc()).limit(1))
        row = self.session.execute(q).mappings().first()
        return dict(row) if row is not None else None

    # -- partner budget ------------------------------------------------------------------
    def partner_hits_since(self, operator_id: str, since) -> list:
        """The operator's requests after ``since``, oldest first (older ones are deleted). Takes the
        operator's advisory lock: concurrent requests of one operator are counted one after the other."""
        self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "partner:" + operator_id})
        self.session.execute(delete(partner_hits).where(and_(partner_hits.c.operator_id == operator_id,
                                                             partner_hits.c.at <= since)))
        return list(self.session.execute(select(partner_hits.c.at).where(partner_hits.c.operator_id == operator_id)
                                         .order_by(partner_hits.c.at)).scalars().all())

    def add_partner_hit(self, operator_id: str, at) -> None:
        self.session.execute(insert(partner_hits).values(operator_id=operator_id, at=at))


class UnitOfWork(ServiceUnitOfWork):
    """What the use cases receive: ``begin()`` one transaction yielding the ``OfferRepository`` (which emits
    through the outbox), ``read()`` the ``OfferQueries`` on a read-only session."""

    repository = staticmethod(lambda unit: OfferRepository(unit.session, unit))
    queries = staticmethod(lambda session: OfferQueries(session))
