"""Issue 21, the opening calendar, across the real suite through the gateway: an admin sets a year's dates
(the dates move, not the clock); publication before the employers' date is refused with the date in
French; a pupil sees the application date instead of « Postuler » and an early application is refused by
the applications service with a clear message, while the search works; the search before the pupils'
browsing date answers no offers and says when; a non-admin cannot set the dates. The year's calendar is put
back to « no restriction » afterwards (other modules share the suite)."""
import datetime as dt
import uuid

import pytest

from common import opening as O
from testkit import openapi as openapi_check
from testkit.applications import application_form, suite_employer, suite_offer, suite_pupils
from testkit.pytest_plugin import ApiClient
from testkit.tokens import admin_token

pytestmark = pytest.mark.suite

GRADES = ("quatrieme", "troisieme", "seconde")
OPEN = {g: {"publish_from": None, "browse_from": None, "apply_from": None} for g in GRADES}


def moment(**delta) -> str:
    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(**delta)).isoformat()


@pytest.fixture(scope="module")
def world(suite):
    api = ApiClient(suite.url)
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        pupil = suite_pupils(rpc, 1)[0]
        draft = suite_offer(rpc, emp["user_id"], seats=2, publish=False)
        demo = rpc.identity.seed_demo()
    admin = admin_token(api, demo)
    years = {draft["school_year"]}
    yield {"emp": emp, "pupil": pupil, "draft": draft, "admin": admin, "years": years}
    for year in years:   # back to no restriction
        r = api.put(f"/api/v1/admin/calendar/{year}", json={"grades": OPEN}, token=admin)
        assert r.status_code == 200 and not any(v for d in r.json()["grades"].values() for v in d.values())
    api.http.close()


def set_dates(api, world, year, **troisieme):
    world["years"].add(year)
    grades = {**OPEN, "troisieme": {**OPEN["troisieme"], **troisieme}}
    r = api.put(f"/api/v1/admin/calendar/{year}", json={"grades": grades}, token=world["admin"])
    assert r.status_code == 200, r.text
    return r.json()


def test_early_publication_and_early_application_are_refused_with_the_date(api, world):
    emp, pupil, offer = world["emp"], world["pupil"], world["draft"]
    year = offer["school_year"]
    opens = moment(days=2)
    view = set_dates(api, world, year, publish_from=opens)
    assert view["set"] is True and view["open"]["troisieme"]["publish"] is False
    assert view["open"]["seconde"] == {"publish": True, "browse": True, "apply": True}

    # the public calendar, for the front end
    r = api.get("/api/v1/calendar", params={"school_year": year})
    assert r.status_code == 200 and r.json()["grades"]["troisieme"]["publish_from"] == \
        dt.datetime.fromisoformat(opens).isoformat()
    assert r.json()["proposed"]["seconde"]["publish_from"]
    doc = api.get("/openapi.json").json()
    assert openapi_check.answer_errors(doc, "GET", "/api/v1/calendar", 200, r.json()) == []
    assert openapi_check.answer_errors(doc, "PUT", "/api/v1/admin/calendar/{school_year}", 200, view) == []

    # publication before the employers' date: 403 problem+json, the date in French
    r = api.post(f"/api/v1/offers/{offer['id']}/publish", token=emp["token"])
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json", r.text
    assert r.json()["code"] == "publication_not_open"
    assert r.json()["detail"] == O.publish_message(opens)
    assert r.json()["detail"].startswith("Les employeurs pourront publier leurs offres à partir du ")

    # the date has come (the dates move, not the clock); applications open in two days
    apply_at = moment(days=2)
    set_dates(api, world, year, publish_from=moment(minutes=-1), apply_from=apply_at)
    r = api.post(f"/api/v1/offers/{offer['id']}/publish", token=emp["token"])
    assert r.status_code == 200, r.text

    # the pupil finds the offer, sees the date instead of « Postuler »
    r = api.get("/api/v1/offers", params={"commune": "71270"}, token=pupil["token"])
    assert r.status_code == 200 and "closed" not in r.json()
    [card] = [i for i in r.json()["items"] if i["id"] == offer["id"]]
    assert card["can_apply"] is False
    r = api.get(f"/api/v1/offers/{offer['id']}", token=pupil["token"])
    assert r.status_code == 200 and r.json()["can_apply"] is False
    assert r.json()["applications_open"]["message"] == O.apply_message("troisieme", apply_at)
    assert openapi_check.answer_errors(doc, "GET", "/api/v1/offers/{offer_id}", 200, r.json()) == []

    # an early application is refused by the applications service, with when it opens
    path = f"/api/v1/offers/{offer['id']}/applications"
    r = api.post(path, json=application_form(offer["offer_weeks"][0]), token=pupil["token"],
                 headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json", r.text
    body = r.json()
    assert body["code"] == "applications_not_open"
    assert body["detail"].startswith("Les candidatures des élèves de 3e ouvriront le ")
    assert body["detail"] == O.apply_message("troisieme", apply_at)

    # once the date has come, the same application goes through
    set_dates(api, world, year, apply_from=moment(minutes=-1))
    r = api.post(path, json=application_form(offer["offer_weeks"][0]), token=pupil["token"])
    assert r.status_code == 201, r.text


def test_search_before_the_browsing_date_says_when_and_staff_still_see(api, world):
    year = api.get("/api/v1/calendar").json()["school_year"]   # browsing follows the running school year
    browse_at = moment(days=3)
    set_dates(api, world, year, browse_from=browse_at, apply_from=moment(days=4))
    r = api.get("/api/v1/offers", params={"commune": "71270"}, token=world["pupil"]["token"])
    assert r.status_code == 200
    assert r.json()["items"] == [] and r.json()["closed"]["code"] == "browsing_not_open"
    assert r.json()["closed"]["message"] == O.browse_message("troisieme", browse_at)
    doc = api.get("/openapi.json").json()
    assert openapi_check.answer_errors(doc, "GET", "/api/v1/offers", 200, r.json()) == []
    # employers are not subject to browsing dates
    r = api.get("/api/v1/offers", params={"commune": "71270"}, token=world["emp"]["token"])
    assert r.status_code == 200 and "closed" not in r.json()


def test_only_admins_set_the_calendar_and_bad_dates_are_refused_field_by_field(api, world):
    year = world["draft"]["school_year"]
    r = api.put(f"/api/v1/admin/calendar/{year}", json={"grades": OPEN}, token=world["emp"]["token"])
    assert r.status_code == 403
    r = api.put(f"/api/v1/admin/calendar/{year}", json={"grades": OPEN})
    assert r.status_code == 401
    r = api.put(f"/api/v1/admin/calendar/{year}", token=world["admin"],
                json={"grades": {"seconde": {"browse_from": "2027-03-01T00:00", "apply_from": "demain"},
                                 "troisieme": {"browse_from": "2027-03-01T00:00", "apply_from": "2027-02-01T00:00"}}})
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    assert set(r.json()["errors"]) == {"grades.seconde.apply_from", "grades.troisieme.apply_from"}
    assert r.json()["errors"]["grades.troisieme.apply_from"] == [
        "Les candidatures ne peuvent pas ouvrir avant la consultation des offres."]
    r = api.put("/api/v1/admin/calendar/2026", json={"grades": OPEN}, token=world["admin"])
    assert r.status_code in (404, 422)
