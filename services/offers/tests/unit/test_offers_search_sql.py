import datetime as dt

from offers.queries import search_sql
from offers.domain import search as sd

TODAY = dt.date(2026, 11, 23)
PUPIL = sd.viewer_from_actor({"role": "pupil", "grade": "troisieme", "school_uai": "0710012A", "school_rep": True})


def parse(**kw):
    return sd.parse_search_params(kw, TODAY)


def test_tsquery_is_accent_folded_prefix_and():
    assert search_sql.tsquery_of("Boulangère  PÂTISS") == "boulangere:* & patiss:*"
    assert search_sql.tsquery_of("l'été & !|") == "ete:*"
    assert search_sql.tsquery_of("  ") is None and search_sql.tsquery_of(None) is None


def test_knn_path_checks_grade_and_weeks_in_the_gist_index():
    p = parse(commune="71270", week="2026-W50")
    assert search_sql.uses_knn(p, (46.3, 4.8))
    sql, params = search_sql.build_search(p, PUPIL, "troisieme", (46.3, 4.8), TODAY)
    assert "o.geo <@ CAST(:box AS cube)" in sql
    assert "ORDER BY (o.geo <-> CAST(:centre AS cube))\n" in sql
    assert "o.knn_tags @> CAST(:grade_tag AS int[])" in sql and params["grade_tag"] == [2]
    assert "o.knn_tags && CAST(:week_tags AS int[])" in sql and params["week_tags"] == [202650]
    assert "search_vector" not in sql
    assert abs(params["chord"] - 20000) < 1  # 20 km: chord ~ arc at that scale


def test_gin_path_asks_text_cells_and_sector_of_one_index():
    p = parse(commune="71270", q="boulanger", sector="s26", week="2026-W50")
    assert not search_sql.uses_knn(p, (46.3, 4.8))
    sql, params = search_sql.build_search(p, PUPIL, "troisieme", (46.3, 4.8), TODAY)
    assert "o.search_vector @@ to_tsquery('fr_unaccent', :tsq)" in sql and params["tsq"] == "boulanger:*"
    assert "o.tags && CAST(:cells AS int[])" in sql and sd.cell_of(46.3, 4.8) in params["cells"]
    assert "o.tags && CAST(:sector_tags AS int[])" in sql and params["sector_tags"] == [126]
    assert "o.search_weeks && CAST(:weeks AS text[])" in sql
    assert "o.grades @> CAST(:grade AS text[])" in sql


def test_visibility_and_priority_sql():
    params = {}
    v = search_sql.visibility_sql(PUPIL, params)
    assert "o.reserved_rep" in v and ":v_uai = ANY(o.reserved_school_uais)" in v and "reserved_qpv)" in v
    assert params == {"v_uai": "0710012A"}
    assert search_sql.visibility_sql({"role": "admin"}, {}) == "TRUE"
    assert "NOT o.reserved_rep" in search_sql.visibility_sql({"role": None}, {})
    assert search_sql.priority_sql(PUPIL) == "(o.reserved_rep)"
    assert search_sql.priority_sql(sd.viewer_from_actor({"role": "pupil"})) is None
    sql, _ = search_sql.build_search(parse(commune="71270"), PUPIL, "troisieme", (46.3, 4.8), TODAY, priority=False)
    assert "NOT (o.reserved_rep)" in sql


def test_without_place_orders_by_text_rank_or_recency():
    sql, _ = search_sql.build_search(parse(q="boulanger"), PUPIL, "troisieme", None, TODAY)
    assert "ORDER BY ts_rank(o.search_vector" in sql and "cells" not in sql
    sql, _ = search_sql.build_search(parse(), PUPIL, "troisieme", None, TODAY)
    assert "ORDER BY o.published_at DESC" in sql


def test_tags():
    assert sd.search_tags(46.3, 4.8, "s26", ["2026-W50"]) == sorted([126, 202650, sd.cell_of(46.3, 4.8)])
    assert sd.knn_tags(["quatrieme", "seconde"], ["2027-W25"]) == [1, 3, 202725]
    cells = sd.cells_around(46.3, 4.8, 20)
    assert sd.cell_of(46.3, 4.8) in cells and sd.cell_of(46.45, 4.8) in cells  # 17 km north
    assert sd.cell_of(47.0, 4.8) not in cells  # 78 km north


def test_placeholders_for_psycopg():
    assert search_sql.to_pyformat("SELECT NULL::float8 WHERE a = :lat AND CAST(:grade AS text[])") == \
        "SELECT NULL::float8 WHERE a = %(lat)s AND CAST(%(grade)s AS text[])"


def test_centre_box_and_distances_are_earthdistance_s():
    """The cube literals bound instead of ll_to_earth/earth_box (planned and evaluated per row before)."""
    import math
    centre, box, chord = search_sql.centre_and_box(48.8566, 2.3522, 20)
    x, y, z = (float(v) for v in centre.strip("()").split(","))
    assert abs(math.sqrt(x * x + y * y + z * z) - search_sql.EARTH_RADIUS_M) < 1e-6
    lo, hi = box.split("),(")
    assert abs(float(hi.strip("()").split(",")[0]) - float(lo.strip("()").split(",")[0]) - 2 * chord) < 1e-6
    assert abs(search_sql.distance_km(chord) - 20) < 1e-9
    # Paris -> Lyon, 391.5 km on the sphere
    a, b = search_sql.earth_point(48.8566, 2.3522), search_sql.earth_point(45.7640, 4.8357)
    assert abs(search_sql.distance_km(math.dist(a, b)) - sd.haversine_km(48.8566, 2.3522, 45.7640, 4.8357)) < 0.5
    assert search_sql.distance_km(None) is None


def test_result_keys_follow_the_selected_columns():
    assert search_sql.RESULT_KEYS[:3] == ("id", "title", "organisation_name")
    assert search_sql.RESULT_KEYS[-4:] == ("reserved", "lat", "lon", "chord")
    assert len(search_sql.RESULT_KEYS) == search_sql.RESULT_COLUMNS.count(",") + 2


def test_first_page_of_a_priority_viewer_is_one_statement():
    sql, params = search_sql.build_priority_page(parse(commune="71270"), PUPIL, "troisieme", (46.3, 4.8), TODAY,
                                                 limit=31)
    first, rest = sql.split("UNION ALL")
    assert "AND (o.reserved_rep)" in first and "TRUE FROM" in first
    assert "NOT (o.reserved_rep)" in rest and "FALSE FROM" in rest
    assert params["limit"] == 31 and params["offset"] == 0
