"""SQL of the offer search (built here, run by the service).

Two index paths, chosen by the query's shape:

* **KNN path** (no keyword, no sector): the partial GiST index on
  ``(geo, knn_tags)`` (``geo`` = ``ll_to_earth(lat, lon)``) walks offers nearest
  first (``ORDER BY geo <-> centre``) inside ``earth_box``, checking grade and
  weeks (``knn_tags``) in the index; visibility is checked on the rows it
  returns, and the scan stops after one page.
* **GIN path** (keyword and/or sector): one partial GIN index on
  ``(search_vector, tags)`` answers text + place + sector + weeks together:
  ``tags`` holds the offer's 0.2° grid cell, its sector and its weeks, and the
  query asks for ``tags && cells_around(centre, radius)`` (see
  ``domain.search``); the exact distance is then checked on those rows.

Both indexes are partial on the searchable rows
(``state = 'published' AND seats_taken < seats``).

The centre and the search box are computed here and bound as ``cube``
literals (``CAST(:centre AS cube)``), not written as
``ll_to_earth(:lat, :lon)``/``earth_box(...)``: those SQL functions were
inlined and folded at every planning (0.95 -> 0.26 ms of planning) and
evaluated again for every row (0.76 -> 0.36 ms of execution, KNN page).
The query returns the chord distance; ``distance_km`` turns it into the
great-circle distance.
"""
from __future__ import annotations

import functools
import math
import re

from common.validation import fold

from ..domain import moderation, ranking
from ..domain import states as st
from ..domain.search import RESERVATION_ROLES, SEE_ALL_ROLES, cells_around, grade_tag, sector_tag, week_tag

EARTH_RADIUS_M = 6378168.0  # earthdistance's earth()
# searchable (domain.states.is_searchable) with a seat left (domain.seats); the partial indexes of the
# migrations 0002/0003 carry the same predicate. Not held for review (domain.moderation.hidden_from_search):
# checked on the rows the indexes return.
LIVE = f"o.state = '{st.PUBLISHED}' AND o.seats_taken < o.seats AND NOT o.{moderation.HOLD_COLUMN}"

# What a result card shows (views.result_card); every returned row is live and visible to the viewer.
RESULT_COLUMNS = """o.id::text AS id, o.title, o.organisation->>'name' AS organisation_name, o.city, o.commune_insee,
  o.dep_code, o.sector, o.grades, o.school_year, o.weeks, o.all_year, o.seconde_period, o.first_day, o.last_day,
  o.seats - o.seats_taken AS seats_left, o.is_partner, o.permalink, o.reserved_rep, o.reserved_qpv,
  (cardinality(o.reserved_school_uais) > 0 OR o.reserved_rep OR o.reserved_qpv) AS reserved, o.lat, o.lon"""
# the names of the columns a search statement returns, in order (the last one is the chord distance)
RESULT_KEYS = tuple(re.findall(r"(?:AS |o\.)(\w+)(?=,|$)", " ".join(RESULT_COLUMNS.split()))) + ("chord",)


def chord_m(radius_km: float) -> float:
    """Straight-line (cube) distance matching a great-circle distance."""
    return 2 * EARTH_RADIUS_M * math.sin(radius_km * 1000 / (2 * EARTH_RADIUS_M))


def distance_km(chord: float | None) -> float | None:
    """Great-circle distance of a chord (earthdistance's ``sec_to_gc``), in km."""
    if chord is None:
        return None
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, chord / (2 * EARTH_RADIUS_M))) / 1000


def earth_point(lat: float, lon: float) -> tuple[float, float, float]:
    """earthdistance's ``ll_to_earth``: the point on a sphere of EARTH_RADIUS_M, in metres."""
    la, lo = math.radians(lat), math.radians(lon)
    return (EARTH_RADIUS_M * math.cos(la) * math.cos(lo), EARTH_RADIUS_M * math.cos(la) * math.sin(lo),
            EARTH_RADIUS_M * math.sin(la))


def cube_literal(*corners: tuple[float, ...]) -> str:
    return ",".join("(" + ",".join(repr(v) for v in c) + ")" for c in corners)


def centre_and_box(lat: float, lon: float, radius_km: float) -> tuple[str, str, float]:
    """The centre as a cube, the cube around it that holds every point within
    ``radius_km`` (``earth_box``), and the chord of that radius."""
    chord = chord_m(radius_km)
    x, y, z = earth_point(lat, lon)
    box = cube_literal((x - chord, y - chord, z - chord), (x + chord, y + chord, z + chord))
    return cube_literal((x, y, z)), box, chord


def tsquery_of(q: str | None) -> str | None:
    """'Boulangère pâtiss' -> 'boulangere:* & patiss:*' (prefix match on every word,
    accent-folded; the fr_unaccent configuration then stems each word)."""
    if not q:
        return None
    words = re.findall(r"[0-9a-z]+", fold(q))
    words = [w for w in words if len(w) >= 2][:8]
    if not words:
        return None
    return " & ".join(f"{w}:*" for w in words)


def visibility_sql(viewer: dict, params: dict) -> str:
    """``domain.search.reservation_visible`` in SQL (the grade is a filter of its own)."""
    role = viewer.get("role")
    if role in SEE_ALL_ROLES:
        return "TRUE"
    unreserved = "(cardinality(o.reserved_school_uais) = 0 AND NOT o.reserved_rep AND NOT o.reserved_qpv)"
    if role in RESERVATION_ROLES:
        parts = [unreserved]
        if viewer.get("school_uai"):
            params["v_uai"] = viewer["school_uai"]
            parts.append(":v_uai = ANY(o.reserved_school_uais)")
        if viewer.get("school_rep"):
            parts.append("o.reserved_rep")
        if viewer.get("school_qpv"):
            parts.append("o.reserved_qpv")
        return "(" + " OR ".join(parts) + ")"
    return unreserved


