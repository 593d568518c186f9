import datetime as dt

from offers import search_sql
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
    assert "earth_box(ll_to_earth(:lat, :lon), :radius_m) @> o.geo" in sql
    assert "ORDER BY o.geo <-> ll_to_earth(:lat, :lon)\n" in sql
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
