"""Reports and moderation on real PostgreSQL and RabbitMQ: one open report per person (the unique index), the
hold that hides an offer from the search (the search SQL and ``domain.moderation.hidden_from_search`` agree on
every index path), the queue, decisions and their history."""
import uuid

import pytest
from sqlalchemy import create_engine, select

from common.errors import Forbidden, ValidationError
from common.rpc import cluster_rpc
from offers.domain import moderation as mod
from offers.models import offers as offers_table
from testkit.offers import employer, offer_data

ADMIN = {"user_id": str(uuid.uuid4()), "role": "admin"}
PATHS = {"knn": {"commune": "71270", "radius_km": "30"},
         "gin": {"commune": "71270", "radius_km": "30", "q": "{tag}"},
         "no centre": {"q": "{tag}"}}


@pytest.fixture
def offers_rpc(service_db, start_service, amqp_uri):
    service_db("offers", reference=True)
    from offers.service import OffersService
    start_service(OffersService)
    with cluster_rpc(amqp_uri) as rpc:
        yield rpc.offers


@pytest.fixture
def db_rows(service_db):
    engine = create_engine(service_db("offers", reference=True))

    def read(ids):
        with engine.connect() as c:
            return {r["id"]: dict(r) for r in c.execute(select(offers_table).where(offers_table.c.id.in_(ids)))
                    .mappings()}
    yield read
    engine.dispose()


def pupil():
    return {"user_id": str(uuid.uuid4()), "role": "pupil", "grade": "troisieme", "school_uai": "0710001A"}


def publish_new(rpc, tag, dlat):
    actor = employer()
    o = rpc.create_offer(actor=actor, data=offer_data(title=f"Ébéniste {tag}", address={
        "street": "1 rue Carnot", "commune_insee": "71270", "lat": 46.3069 + dlat, "lon": 4.8287}))
    return actor, rpc.publish_offer(actor=actor, offer_id=o["id"])["offers"][0]


def found(rpc, tag, path):
    params = {k: v.format(tag=tag) for k, v in PATHS[path].items()}
    return {i["id"] for i in rpc.search(actor=pupil(), params=params)["items"]}


def test_search_sql_and_domain_agree_on_reported_offers(offers_rpc, db_rows):
    tag = "mod" + uuid.uuid4().hex[:6]
    made = [publish_new(offers_rpc, tag, 0.01 * (i + 1))[1]["id"] for i in range(4)]
    # 0, 1, 2 and 3 distinct reporters (one of them reporting twice)
    for n, offer_id in enumerate(made):
        for _ in range(n):
            offers_rpc.report_offer(actor=pupil(), offer_id=offer_id, data={"reason": "not_observation"})
    twice = pupil()
    for _ in range(2):
        offers_rpc.report_offer(actor=twice, offer_id=made[1], data={"reason": "other", "text": "Doublon ?"})
    rows = db_rows(made)
    hidden = {i for i in made if mod.hidden_from_search(rows[i])}
    assert hidden == {made[1], made[2], made[3]}   # 2 distinct reporters for made[1]: the pupil and ``twice``
    for path in PATHS:
        assert found(offers_rpc, tag, path) == set(made) - hidden, path
    # keep: visible again on every path; the queue empties
    queue = offers_rpc.moderation_queue(actor=ADMIN, page=1)
    mine = [i for i in queue["items"] if i["offer_id"] in made]
    assert [i["offer_id"] for i in mine] == made[1:]          # oldest first report first
    assert mine[0]["counts"]["other"] == 1 and mine[0]["texts"][0]["text"] == "Doublon ?"
    for offer_id in made[1:]:
        offers_rpc.moderate_offer(actor=ADMIN, offer_id=offer_id, data={"decision": "keep"})
    rows = db_rows(made)
    assert not any(mod.hidden_from_search(r) for r in rows.values())
    for path in PATHS:
        assert found(offers_rpc, tag, path) == set(made), path
    assert not [i for i in offers_rpc.moderation_queue(actor=ADMIN, page=1)["items"] if i["offer_id"] in made]


