"""The offers use cases with in-memory fakes (testkit.offers.fakes): no broker, no database. The
integration tests keep proving the SQL (tests/integration)."""
import datetime as dt
import uuid

import pytest

from common.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationError
from offers.domain import ranking
from offers.domain import search as sd
from offers.use_cases import demo, drafting, partner, publication, reading, reference, search, seats
from testkit.offers import TODAY, employer, offer_data
from testkit.offers.fakes import FakeOffers, FakeSearchReader, FakeUnitOfWork

NOW = dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.timezone.utc)


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeOffers())


def data(**kw):
    return offer_data(day=TODAY, **kw)


def published(uow, actor=None, **kw):
    actor = actor or employer()
    made = drafting.create_offer(uow, actor, data(**kw), None, NOW)
    [offer] = publication.publish_offer(uow, actor, made["id"], NOW)["offers"]
    return actor, offer


def test_three_steps_make_a_draft_that_publishes_once_complete(uow):
    actor = employer()
    d = data()
    place = {k: d[k] for k in ("title", "description", "address")}
    o = drafting.create_offer(uow, actor, {"step": "place", **place}, None, NOW)
    assert o["state"] == "draft" and o["completed_steps"] == ["place"] and o["city"] == "Mâcon"
    with pytest.raises(ValidationError) as e:
        publication.publish_offer(uow, actor, o["id"], NOW)
    assert "organisation.name" in e.value.errors and "grades" in e.value.errors
    drafting.update_offer(uow, actor, o["id"], {"step": "organisation", "organisation": d["organisation"]}, NOW)
    plan = {k: d[k] for k in ("grades", "school_year", "weeks", "seats", "hours", "lunch_break")}
    o = drafting.update_offer(uow, actor, o["id"], {"step": "planning", **plan}, NOW)
    assert o["completed_steps"] == ["place", "organisation", "planning"] and uow.events == []  # drafts are quiet
    [pub] = publication.publish_offer(uow, actor, o["id"], NOW)["offers"]
    assert pub["state"] == "published" and pub["seats_left"] == 3 and pub["offer_weeks"] == d["weeks"]
    assert uow.types() == ["offer.published"] and uow.events[0][1]["republished"] is False
    with pytest.raises(NotFound):   # someone else's offer is not revealed
        publication.unpublish_offer(uow, employer(), o["id"], NOW)


def test_creation_is_idempotent_per_key_and_reserved_to_employers(uow):
    actor = employer()
    first = drafting.create_offer(uow, actor, data(), "key-1", NOW)
    assert drafting.create_offer(uow, actor, data(title="Autre"), "key-1", NOW)["id"] == first["id"]
    assert len(uow.offers.rows) == 1
    with pytest.raises(Forbidden):
        drafting.create_offer(uow, {"user_id": str(uuid.uuid4()), "role": "pupil"}, data(), None, NOW)
    with pytest.raises(ValidationError) as e:
        drafting.create_offer(uow, actor, {**data(), "colour": "bleu"}, None, NOW)
    assert e.value.errors == {"colour": ["Champ inconnu."]}


def test_a_college_and_lycee_offer_is_published_as_two_linked_offers(uow):
    actor = employer()
    made = drafting.create_offer(uow, actor, data(grades=["quatrieme", "seconde"], seconde_period="week1"), None, NOW)
    college, lycee = publication.publish_offer(uow, actor, made["id"], NOW)["offers"]
    assert college["grades"] == ["quatrieme"] and lycee["grades"] == ["seconde"]
    assert lycee["linked_offer_id"] == college["id"] and len(lycee["offer_weeks"]) == 1
    assert [d["offer_id"] for t, d in uow.events] == [college["id"], lycee["id"]]


def test_seats_are_taken_once_per_application_and_come_back(uow):
    _, offer = published(uow, seats=2)
    week = offer["offer_weeks"][0]
    a1, a2, a3 = (str(uuid.uuid4()) for _ in range(3))
    assert seats.reserve_seat(uow, offer["id"], a1, week, NOW)["seats_left"] == 1
    assert uow.offers.locked[-1] == offer["id"]          # the offer row is locked before deciding
    again = seats.reserve_seat(uow, offer["id"], a1, None, NOW)
    assert again["replayed"] is True and again["week"] == week and again["seats_left"] == 1
    assert seats.reserve_seat(uow, offer["id"], a2, None, NOW)["seats_left"] == 0   # default: first week
    assert reading.get_offer(uow, offer["id"])["state"] == "need_to_be_updated"
    assert uow.types()[-1] == "offer.full"
    with pytest.raises(Conflict) as e:
        seats.reserve_seat(uow, offer["id"], a3, week, NOW)
    assert e.value.code == "offer_full"
    assert seats.release_seat(uow, offer["id"], a2, NOW)["released"] is True
    assert reading.get_offer(uow, offer["id"])["state"] == "published"
    assert uow.events[-1] == ("offer.published", {**uow.events[-1][1], "republished": True, "seats_left": 1})
    assert seats.release_seat(uow, offer["id"], a2, NOW) == {"offer_id": offer["id"], "application_id": a2,
                                                              "released": False, "seats_left": 1}


