"""The offers service in-process against this run's PostgreSQL and RabbitMQ."""
import datetime as dt
import uuid

import eventlet
import pytest

from common.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationError
from common.rpc import cluster_rpc

from testkit.offers import employer, offer_data


@pytest.fixture
def offers_rpc(service_db, start_service, amqp_uri):
    service_db("offers", reference=True)
    from offers.service import OffersService
    start_service(OffersService)
    with cluster_rpc(amqp_uri) as rpc:
        yield rpc.offers


def publish_new(rpc, actor=None, **kw):
    actor = actor or employer()
    o = rpc.create_offer(actor=actor, data=offer_data(**kw))
    return actor, rpc.publish_offer(actor=actor, offer_id=o["id"])["offers"]


def test_three_steps_draft_then_publish(offers_rpc):
    actor = employer()
    data = offer_data()
    place = {k: data[k] for k in ("title", "description", "address")}
    o = offers_rpc.create_offer(actor=actor, data={"step": "place", **place})
    assert o["state"] == "draft" and o["completed_steps"] == ["place"]
    assert o["city"] == "Mâcon" and o["dep_code"] == "71" and o["academie_code"] and abs(o["lat"] - 46.30) < 0.05
    with pytest.raises(ValidationError) as e:
        offers_rpc.publish_offer(actor=actor, offer_id=o["id"])
    assert "organisation.name" in e.value.errors and "grades" in e.value.errors
    with pytest.raises(ValidationError) as e:
        offers_rpc.update_offer(actor=actor, offer_id=o["id"], data={"step": "organisation", "organisation": {}})
    assert {"organisation.name", "organisation.siret", "organisation.contact_phone"} <= set(e.value.errors)
    offers_rpc.update_offer(actor=actor, offer_id=o["id"], data={"step": "organisation",
                                                                  "organisation": data["organisation"]})
    plan = {k: data[k] for k in ("grades", "school_year", "weeks", "seats", "hours", "lunch_break")}
    o = offers_rpc.update_offer(actor=actor, offer_id=o["id"], data={"step": "planning", **plan})
    assert o["completed_steps"] == ["place", "organisation", "planning"]
    [pub] = offers_rpc.publish_offer(actor=actor, offer_id=o["id"])["offers"]
    assert pub["state"] == "published" and pub["seats_left"] == 3
    full = offers_rpc.get_offer(offer_id=o["id"])
    assert full["siret"] == "44306184100047" and full["organisation"]["contact_phone"]
    assert full["hours_by_day"]["monday"] == {"start": "08:00", "end": "16:30"}
    # someone else cannot touch it
    with pytest.raises(NotFound):
        offers_rpc.unpublish_offer(actor=employer(), offer_id=o["id"])


def test_idempotent_creation_under_double_submit(offers_rpc, amqp_uri):
    actor = employer()
    key = str(uuid.uuid4())
    results = []

    def submit():
        with cluster_rpc(amqp_uri) as rpc:
            results.append(rpc.offers.create_offer(actor=actor, data=offer_data(), idempotency_key=key)["id"])

    pool = eventlet.GreenPool()
    for _ in range(5):
        pool.spawn(submit)
    pool.waitall()
    assert len(results) == 5 and len(set(results)) == 1
    assert offers_rpc.list_my_offers(actor=actor)["total"] == 1


def test_an_admin_reads_the_offers_of_an_employer(offers_rpc):
    actor = employer()
    made = offers_rpc.create_offer(actor=actor, data=offer_data(), idempotency_key=str(uuid.uuid4()))
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}
    assert [o["id"] for o in offers_rpc.list_my_offers(actor=admin, owner_id=actor["user_id"])["items"]] == [made["id"]]
    assert offers_rpc.list_my_offers(actor=admin)["total"] == 0
    with pytest.raises(Forbidden):                # another employer may not
        offers_rpc.list_my_offers(actor=employer(), owner_id=actor["user_id"])


