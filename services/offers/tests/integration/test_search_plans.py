"""The search statements as the service runs them: prepared, so PostgreSQL executes them with a generic
plan (one for every centre, radius and keyword), on 100,000 offers made by the benchmark's generator
(placed by population: Paris is dense). Each must still take its index."""
import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from offers.queries import search_sql
from offers.domain import search as sd

ROOT = Path(__file__).resolve().parents[4]
PARIS = (48.8566, 2.3522)


@pytest.fixture(scope="module")
def offers_url(service_db):
    url = service_db("offers", reference=False).replace("postgresql+psycopg://", "postgresql://")
    subprocess.run([sys.executable, str(ROOT / "bench" / "offers_generate.py"), "--url", url, "--count", "100000"],
                   check=True, capture_output=True)
    return url


def generic_plan(url: str, sql: str, params: dict, knn: bool) -> str:
    """EXPLAIN of ``sql`` prepared and run with a generic plan, on a connection like the service's."""
    names: list[str] = []

    def placeholder(m):
        if m.group(1) not in names:
            names.append(m.group(1))
        return f"${names.index(m.group(1)) + 1}"
    prepared = re.sub(r"%\((\w+)\)s", placeholder, search_sql.to_pyformat(sql))
    options = "-c plan_cache_mode=force_generic_plan" + (" -c enable_bitmapscan=off" if knn else "")
    with psycopg.connect(url, autocommit=True, options=options) as conn:
        conn.execute(f"PREPARE search AS {prepared}")
        values = ", ".join(psycopg.ClientCursor(conn).mogrify("%s", (params[n],)) for n in names)
        return "\n".join(r[0] for r in conn.execute(f"EXPLAIN EXECUTE search({values})"))


def search(today, viewer_claims, **query):
    p = sd.parse_search_params({"commune": "75056", "radius_km": "20", **query}, today)
    viewer = sd.viewer_from_actor(viewer_claims)
    return p, viewer, sd.effective_grade(p, viewer)


def test_a_priority_pupils_first_page_reads_the_small_priority_index(offers_url):
    today = dt.date.today()
    p, viewer, grade = search(today, {"role": "pupil", "grade": "troisieme", "school_uai": "0750001A",
                                      "school_rep": True})
    sql, params = search_sql.build_priority_page(p, viewer, grade, PARIS, today - dt.timedelta(days=1), limit=31)
    assert search_sql.uses_knn(p, PARIS)
    plan = generic_plan(offers_url, sql, params, knn=True)
    first, rest = plan.split("Subquery Scan")[1:3]
    assert "Index Scan using ix_offers_search_priority" in first, plan
    assert "Index Scan using ix_offers_search_geo" in rest and "Order By" in rest, plan


def test_a_keyword_search_reads_the_text_index(offers_url):
    today = dt.date.today()
    p, viewer, grade = search(today, {"role": "pupil", "grade": "troisieme", "school_uai": "0750001A"},
                              q="boulanger")
    sql, params = search_sql.build_search(p, viewer, grade, PARIS, today - dt.timedelta(days=1), limit=31)
    assert not search_sql.uses_knn(p, PARIS)
    assert "Bitmap Index Scan on ix_offers_search_text" in generic_plan(offers_url, sql, params, knn=False)
