"""In-memory fakes of the offers service's repository, queries and search reader, for its use-case unit
tests (no broker, no database). They keep the promises of the real ones (``offers.repository``,
``offers.queries``, ``offers.queries.search``): unique creation keys and remote ids, the seat CHECK
constraint, copies of rows (never shared dicts); the integration tests keep proving the SQL."""
from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager

from offers.domain import ranking
from offers.domain import search as sd
from offers.domain import states as st
from offers.repository import COLUMNS
from .moderation_fakes import FakeModerationQueries, FakeModerationRepository

# the server defaults of the offers table
DEFAULTS = {"state": st.DRAFT, "is_partner": False, "completed_steps": [], "grades": [], "weeks": [],
            "all_year": False, "search_weeks": [], "seats": 1, "seats_taken": 0, "reserved_school_uais": [],
            "reserved_rep": False, "reserved_qpv": False, "tags": [], "knn_tags": [],
            "moderation_hold": False, "moderation_status": None}
COMMUNES = {
    "71270": {"insee_code": "71270", "name": "Mâcon", "kind": "commune", "dep_code": "71", "academie_code": "07",
              "postal_codes": ["71000"], "population": 33000, "lat": 46.3069, "lon": 4.8287},
    "75056": {"insee_code": "75056", "name": "Paris", "kind": "commune", "dep_code": "75", "academie_code": "01",
              "postal_codes": ["75001"], "population": 2100000, "lat": 48.8566, "lon": 2.3522},
    "69123": {"insee_code": "69123", "name": "Lyon", "kind": "commune", "dep_code": "69", "academie_code": "10",
              "postal_codes": ["69001"], "population": 520000, "lat": 45.7640, "lon": 4.8357},
    "13055": {"insee_code": "13055", "name": "Marseille", "kind": "commune", "dep_code": "13", "academie_code": "02",
              "postal_codes": ["13001"], "population": 870000, "lat": 43.2965, "lon": 5.3698},
    "44109": {"insee_code": "44109", "name": "Nantes", "kind": "commune", "dep_code": "44", "academie_code": "17",
              "postal_codes": ["44000"], "population": 320000, "lat": 47.2184, "lon": -1.5536},
}


class CheckViolation(Exception):
    """What PostgreSQL answers when a write breaks the CHECK constraint on seats."""


