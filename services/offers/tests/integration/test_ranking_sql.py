"""REP/QPV first: the search SQL (built from ``domain.ranking``) and the domain agree, on real PostgreSQL.

A dozen offers around Mâcon, each at its own distance, reserved for REP pupils, QPV pupils, both, one
school, or no one. For each viewer and each index path (KNN: a place only; GIN: a place and a keyword; no
centre: a keyword only), the pages the service returns (three offers a page, so that every branch of the
page assembly runs) are, end to end, the domain's ranking of every visible offer; and the statement's
priority half holds exactly the offers the domain puts first."""
import uuid

import pytest

from common.rpc import cluster_rpc
from offers.domain import ranking
from offers.domain import search as sd
from offers.queries.search import SearchEngines, SearchReader
from offers.use_cases import search as search_uc
from testkit.offers import employer, offer_data, today

TAG = "ranking" + uuid.uuid4().hex[:6]
SCHOOL = "0710012A"
# (reservations, latitude offset): every offer at its own distance from Mâcon (46.3069, 4.8287)
OFFERS = [
    ({}, 0.010), ({"reserved_rep": True}, 0.080), ({"reserved_qpv": True}, 0.030),
    ({"reserved_rep": True, "reserved_qpv": True}, 0.120), ({}, 0.050), ({"reserved_rep": True}, 0.020),
    ({"reserved_school_uais": [SCHOOL]}, 0.040), ({}, 0.090), ({"reserved_qpv": True}, 0.150),
    ({}, 0.070), ({"reserved_rep": True}, 0.060), ({}, 0.110),
]
PUPIL = {"role": "pupil", "grade": "troisieme", "school_uai": SCHOOL}
VIEWERS = {
    "rep pupil": dict(PUPIL, school_rep=True),
    "qpv pupil": dict(PUPIL, school_qpv=True),
    "rep and qpv pupil": dict(PUPIL, school_rep=True, school_qpv=True),
    "pupil": PUPIL,
    "rep school staff": {"role": "school_staff", "school_uai": SCHOOL, "school_rep": True},
    "anonymous": {},
}
PATHS = {"knn": {"commune": "71270", "radius_km": "30"},
         "gin": {"commune": "71270", "radius_km": "30", "q": TAG},
         "no centre": {"q": TAG}}


@pytest.fixture(scope="module")
def reader(service_db, amqp_uri):
    url = service_db("offers", reference=True)
    from nameko.containers import ServiceContainer

    from offers.service import OffersService
    container = ServiceContainer(OffersService, {"AMQP_URI": amqp_uri, "serializer": "json"})
    container.start()
    try:
        with cluster_rpc(amqp_uri) as rpc:
            for flags, dlat in OFFERS:
                actor = employer()
                data = offer_data(title=f"Luthier {TAG}", address={"street": "1 rue Carnot", "commune_insee": "71270",
                                                                   "lat": 46.3069 + dlat, "lon": 4.8287}, **flags)
                made = rpc.offers.create_offer(actor=actor, data=data)
                rpc.offers.publish_offer(actor=actor, offer_id=made["id"])
    finally:
        container.stop()
    engines = SearchEngines(url, size=2)
    yield SearchReader(engines)
    engines.dispose()


def every_page(reader, p, viewer, grade, centre, day) -> list[dict]:
    cards, number = [], 1
    while True:
        items, has_more = search_uc.page(reader, dict(p, page=number), viewer, grade, centre, day)
        cards += items
        if not has_more:
            return cards
        number += 1


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("who", VIEWERS)
def test_the_pages_are_the_domain_ranking_of_every_visible_offer(reader, who, path):
    day = today()
    viewer = sd.viewer_from_actor(VIEWERS[who])
    p = dict(sd.parse_search_params(PATHS[path], day, reader.overrides()), page_size=3)
    grade = sd.effective_grade(p, viewer)
    centre, _ = reader.centre(p, viewer)
    assert (centre is None) == (path == "no centre")
    visible = reader.page(p, viewer, grade, centre, day, None, 100, 0)    # every visible offer, SQL order
    assert len(visible) >= 5 and all(sd.visible_to(o, viewer) for o in visible)
    expected = [o["id"] for o in ranking.rank(visible, viewer)]
    pages = every_page(reader, p, viewer, grade, centre, day)
    assert [c["id"] for c in pages] == expected
    assert [c["priority"] for c in pages] == [ranking.is_priority(o, viewer) for o in ranking.rank(visible, viewer)]
    if ranking.priority_columns(viewer):
        assert pages[0]["priority"] is True and pages[-1]["priority"] is False


@pytest.mark.parametrize("who", [w for w in VIEWERS if ranking.priority_columns(sd.viewer_from_actor(VIEWERS[w]))])
def test_the_priority_half_of_the_statement_is_the_domains(reader, who):
    day = today()
    viewer = sd.viewer_from_actor(VIEWERS[who])
    for path in ("knn", "gin"):
        p = sd.parse_search_params(PATHS[path], day, reader.overrides())
        grade = sd.effective_grade(p, viewer)
        centre, _ = reader.centre(p, viewer)
        rows = reader.both_halves(p, viewer, grade, centre, day, 100)
        assert rows and any(r["sql_priority"] for r in rows) and not all(r["sql_priority"] for r in rows)
        assert all(r["sql_priority"] is ranking.is_priority(r, viewer) for r in rows)
        first = reader.page(p, viewer, grade, centre, day, True, 100, 0)
        rest = reader.page(p, viewer, grade, centre, day, False, 100, 0)
        assert all(ranking.is_priority(r, viewer) for r in first)
        assert not any(ranking.is_priority(r, viewer) for r in rest)