def test_split_collège_and_lycée(offers_rpc):
    actor, pubs = publish_new(offers_rpc, grades=["quatrieme", "seconde"], seconde_period="week1")
    assert len(pubs) == 2
    college, lycee = pubs
    assert college["grades"] == ["quatrieme"] and lycee["grades"] == ["seconde"]
    assert college["linked_offer_id"] == lycee["id"] and lycee["linked_offer_id"] == college["id"]
    assert len(lycee["offer_weeks"]) == 1


def test_200_concurrent_reservations_on_3_seats(offers_rpc):
    _, [offer] = publish_new(offers_rpc)
    week = offer["offer_weeks"][0]
    replies = [offers_rpc.reserve_seat.call_async(offer_id=offer["id"], application_id=str(uuid.uuid4()),
                                                  week=week) for _ in range(200)]
    ok, full = 0, 0
    for r in replies:
        try:
            r.result()
            ok += 1
        except Conflict as exc:
            assert exc.code == "offer_full"
            full += 1
    assert (ok, full) == (3, 197)
    o = offers_rpc.get_offer(offer_id=offer["id"])
    assert o["seats_taken"] == 3 and o["seats_left"] == 0 and o["state"] == "need_to_be_updated"


def test_reserve_and_release_are_idempotent_and_seats_come_back(offers_rpc):
    actor, [offer] = publish_new(offers_rpc, seats=1)
    app_id = str(uuid.uuid4())
    week = offer["offer_weeks"][0]
    r1 = offers_rpc.reserve_seat(offer_id=offer["id"], application_id=app_id, week=week)
    r2 = offers_rpc.reserve_seat(offer_id=offer["id"], application_id=app_id, week=week)
    assert (r1["replayed"], r2["replayed"], r2["seats_left"]) == (False, True, 0)
    assert offers_rpc.get_offer(offer_id=offer["id"])["state"] == "need_to_be_updated"
    with pytest.raises(Conflict) as e:
        offers_rpc.publish_offer(actor=actor, offer_id=offer["id"])
    assert e.value.code == "republish_blocked" and "places" in e.value.detail
    with pytest.raises(ValidationError) as e:
        offers_rpc.update_offer(actor=actor, offer_id=offer["id"], data={"step": "planning", "seats": 0})
    assert "seats" in e.value.errors
    assert offers_rpc.release_seat(offer_id=offer["id"], application_id=app_id)["released"] is True
    assert offers_rpc.release_seat(offer_id=offer["id"], application_id=app_id)["released"] is False
    o = offers_rpc.get_offer(offer_id=offer["id"])
    assert o["state"] == "published" and o["seats_left"] == 1 and o["seats_taken"] == 0


def test_seats_cannot_be_lowered_below_taken(offers_rpc):
    actor, [offer] = publish_new(offers_rpc, seats=3)
    for _ in range(2):
        offers_rpc.reserve_seat(offer_id=offer["id"], application_id=str(uuid.uuid4()), week=offer["offer_weeks"][0])
    data = offer_data(seats=1)
    plan = {k: data[k] for k in ("grades", "school_year", "weeks", "seats", "hours", "lunch_break")}
    with pytest.raises(ValidationError) as e:
        offers_rpc.update_offer(actor=actor, offer_id=offer["id"], data={"step": "planning", **plan})
    assert e.value.errors["seats"] == ["Impossible de descendre à 1 places : 2 places sont déjà prises."]