class FakeOffers(FakeModerationRepository):
    """``offers.repository.OfferRepository`` in memory."""

    def __init__(self, communes: dict | None = None, naf: dict | None = None, overrides: dict | None = None):
        self.rows: dict[str, dict] = {}
        self.reservations: dict[tuple[str, str], str] = {}
        self.hits: dict[str, list] = {}
        self.calendar: dict = dict(overrides or {})
        self.openings: dict = {}   # opening calendars by school year (domain/opening.py)
        self.communes = dict(COMMUNES if communes is None else communes)
        self.naf = dict(naf or {"10.71C": "s26", "62.01Z": "s31"})
        self.locked: list[str] = []   # ids of the offers a use case locked, in order
        self.events: list[tuple[str, dict]] = []   # emitted through the outbox

    def emit(self, type_: str, data: dict) -> None:
        self.events.append((type_, copy.deepcopy(data)))

    # -- offers ------------------------------------------------------------------------
    def get(self, offer_id, lock: bool = False) -> dict | None:
        try:
            uuid.UUID(str(offer_id))
        except (ValueError, TypeError):
            return None
        row = self.rows.get(str(offer_id))
        if row is not None and lock:
            self.locked.append(row["id"])
        return copy.deepcopy(row)

    def by_creation_key(self, owner_id, key: str) -> dict | None:
        return next((copy.deepcopy(r) for r in self.rows.values()
                     if r.get("owner_id") == owner_id and r.get("creation_key") == key), None)

    def live_partner_offer(self, operator_id: str, remote_id: str, lock: bool = False) -> dict | None:
        return next((copy.deepcopy(r) for r in self.rows.values() if r.get("operator_id") == operator_id
                     and r.get("remote_id") == remote_id and r["state"] != st.REMOVED), None)

    def add(self, values: dict, unique: str | None = None) -> bool:
        row = {c: None for c in COLUMNS} | copy.deepcopy(DEFAULTS)
        row.update({k: copy.deepcopy(v) for k, v in values.items() if k in COLUMNS})
        if row.get("creation_key") and self.by_creation_key(row["owner_id"], row["creation_key"]):
            if unique == "creation_key":
                return False
            raise AssertionError("unique index offers (owner_id, creation_key)")
        if row.get("remote_id") and self.live_partner_offer(row["operator_id"], row["remote_id"]):
            if unique == "remote_id":
                return False
            raise AssertionError("unique index offers (operator_id, remote_id)")
        self._check(row)
        self.rows[row["id"]] = row
        return True

    def change(self, offer_id: str, values: dict) -> None:
        row = {**self.rows[offer_id], **copy.deepcopy(values)}
        self._check(row)
        self.rows[offer_id] = row

    @staticmethod
    def _check(row: dict) -> None:
        if not 0 <= (row["seats_taken"] or 0) <= (row["seats"] or 0):
            raise CheckViolation(f"seats_taken {row['seats_taken']} outside 0..{row['seats']}")

    def following_calendar(self, school_year: str) -> list[dict]:
        return [copy.deepcopy(r) for r in self.rows.values() if r["school_year"] == school_year
                and r["state"] != st.REMOVED and (r["all_year"] or r["seconde_period"] is not None)]

    def published_ending_before(self, day) -> list[dict]:
        return [copy.deepcopy(r) for r in self.rows.values()
                if r["state"] == st.PUBLISHED and r["last_day"] is not None and r["last_day"] < day]

    # -- seats -------------------------------------------------------------------------
    def reserved_week(self, offer_id: str, application_id: str) -> str | None:
        return self.reservations.get((offer_id, application_id))

    def add_reservation(self, offer_id: str, application_id: str, week: str, now) -> None:
        assert (offer_id, application_id) not in self.reservations, "primary key seat_reservations"
        self.reservations[(offer_id, application_id)] = week

    def remove_reservation(self, offer_id: str, application_id: str) -> str | None:
        return self.reservations.pop((offer_id, application_id), None)

    # -- calendar and reference ----------------------------------------------------------
    def overrides(self, cached: bool = False) -> dict:
        return copy.deepcopy(self.calendar)

    def save_override(self, school_year: str, values: dict, user_id, now) -> None:
        merged = {**self.calendar.get(school_year, {}), **values}
        self.calendar[school_year] = {k: v for k, v in merged.items() if v is not None}

    def opening(self, school_year: str, cached: bool = False) -> dict:
        return copy.deepcopy(self.openings.get(school_year, {}))

    def save_opening(self, school_year: str, calendar: dict, user_id, now) -> None:
        self.openings[school_year] = copy.deepcopy(calendar)

    def naf_mapping(self) -> dict:
        return self.naf

    def commune(self, insee: str | None = None, postal: str | None = None) -> dict | None:
        if insee:
            found = self.communes.get(insee)
        else:
            found = next((c for c in self.communes.values() if postal in c["postal_codes"]), None)
        return copy.deepcopy(found)

    # -- partner budget ------------------------------------------------------------------
    def partner_hits_since(self, operator_id: str, since) -> list:
        self.hits[operator_id] = sorted(at for at in self.hits.get(operator_id, []) if at > since)
        return list(self.hits[operator_id])

    def add_partner_hit(self, operator_id: str, at) -> None:
        self.hits.setdefault(operator_id, []).append(at)