def test_a_seat_needs_a_published_offer_and_one_of_its_weeks(uow):
    actor, offer = published(uow)
    with pytest.raises(ValidationError) as e:
        seats.reserve_seat(uow, offer["id"], str(uuid.uuid4()), "2030-W10", NOW)
    assert list(e.value.errors) == ["week"]
    with pytest.raises(ValidationError):
        seats.reserve_seat(uow, offer["id"], "not-an-id", None, NOW)
    publication.unpublish_offer(uow, actor, offer["id"], NOW)
    with pytest.raises(Conflict) as e:
        seats.reserve_seat(uow, offer["id"], str(uuid.uuid4()), None, NOW)
    assert e.value.code == "offer_not_available"


def test_a_live_offer_that_changes_says_which_fields(uow):
    actor, offer = published(uow, seats=2)
    seats.reserve_seat(uow, offer["id"], str(uuid.uuid4()), None, NOW)
    seats.reserve_seat(uow, offer["id"], str(uuid.uuid4()), None, NOW)
    d = data(seats=1)
    plan = {k: d[k] for k in ("grades", "school_year", "weeks", "seats", "hours", "lunch_break")}
    with pytest.raises(ValidationError) as e:
        drafting.update_offer(uow, actor, offer["id"], {"step": "planning", **plan}, NOW)
    assert e.value.errors["seats"] == ["Impossible de descendre à 1 places : 2 places sont déjà prises."]
    o = drafting.update_offer(uow, actor, offer["id"], {"step": "planning", **dict(plan, seats=3)}, NOW)
    assert o["state"] == "published"                           # a seat again: back in the search
    assert uow.types()[-2:] == ["offer.updated", "offer.published"]
    assert uow.events[-2][1]["fields"] == ["seats"] and uow.events[-1][1]["republished"] is True


def test_unpublish_remove_and_duplicate(uow):
    actor, offer = published(uow)
    assert publication.unpublish_offer(uow, actor, offer["id"], NOW)["state"] == "unpublished"
    with pytest.raises(Conflict):
        publication.unpublish_offer(uow, actor, offer["id"], NOW)
    copy = drafting.duplicate_offer(uow, actor, offer["id"], {"keep_place": False}, "dup-1", NOW)
    assert copy["state"] == "draft" and copy["weeks"] == [] and copy["city"] is None
    assert copy["completed_steps"] == ["organisation"]
    assert drafting.duplicate_offer(uow, actor, offer["id"], None, "dup-1", NOW)["id"] == copy["id"]
    assert publication.remove_offer(uow, actor, offer["id"], NOW)["state"] == "removed"
    assert publication.remove_offer(uow, actor, offer["id"], NOW)["state"] == "removed"   # idempotent
    assert uow.types() == ["offer.published", "offer.unpublished", "offer.removed"]


def test_past_offers_leave_the_search(uow):
    _, offer = published(uow)
    assert publication.move_past_offers(uow, NOW) == []
    later = NOW + dt.timedelta(days=400)
    assert publication.move_past_offers(uow, later) == [offer["id"]]
    assert uow.events[-1] == ("offer.unpublished", {"offer_id": offer["id"], "state": "need_to_be_updated",
                                                    "reason": "weeks_past"})


def test_who_sees_a_reserved_offer(uow):
    _, offer = published(uow, reserved_rep=True)
    pupil = {"user_id": str(uuid.uuid4()), "role": "pupil", "grade": "troisieme", "school_uai": "0710012A"}
    with pytest.raises(NotFound):
        reading.view_offer(uow, pupil, offer["id"], NOW)
    seen = reading.view_offer(uow, dict(pupil, school_rep=True), offer["id"], NOW)
    assert seen["can_apply"] is True and "contact_phone" not in seen["organisation"]
    with pytest.raises(NotFound):
        reading.view_offer(uow, None, offer["id"], NOW)
    assert reading.view_offer(uow, {"role": "statistician"}, offer["id"], NOW)["can_apply"] is False
    draft = drafting.create_offer(uow, employer(), data(), None, NOW)
    with pytest.raises(NotFound):
        reading.view_offer(uow, dict(pupil, school_rep=True), draft["id"], NOW)


def test_lists_and_personal_data(uow):
    actor, offer = published(uow)
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}
    assert [o["id"] for o in reading.list_my_offers(uow, admin, None, 1, actor["user_id"])["items"]] == [
        offer["id"]]
    with pytest.raises(Forbidden):
        reading.list_my_offers(uow, employer(), None, 1, actor["user_id"])
    with pytest.raises(ValidationError):
        reading.list_my_offers(uow, actor, "lost", 1)
    [item] = reading.export_personal_data(uow, actor)["offers"]
    assert item["owner_id"] == actor["user_id"] and item["created_at"] == NOW.isoformat()