def test_search_eligibility_ranking_and_relaxed(offers_rpc):
    tag = uuid.uuid4().hex[:8]
    _, [open_] = publish_new(offers_rpc, title=f"Luthier {tag}", address={"street": "1 rue A", "commune_insee": "71270"})
    _, [rep] = publish_new(offers_rpc, title=f"Luthier {tag} réservé", reserved_rep=True,
                           address={"street": "1 rue B", "commune_insee": "71270", "lat": 46.40, "lon": 4.83})
    non_rep = {"user_id": str(uuid.uuid4()), "role": "pupil", "grade": "troisieme", "school_uai": "0710001A",
               "school_rep": False, "school_qpv": False}
    rep_pupil = dict(non_rep, school_rep=True)
    res = offers_rpc.search(actor=non_rep, params={"commune": "71270", "q": f"luthier {tag}"})
    ids = [i["id"] for i in res["items"]]
    assert open_["id"] in ids and rep["id"] not in ids and res["relaxed"] is False
    res = offers_rpc.search(actor=rep_pupil, params={"commune": "71270", "q": f"luthier {tag}"})
    ids = [i["id"] for i in res["items"]]
    assert ids[:2] == [rep["id"], open_["id"]]
    assert res["items"][0]["distance_km"] > res["items"][1]["distance_km"]
    assert res["items"][0]["can_apply"] is True
    # a seconde pupil never sees a troisieme offer
    res = offers_rpc.search(actor=dict(non_rep, grade="seconde"), params={"commune": "71270", "q": f"luthier {tag}"})
    assert open_["id"] not in [i["id"] for i in res["items"]]
    # nothing matches the keyword: relaxed result without keyword and sector
    res = offers_rpc.search(actor=non_rep, params={"commune": "71270", "radius_km": "5",
                                                    "q": "zzzqqq" + tag, "sector": ["s26"]})
    assert res["relaxed"] is True and open_["id"] in [i["id"] for i in res["items"]]


def test_partner_api_rules_and_rate_limit(offers_rpc):
    op = {"user_id": str(uuid.uuid4()), "role": "operator"}
    data = offer_data()
    payload = {"remote_id": "r-1", "title": "Développeur web", "description": "Découverte du métier de développeur.",
               "employer_name": "ACME", "sector": "s31", "permalink": "https://partner.example/o/1",
               "address": {"street": "1 rue de Lyon", "postal_code": "71000"}, "grades": ["troisieme"],
               "weeks": data["weeks"], "seats": 2}
    o = offers_rpc.partner_create(actor=op, data=payload)
    assert o["state"] == "published" and o["remote_id"] == "r-1" and o["city"] == "Mâcon"
    with pytest.raises(Conflict):
        offers_rpc.partner_create(actor=op, data=payload)
    with pytest.raises(ValidationError) as e:
        offers_rpc.partner_create(actor=op, data={**payload, "remote_id": "r-2", "grades": ["troisieme", "seconde"]})
    assert "grades" in e.value.errors
    with pytest.raises(ValidationError) as e:
        offers_rpc.partner_create(actor=op, data={**payload, "remote_id": "r-3", "grades": ["seconde"]})
    assert "period" in e.value.errors
    o = offers_rpc.partner_update(actor=op, remote_id="r-1", data={"seats": 5})
    assert o["seats"] == 5
    assert offers_rpc.partner_list(actor=op)["total"] == 1
    assert offers_rpc.partner_delete(actor=op, remote_id="r-1")["state"] == "removed"
    # 7 calls so far; the 101st in the minute is refused
    for _ in range(93):
        offers_rpc.partner_list(actor=op)
    with pytest.raises(RateLimited) as e:
        offers_rpc.partner_list(actor=op)
    assert 1 <= e.value.retry_after <= 60
    # another operator is not affected
    offers_rpc.partner_list(actor={"user_id": str(uuid.uuid4()), "role": "operator"})


def test_concurrent_searches_share_small_pools(offers_rpc):
    """More concurrent searches than search connections (2 x 5): they queue, never deadlock."""
    publish_new(offers_rpc)
    pupil = {"user_id": str(uuid.uuid4()), "role": "pupil", "grade": "troisieme", "school_uai": "0710001A",
             "school_rep": True, "school_qpv": False}
    params = [{"commune": "71270"}, {"commune": "71270", "q": "boulanger"}, {"postal_code": "71000", "sector": "s26"}]
    replies = [offers_rpc.search.call_async(actor=pupil, params=params[i % 3]) for i in range(40)]
    results = [r.result() for r in replies]
    assert all(res["items"] for res in results)