class FakeUnitOfWork:
    """``offers.repository.UnitOfWork`` in memory: ``begin()`` yields ``offers`` (a ``FakeOffers``; what a block
    that raises changed is undone, its events dropped), ``read()`` the ``FakeQueries``; ``events`` holds the
    events emitted by committed blocks."""

    def __init__(self, offers: FakeOffers | None = None):
        self.offers = offers or FakeOffers()

    @property
    def events(self) -> list[tuple[str, dict]]:
        return self.offers.events

    @contextmanager
    def begin(self):
        saved = copy.deepcopy(self.offers.__dict__)
        try:
            yield self.offers
        except BaseException:
            self.offers.__dict__.clear()
            self.offers.__dict__.update(saved)
            raise

    @contextmanager
    def read(self):
        yield FakeQueries(self.offers)

    def types(self) -> list[str]:
        return [t for t, _ in self.events]


class FakeQueries(FakeModerationQueries):
    """``offers.queries.OfferQueries`` over a FakeOffers."""
    PER_PAGE = 30

    def __init__(self, offers: FakeOffers):
        self.offers = offers

    def _page(self, rows, page: int):
        rows = sorted(rows, key=lambda r: r["id"])
        rows = sorted(rows, key=lambda r: r["created_at"], reverse=True)
        start = (page - 1) * self.PER_PAGE
        return [copy.deepcopy(r) for r in rows[start:start + self.PER_PAGE]], len(rows)

    def space_page(self, space_id, state, page):
        return self._page([r for r in self.offers.rows.values()
                           if str(r.get("space_id") or r.get("employer_id")) == str(space_id)
                           and (r["state"] == state if state else r["state"] != st.REMOVED)], page)

    def owner_page(self, owner_id, state, page):
        return self._page([r for r in self.offers.rows.values() if r["owner_id"] == owner_id
                           and (r["state"] == state if state else r["state"] != st.REMOVED)], page)

    def partner_page(self, operator_id, page):
        return self._page([r for r in self.offers.rows.values() if r["operator_id"] == operator_id
                           and r["state"] != st.REMOVED], page)

    def by_ids(self, ids):
        return [copy.deepcopy(self.offers.rows[i]) for i in ids if i in self.offers.rows]

    def of_person(self, user_id):
        return [copy.deepcopy(r) for r in sorted(self.offers.rows.values(), key=lambda r: (r["created_at"], r["id"]))
                if user_id in (r["owner_id"], r["employer_id"], r["operator_id"])]

    def communes_for_places(self, key):
        return [{**c, "_key": key(c["name"])} for c in self.offers.communes.values()]


class FakeSearchReader:
    """``offers.queries.search.SearchReader`` over a list of search rows (the result columns of the search
    with their ``distance_km``, ``grades``, ``published_at``): visibility from ``domain.search``, the
    priority halves from ``domain.ranking``, nearest first (ties by id), or newest first without a centre."""

    def __init__(self, rows: list[dict], centre=(46.3069, 4.8287)):
        self.rows = rows
        self._centre = centre
        self.statements: list[str] = []

    def overrides(self) -> dict:
        return {}

    def centre(self, p, viewer):
        return (self._centre, "commune") if self._centre else (None, None)

    def _visible(self, viewer, grade, priority):
        out = [r for r in self.rows if sd.visible_to(r, viewer) and (grade is None or grade in r["grades"])]
        if priority is not None and ranking.priority_columns(viewer):
            out = [r for r in out if ranking.is_priority(r, viewer) is priority]
        if self._centre:
            return sorted(out, key=lambda r: (r["distance_km"], r["id"]))
        return sorted(out, key=lambda r: r["published_at"], reverse=True)

    def page(self, p, viewer, grade, centre, today, priority, limit, offset):
        self.statements.append(f"page priority={priority}")
        return [dict(r) for r in self._visible(viewer, grade, priority)[offset:offset + limit]]

    def both_halves(self, p, viewer, grade, centre, today, limit):
        self.statements.append("both halves")
        return ([dict(r, sql_priority=True) for r in self._visible(viewer, grade, True)[:limit]] +
                [dict(r, sql_priority=False) for r in self._visible(viewer, grade, False)[:limit]])