def test_visitors_are_deduplicated_and_bad_input_refused(offers_rpc):
    _, offer = publish_new(offers_rpc, "v" + uuid.uuid4().hex[:6], 0.02)
    first = offers_rpc.report_offer(actor={}, offer_id=offer["id"], data={"reason": "discriminatory"},
                                    client_hash="c" * 64)
    again = offers_rpc.report_offer(actor={}, offer_id=offer["id"], data={"reason": "discriminatory"},
                                    client_hash="c" * 64)
    assert first["created"] is True and again["created"] is False
    with pytest.raises(ValidationError) as e:
        offers_rpc.report_offer(actor={}, offer_id=offer["id"], data={"reason": "other"}, client_hash="d" * 64)
    assert e.value.errors == {"text": [mod.MSG_TEXT_REQUIRED]}
    with pytest.raises(Forbidden):
        offers_rpc.moderate_offer(actor=pupil(), offer_id=offer["id"], data={"decision": "keep"})
    with pytest.raises(ValidationError) as e:
        offers_rpc.moderate_offer(actor=ADMIN, offer_id=offer["id"], data={"decision": "remove"})
    assert e.value.errors == {"reason": [mod.MSG_DECISION_REASON]}


def test_decisions_are_recorded_and_shown_to_the_employer(offers_rpc):
    owner, offer = publish_new(offers_rpc, "h" + uuid.uuid4().hex[:6], 0.03)
    key = str(uuid.uuid4())
    d1 = offers_rpc.moderate_offer(actor=ADMIN, offer_id=offer["id"], idempotency_key=key,
                                   data={"decision": "request_changes", "reason": "Décrivez les activités."})
    assert offers_rpc.moderate_offer(actor=ADMIN, offer_id=offer["id"], idempotency_key=key,
                                     data={"decision": "request_changes", "reason": "x"})["id"] == d1["id"]
    assert offers_rpc.get_offer(offer_id=offer["id"])["state"] == "unpublished"
    history = offers_rpc.moderation_history(actor=owner, offer_id=offer["id"])
    assert history["status"] == "changes_requested"
    assert [(h["decision"], h["reason"], h["author_id"]) for h in history["items"]] == [
        ("request_changes", "Décrivez les activités.", None)]
    assert offers_rpc.get_offer(offer_id=offer["id"])["moderation"]["id"] == d1["id"]
    offers_rpc.update_offer(actor=owner, offer_id=offer["id"], data={"step": "place", "title": "Ébéniste (3e)"})
    assert offers_rpc.publish_offer(actor=owner, offer_id=offer["id"])["offers"][0]["state"] == "published"
    offers_rpc.moderate_offer(actor=ADMIN, offer_id=offer["id"], data={"decision": "remove", "reason": "Doublon."})
    assert offers_rpc.get_offer(offer_id=offer["id"])["state"] == "removed"
    assert [h["decision"] for h in offers_rpc.moderation_history(actor=ADMIN, offer_id=offer["id"])["items"]] == [
        "request_changes", "remove"]


def test_concurrent_reports_count_each_person_once(offers_rpc, amqp_uri, db_rows):
    import eventlet
    _, offer = publish_new(offers_rpc, "c" + uuid.uuid4().hex[:6], 0.04)
    same = pupil()
    people = [same, same, same, pupil(), pupil()]
    created = []

    def send(who):
        with cluster_rpc(amqp_uri) as rpc:
            created.append(rpc.offers.report_offer(actor=who, offer_id=offer["id"],
                                                   data={"reason": "dangerous_for_minor"})["created"])

    pool = eventlet.GreenPool()
    for who in people:
        pool.spawn(send, who)
    pool.waitall()
    assert sorted(created) == [False, False, True, True, True]
    assert mod.hidden_from_search(db_rows([offer["id"]])[offer["id"]])
    [item] = [i for i in offers_rpc.moderation_queue(actor=ADMIN, page=1)["items"] if i["offer_id"] == offer["id"]]
    assert item["reports"] == 3 and item["counts"]["dangerous_for_minor"] == 3