def test_search_survives_its_connections_being_cut(offers_rpc, service_db):
    """A PostgreSQL restart (here: every search connection terminated) costs no failed search: the
    pool drops a dead connection and runs the read again on a new one."""
    import psycopg
    from offers.queries.search_pool import conninfo
    _, [offer] = publish_new(offers_rpc)
    pupil = {"user_id": str(uuid.uuid4()), "role": "pupil", "grade": "troisieme", "school_uai": "0710001A"}
    for params in ({"commune": "71270"}, {"commune": "71270", "q": "boulanger"}):
        assert offer["id"] in [i["id"] for i in offers_rpc.search(actor=pupil, params=params)["items"]]
    url = conninfo(service_db("offers", reference=True))
    with psycopg.connect(url, autocommit=True) as admin:
        cut = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                            "AND application_name = '' AND state = 'idle'").fetchone()[0]
    assert cut >= 2
    for params in ({"commune": "71270"}, {"commune": "71270", "q": "boulanger"}):
        assert offer["id"] in [i["id"] for i in offers_rpc.search(actor=pupil, params=params)["items"]]


def test_search_pool_replaces_all_its_dead_connections_at_once(service_db):
    """Regression (CI run of stop 9): with several idle connections all killed by a restart, the
    retry took the next dead one from the pool and the search failed. The retry now opens a new
    connection and drops the other idle ones."""
    import psycopg
    from offers.queries.search_pool import SearchPool, conninfo
    url = conninfo(service_db("offers", reference=True))
    pool = SearchPool(url, size=4)
    try:
        green = eventlet.GreenPool(4)
        pids = set(green.imap(lambda _: pool.fetch("SELECT pg_backend_pid() FROM pg_sleep(0.2)", {})[0][0],
                              range(4)))
        assert len(pids) == 4 and len(pool._free) == 4
        with psycopg.connect(url, autocommit=True) as admin:
            cut = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM unnest(%s::int[]) AS pid",
                                [list(pids)]).fetchone()[0]
        assert cut == 4
        [(pid,)] = pool.fetch("SELECT pg_backend_pid()", {})
        assert pid not in pids and len(pool._free) == 1
    finally:
        pool.close()


def test_events_leave_through_the_outbox_with_identifiers_only(offers_rpc, amqp_uri):
    import json
    import time

    import jsonschema
    import pika

    from offers.events import EVENTS

    conn = pika.BlockingConnection(pika.URLParameters(amqp_uri.replace("pyamqp://", "amqp://")))
    ch = conn.channel()
    ch.exchange_declare("offers.events", exchange_type="topic", durable=True)
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q, "offers.events", "offer.*")
    try:
        actor, [offer] = publish_new(offers_rpc, seats=1)
        app_id = str(uuid.uuid4())
        offers_rpc.reserve_seat(offer_id=offer["id"], application_id=app_id, week=offer["offer_weeks"][0])
        offers_rpc.release_seat(offer_id=offer["id"], application_id=app_id)
        offers_rpc.unpublish_offer(actor=actor, offer_id=offer["id"])
        offers_rpc.remove_offer(actor=actor, offer_id=offer["id"])
        got, deadline = [], time.monotonic() + 15
        while len(got) < 5 and time.monotonic() < deadline:
            method, props, body = ch.basic_get(q, auto_ack=True)
            if method is None:
                time.sleep(0.05)
                continue
            env = json.loads(body)
            if env["data"].get("offer_id") == offer["id"]:
                assert method.routing_key == env["type"] and env["producer"] == "offers"
                jsonschema.validate(env["data"], EVENTS[env["type"]]["data_schema"])
                got.append(env)
    finally:
        conn.close()
    assert [e["type"] for e in got] == ["offer.published", "offer.full", "offer.published", "offer.unpublished",
                                        "offer.removed"]
    assert got[2]["data"]["republished"] is True and got[3]["data"]["reason"] == "employer"