def test_the_partner_api(uow):
    op = {"user_id": str(uuid.uuid4()), "role": "operator"}
    payload = {"remote_id": "r-1", "title": "Développeur web", "description": "Découverte du métier de développeur.",
               "employer_name": "ACME", "sector": "s31", "permalink": "https://partner.example/o/1",
               "address": {"street": "1 rue de Lyon", "postal_code": "71000"}, "grades": ["troisieme"],
               "weeks": data()["weeks"], "seats": 2}
    o = partner.partner_create(uow, op, payload, NOW)
    assert o["state"] == "published" and o["city"] == "Mâcon" and uow.types() == ["offer.published"]
    with pytest.raises(Conflict) as e:
        partner.partner_create(uow, op, payload, NOW)
    assert e.value.code == "duplicate_remote_id"
    assert partner.partner_update(uow, op, "r-1", {"seats": 5}, NOW)["seats"] == 5
    assert uow.events[-1][1]["fields"] == ["seats"]
    assert partner.partner_list(uow, op, 1)["total"] == 1
    assert partner.partner_delete(uow, op, "r-1", NOW)["state"] == "removed"
    with pytest.raises(NotFound):
        partner.partner_update(uow, op, "r-1", {"seats": 1}, NOW)
    with pytest.raises(Forbidden):
        partner.partner_hit(uow, employer(), NOW)


def test_the_partner_budget_is_100_requests_a_minute(uow):
    op = {"user_id": str(uuid.uuid4()), "role": "operator"}
    for i in range(100):
        partner.partner_hit(uow, op, NOW + dt.timedelta(milliseconds=10 * i))
    with pytest.raises(RateLimited) as e:
        partner.partner_hit(uow, op, NOW + dt.timedelta(seconds=30))
    assert e.value.retry_after == 30
    partner.partner_hit(uow, op, NOW + dt.timedelta(seconds=61))   # the window slid
    partner.partner_hit(uow, {"user_id": str(uuid.uuid4()), "role": "operator"}, NOW)


def test_search_pages_put_rep_qpv_offers_first(uow):
    def row(i, km, **flags):
        return {"id": f"00000000-0000-0000-0000-{i:012d}", "title": "t", "grades": ["troisieme"], "weeks": [],
                "first_day": None, "last_day": None, "reserved_school_uais": [], "reserved_rep": False,
                "reserved_qpv": False, "distance_km": km, "published_at": NOW, **flags}
    rows = [row(1, 1.0), row(2, 9.0, reserved_rep=True), row(3, 2.0), row(4, 7.0, reserved_qpv=True),
            row(5, 3.0, reserved_rep=True), row(6, 4.0), row(7, 5.0, reserved_rep=True, reserved_qpv=True)]
    reader = FakeSearchReader(rows)
    actor = {"role": "pupil", "grade": "troisieme", "school_rep": True}
    viewer = sd.viewer_from_actor(actor)
    p = dict(sd.parse_search_params({"commune": "71270"}, TODAY), page_size=2)
    got, page = [], 1
    while True:
        items, more = search.page(reader, dict(p, page=page), viewer, "troisieme", (46.3, 4.8), TODAY)
        got += items
        if not more:
            break
        page += 1
    visible = [r for r in rows if sd.visible_to(r, viewer)]
    assert [c["id"] for c in got] == [r["id"] for r in ranking.rank(visible, viewer)]
    assert [c["priority"] for c in got] == [True, True, True, False, False, False]
    assert reader.statements[0] == "both halves" and "page priority=True" in reader.statements
    result = search.search(reader, actor, {"commune": "71270"}, NOW)
    assert result["centre"]["source"] == "commune" and result["grade"] == "troisieme"
    assert all(c["can_apply"] for c in result["items"])


def test_calendar_override_is_for_admins_and_demo_offers_for_demos(uow):
    with pytest.raises(Forbidden):
        reference.set_calendar_override(uow, employer(), "2026-2027", {}, NOW)
    view = reference.set_calendar_override(uow, {"user_id": str(uuid.uuid4()), "role": "admin"}, "2026-2027",
                                           {"college_end": "2027-06-04"}, NOW)
    assert view["overridden"] is True
    with pytest.raises(Forbidden) as e:
        demo.seed_demo_offers(uow, str(uuid.uuid4()), 2, NOW, enabled=False)
    assert e.value.code == "demo_disabled" and uow.offers.rows == {}
    owner = str(uuid.uuid4())
    ids = demo.seed_demo_offers(uow, owner, 5, NOW, enabled=True)
    assert demo.seed_demo_offers(uow, owner, 5, NOW, enabled=True) == ids
    assert uow.types() == ["offer.published"] * 5
