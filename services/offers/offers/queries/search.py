"""The search's reads: its statements (``search_sql``) on its own connections (``search_pool``), and the
reference it keeps in memory (commune and postal-code points, school points, calendar overrides).

``SearchReader`` is what the search use case (``offers.use_cases.search``) reads through; the use-case unit
tests give it a fake with the same methods (``testkit.offers.FakeSearchReader``).
"""
from __future__ import annotations

import datetime as dt
import time

from eventlet.semaphore import Semaphore
from sqlalchemy import create_engine, select

from .. import settings
from common.errors import ValidationError

from .. import repository
from ..models import communes, postal_codes, school_points
from . import search_sql
from .search_pool import SearchConnections

MSG_UNKNOWN_COMMUNE = "Commune inconnue."
MSG_UNKNOWN_POSTAL = "Code postal inconnu."
SCHOOL_POINT_TTL = 600.0

_POINTS: dict = {}
_SCHOOL_POINTS: dict = {}  # uai -> (point or None, read at)
_REFERENCE_LOCK = Semaphore(1)  # concurrent first searches read the 35,000 communes once, not each


def _since(today):
    """The statements keep offers whose last day is yesterday or later (as they always did)."""
    return today - dt.timedelta(days=1)


class SearchEngines:
    """What the search reads with: ``pools`` (plain psycopg, see ``search_pool``) for its
    statements, ``reference`` (SQLAlchemy, opened rarely) for the calendar overrides, commune
    points and school points it keeps in memory."""

    def __init__(self, url, size: int | None = None):
        size = size or settings.search_connections()
        self.pools = SearchConnections(url, size)
        self.reference = create_engine(url, pool_size=1, max_overflow=2, pool_recycle=1800)

    def dispose(self):
        self.pools.close()
        self.reference.dispose()


class SearchReader:
    def __init__(self, engines: SearchEngines):
        self.engines = engines

    # -- reference kept in memory ----------------------------------------------------------
    def overrides(self) -> dict:
        def read():
            with self.engines.reference.connect() as session:
                return repository.read_overrides(session)
        return repository.cached_overrides(read)

    def _points(self) -> dict:
        """Commune and postal-code points, read once per process (static reference data)."""
        if _POINTS.get("communes"):
            return _POINTS
        with _REFERENCE_LOCK:
            if not _POINTS.get("communes"):
                with self.engines.reference.connect() as session:
                    rows = session.execute(select(communes.c.insee_code, communes.c.lat, communes.c.lon,
                                                  communes.c.kind, communes.c.population)
                                           .where(communes.c.lat.is_not(None))).all()
                    postal = session.execute(select(postal_codes.c.postal_code, postal_codes.c.insee_code)).all()
                by_insee = {r.insee_code: (r.lat, r.lon) for r in rows}
                rank = {r.insee_code: (r.kind == "commune", r.population) for r in rows}
                by_postal: dict = {}
                for pc, insee in postal:
                    if insee in by_insee and (pc not in by_postal or rank[insee] > rank[by_postal[pc]]):
                        by_postal[pc] = insee
                if by_insee:
                    _POINTS.update(communes=by_insee, postal={pc: by_insee[i] for pc, i in by_postal.items()})
        return _POINTS

    def _school_point(self, uai: str):
        hit = _SCHOOL_POINTS.get(uai)
        if hit is not None and time.monotonic() - hit[1] < SCHOOL_POINT_TTL:
            return hit[0]
        with self.engines.reference.connect() as session:
            r = session.execute(select(school_points.c.lat, school_points.c.lon)
                                .where(school_points.c.uai == uai)).first()
        point = (r.lat, r.lon) if r is not None and r.lat is not None else None
        if len(_SCHOOL_POINTS) > 50_000:
            _SCHOOL_POINTS.clear()
        _SCHOOL_POINTS[uai] = (point, time.monotonic())
        return point

    def centre(self, p: dict, viewer: dict) -> tuple[tuple[float, float] | None, str | None]:
        """The search's centre and where it comes from: coordinates, a commune, a postal code, or a
        pupil's school."""
        if p.get("lat") is not None:
            return (p["lat"], p["lon"]), "coordinates"
        if p.get("commune"):
            point = self._points().get("communes", {}).get(p["commune"])
            if point is None:
                raise ValidationError(None, {"commune": [MSG_UNKNOWN_COMMUNE]})
            return point, "commune"
        if p.get("postal_code"):
            point = self._points().get("postal", {}).get(p["postal_code"])
            if point is None:
                raise ValidationError(None, {"postal_code": [MSG_UNKNOWN_POSTAL]})
            return point, "postal_code"
        if viewer.get("role") == "pupil" and viewer.get("school_uai"):
            point = self._school_point(viewer["school_uai"])
            if point is not None:
                return point, "school"
        return None, None

    # -- statements -------------------------------------------------------------------------
    def _fetch(self, p: dict, centre, sql: str, params: dict) -> list[dict]:
        pool = self.engines.pools.knn if search_sql.uses_knn(p, centre) else self.engines.pools.default
        # binary results (no text parsing of arrays, dates and floats), tuples (a dict per row cost more than
        # the rest of the row handling); psycopg prepares a statement it runs for the fifth time
        rows = pool.fetch(search_sql.to_pyformat(sql), params)
        keys = search_sql.RESULT_KEYS
        out = []
        for row in rows:
            found = dict(zip(keys, row))
            chord = found.pop("chord")
            found["distance_km"] = search_sql.distance_km(chord)
            if len(row) > len(keys):
                found["sql_priority"] = row[-1]
            out.append(found)
        return out

    def page(self, p: dict, viewer: dict, grade, centre, today, priority: bool | None, limit: int,
             offset: int) -> list[dict]:
        """Live offers visible to the viewer in the search's order (distance, or relevance/recency);
        ``priority``: None every one, True only the viewer's priority offers, False the others."""
        sql, params = search_sql.build_search(p, viewer, grade, centre, _since(today), priority=priority,
                                              limit=limit, offset=offset)
        return self._fetch(p, centre, sql, params)

    def both_halves(self, p: dict, viewer: dict, grade, centre, today, limit: int) -> list[dict]:
        """Up to ``limit`` priority offers and up to ``limit`` others in one statement (a first page with a
        centre); each row says which half it came from in ``sql_priority``."""
        sql, params = search_sql.build_priority_page(p, viewer, grade, centre, _since(today), limit=limit)
        return self._fetch(p, centre, sql, params)


_READERS: dict = {}


def reader_for(url) -> SearchReader:
    """The search reader of a database (one per process and database: its pools stay open)."""
    key = url.render_as_string(hide_password=False) if hasattr(url, "render_as_string") else str(url)
    if key not in _READERS:
        _READERS[key] = SearchReader(SearchEngines(url))
    return _READERS[key]