def priority_sql(viewer: dict) -> str | None:
    """``domain.ranking.is_priority`` in SQL: the offers this viewer sees first (None: no priority
    offers for this viewer). Built from the ranking's columns, never written here."""
    columns = ranking.priority_columns(viewer)
    if not columns:
        return None
    return "(" + " OR ".join(f"o.{c}" for c in columns) + ")"


_NAMED = re.compile(r"(?<!:):([a-z_]+)")


@functools.lru_cache(maxsize=512)  # a few dozen statement shapes, built again for every search
def to_pyformat(sql: str) -> str:
    """':name' placeholders (SQLAlchemy text) -> '%(name)s' (psycopg)."""
    return _NAMED.sub(r"%(\1)s", sql)


def uses_knn(p: dict, centre) -> bool:
    """The KNN path: a place and neither keyword nor sector. PostgreSQL cannot
    estimate ``earth_box @> geo`` (it guesses a few rows) and then prefers a
    bitmap scan + sort of every offer in the box; the service turns bitmap scans
    off for that one statement (``SET LOCAL enable_bitmapscan = off``) so the
    GiST index returns the nearest offers first and the scan stops after a page."""
    return centre is not None and not (tsquery_of(p.get("q")) or p.get("sector"))


def build_search(p: dict, viewer: dict, grade: str | None, centre: tuple[float, float] | None,
                 today, *, priority: bool | None = None, limit: int = 31, offset: int = 0) -> tuple[str, dict]:
    """SQL + bind parameters of one search page.

    ``priority``: None (every visible offer), True (only the viewer's priority
    offers), False (every visible offer except those).
    """
    params: dict = {"today": today, "limit": limit, "offset": offset}
    where = [LIVE, "o.last_day >= :today", visibility_sql(viewer, params)]
    tsq = tsquery_of(p.get("q"))
    gin = bool(tsq or p.get("sector"))
    knn = centre is not None and not gin
    # KNN path: grade and weeks are tags checked inside the GiST (geo, tags) index.
    # GIN path: they are checked on the (few) rows the text/sector/cells lookup returns.
    if grade:
        if knn:
            params["grade_tag"] = [grade_tag(grade)]
            where.append("o.knn_tags @> CAST(:grade_tag AS int[])")
        else:
            params["grade"] = [grade]
            where.append("o.grades @> CAST(:grade AS text[])")
    if p.get("weeks"):
        if knn:
            params["week_tags"] = [week_tag(w) for w in p["weeks"]]
            where.append("o.knn_tags && CAST(:week_tags AS int[])")
        else:
            params["weeks"] = p["weeks"]
            where.append("o.search_weeks && CAST(:weeks AS text[])")
    if p.get("sector"):
        params["sector_tags"] = [sector_tag(s) for s in p["sector"]]
        where.append("o.tags && CAST(:sector_tags AS int[])")
    if tsq:
        params["tsq"] = tsq
        where.append("o.search_vector @@ to_tsquery('fr_unaccent', :tsq)")
    prio = priority_sql(viewer)
    if priority is not None and prio:
        where.append(prio if priority else f"NOT {prio}")
    select = RESULT_COLUMNS
    if centre is not None:
        lat, lon = centre
        params["centre"], params["box"], params["chord"] = centre_and_box(lat, lon, p["radius_km"])
        dist = "(o.geo <-> CAST(:centre AS cube))"
        select += f", {dist} AS chord"
        if gin:
            params["cells"] = cells_around(lat, lon, p["radius_km"])
            where.append("o.tags && CAST(:cells AS int[])")
            where.append(f"{dist} <= :chord")
            order = f"{dist}, o.id"
        else:
            where.append("o.geo <@ CAST(:box AS cube)")
            where.append(f"{dist} <= :chord")
            order = dist  # KNN: no tie-breaker, or the index cannot order
    else:
        select += ", NULL::float8 AS chord"
        if tsq:
            order = "ts_rank(o.search_vector, to_tsquery('fr_unaccent', :tsq)) DESC, o.published_at DESC, o.id"
        else:
            order = "o.published_at DESC, o.id"
    sql = (f"SELECT {select}\nFROM offers o\nWHERE " + "\n  AND ".join(where) +
           f"\nORDER BY {order}\nLIMIT :limit OFFSET :offset")
    return sql, params


def build_priority_page(p: dict, viewer: dict, grade: str | None, centre: tuple[float, float], today, *,
                        limit: int) -> tuple[str, dict]:
    """The first page of a viewer with priority offers, in one statement: up to ``limit`` priority
    offers and up to ``limit`` others, each half through its own index, each row flagged (last
    column) with whether it is a priority offer. The caller orders each half by distance."""
    first, params = build_search(p, viewer, grade, centre, today, priority=True, limit=limit, offset=0)
    rest, same = build_search(p, viewer, grade, centre, today, priority=False, limit=limit, offset=0)
    assert same == params
    return (f"SELECT s.*, TRUE FROM (\n{first}\n) s\nUNION ALL\nSELECT s.*, FALSE FROM (\n{rest}\n) s", params)