def test_admin_calendar_override_moves_seconde_offers(offers_rpc):
    from offers.domain import calendar as cal
    from testkit.offers import today
    year = cal.offerable_school_years(today())[1]  # next year: other tests use the running one
    actor = employer()
    o = offers_rpc.create_offer(actor=actor, data=offer_data(grades=["seconde"], school_year=year, weeks=[],
                                                             seconde_period="week2"))
    before = offers_rpc.get_offer(offer_id=o["id"])["offer_weeks"]
    assert before == offers_rpc.get_calendar(school_year=year)["seconde"]["week2"]["weeks"]
    start = int(year[5:])
    with pytest.raises(Forbidden):   # an employer may not change the calendar
        offers_rpc.set_calendar_override(actor=actor, school_year=year, dates={"seconde_week1_start": f"{start}-06-07"})
    monday = cal.week_monday(f"{start}-W23").isoformat()
    view = offers_rpc.set_calendar_override(actor={"user_id": str(uuid.uuid4()), "role": "admin"},
                                            school_year=year, dates={"seconde_week1_start": monday})
    assert view["overridden"] is True and view["seconde"]["week1"]["start"] == monday
    after = offers_rpc.get_offer(offer_id=o["id"])
    assert after["offer_weeks"] == [f"{start}-W24"] and after["first_day"] == cal.week_monday(f"{start}-W24").isoformat()


def test_school_holidays_refuse_weeks_off_everywhere_and_admins_may_override(offers_rpc):
    """Issue 13 item 11 with the real service: a week of holidays in every zone (Christmas) is refused at
    creation, its weeks are not 4e/3e weeks; an admin's holiday weeks replace the official ones for a year."""
    from offers.domain import calendar as cal
    from testkit.offers import today
    year = cal.offerable_school_years(today())[1]  # next year: other tests use the running one
    start = int(year[:4])
    christmas = cal.week_key(dt.date(start, 12, 29))
    assert cal.holiday_zones(christmas) == ("A", "B", "C")
    actor = employer()
    with pytest.raises(ValidationError) as e:
        offers_rpc.create_offer(actor=actor, data=offer_data(school_year=year, weeks=[christmas]))
    assert "toutes les zones" in e.value.errors["weeks"][0] and christmas in e.value.errors["weeks"][0]
    view = offers_rpc.get_calendar(school_year=year)
    assert christmas not in view["college"]["weeks"] and view["college"]["holiday_calendar"] == "official"
    # an admin closes one more week in every zone for that year (official calendar replaced)
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}
    week = view["college"]["weeks"][3]
    try:
        with pytest.raises(ValidationError) as e:
            offers_rpc.set_calendar_override(actor=admin, school_year=year, dates={"holiday_weeks": {"D": []}})
        assert "holiday_weeks" in e.value.errors
        over = offers_rpc.set_calendar_override(actor=admin, school_year=year,
                                                dates={"holiday_weeks": {z: [week] for z in "ABC"}})
        assert over["college"]["holiday_calendar"] == "override" and week not in over["college"]["weeks"]
        with pytest.raises(ValidationError) as e:
            offers_rpc.create_offer(actor=actor, data=offer_data(school_year=year, weeks=[week]))
        assert "toutes les zones" in e.value.errors["weeks"][0]
    finally:
        back = offers_rpc.set_calendar_override(actor=admin, school_year=year, dates={"holiday_weeks": None})
    assert back["college"]["holiday_calendar"] == "official" and week in back["college"]["weeks"]


def test_demo_offers_are_refused_unless_the_process_runs_the_demo(offers_rpc, monkeypatch):
    monkeypatch.delenv("STAGES_DEMO", raising=False)
    employer_id = str(uuid.uuid4())
    with pytest.raises(Forbidden) as e:
        offers_rpc.seed_demo_offers(employer_id=employer_id, count=2)
    assert e.value.code == "demo_disabled" and offers_rpc.list_my_offers(actor={"user_id": employer_id,
                                                                                "role": "employer"})["total"] == 0
    monkeypatch.setenv("STAGES_DEMO", "1")
    ids = offers_rpc.seed_demo_offers(employer_id=employer_id, count=2)["offer_ids"]
    assert offers_rpc.seed_demo_offers(employer_id=employer_id, count=2)["offer_ids"] == ids
    assert [offers_rpc.get_offer(offer_id=i)["state"] for i in ids] == ["published", "published"]
