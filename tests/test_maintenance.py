"""Issue 21, the maintenance mode, across the real suite through the gateway: an admin turns it on with a
French message and an end time; writes answer 503 problem+json (code maintenance, the message, Retry-After)
while reads keep working, and an admin can still sign in and turn it off; off again, writes work; a
non-admin cannot switch it (403). Maintenance is turned off afterwards whatever happens."""
import datetime as dt
import time

import pytest

from testkit import openapi as openapi_check
from testkit.applications import suite_employer
from testkit.offers import offer_data
from testkit.pytest_plugin import ApiClient
from testkit.tokens import admin_token

pytestmark = pytest.mark.suite

MESSAGE = "Maintenance de la plateforme : retour prévu à 14 h. Merci de votre patience."


@pytest.fixture(scope="module")
def world(suite):
    api = ApiClient(suite.url)
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        demo = rpc.identity.seed_demo()
    world = {"emp": emp, "demo": demo, "admin": admin_token(api, demo)}
    yield world
    api.put("/api/v1/admin/maintenance", json={"active": False}, token=world["admin"])
    api.http.close()


def wait_for(check, timeout=15.0):
    """Poll until ``check()`` returns a truthy value (each gateway replica reads the state every 2 s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_maintenance_refuses_writes_not_reads_and_an_admin_turns_it_off(api, world):
    emp, admin = world["emp"], world["admin"]
    ends = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)
    r = api.put("/api/v1/admin/maintenance", json={"active": True, "message": MESSAGE, "ends_at": ends.isoformat()},
                token=admin)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True and r.json()["message"] == MESSAGE

    # a write: 503 problem+json with the message and Retry-After (seconds until the end, at least 60)
    refused = wait_for(lambda: (lambda x: x if x.status_code == 503 else None)(
        api.post("/api/v1/offers", json=offer_data(), token=emp["token"])))
    assert refused is not None, "writes were never refused"
    assert refused.headers["Content-Type"] == "application/problem+json"
    body = refused.json()
    assert body["code"] == "maintenance" and body["detail"] == MESSAGE and body["status"] == 503
    assert 60 <= int(refused.headers["Retry-After"]) <= 30 * 60
    assert body["ends_at"] == ends.isoformat()
    doc = api.get("/openapi.json").json()
    assert openapi_check.answer_errors(doc, "POST", "/api/v1/offers", 503, body) == []

    # reads keep working, and anyone can read the state
    assert api.get("/api/v1/me/offers", token=emp["token"]).status_code == 200
    assert api.get("/api/v1/offers", params={"commune": "71270"}).status_code == 200
    state = api.get("/api/v1/maintenance").json()
    assert state["active"] is True and state["ends_at"] == ends.isoformat()
    assert openapi_check.answer_errors(doc, "GET", "/api/v1/maintenance", 200, state) == []

    # an employer cannot switch it off; an admin can still sign in and does
    r = api.put("/api/v1/admin/maintenance", json={"active": False}, token=emp["token"])
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json"
    again = admin_token(api, world["demo"])   # login stays open during maintenance
    r = api.put("/api/v1/admin/maintenance", json={"active": False}, token=again)
    assert r.status_code == 200 and r.json()["active"] is False

    created = wait_for(lambda: (lambda x: x if x.status_code == 201 else None)(
        api.post("/api/v1/offers", json=offer_data(), token=emp["token"])))
    assert created is not None, "writes did not come back"
    assert api.get("/api/v1/maintenance").json()["active"] is False


def test_switching_on_needs_a_message_and_a_future_end(api, world):
    r = api.put("/api/v1/admin/maintenance", json={"active": True}, token=world["admin"])
    assert r.status_code == 422 and set(r.json()["errors"]) == {"message", "ends_at"}
    r = api.put("/api/v1/admin/maintenance", json={"active": True, "message": MESSAGE,
                                                   "ends_at": "2020-01-01T10:00"}, token=world["admin"])
    assert r.status_code == 422 and r.json()["errors"] == {"ends_at": ["La fin annoncée doit être dans le futur."]}
    far = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=40)).isoformat()
    r = api.put("/api/v1/admin/maintenance", json={"active": True, "message": MESSAGE, "ends_at": far},
                token=world["admin"])
    assert r.status_code == 422 and r.json()["errors"] == {
        "ends_at": ["La fin annoncée doit être dans les 30 prochains jours."]}
    r = api.put("/api/v1/admin/maintenance", json={"active": True, "message": MESSAGE, "ends_at": "demain"},
                token=world["admin"])
    assert r.status_code == 422 and "ends_at" in r.json()["errors"]
    assert api.get("/api/v1/maintenance").json()["active"] is False
    # without a token: 401, never a switch
    assert api.put("/api/v1/admin/maintenance", json={"active": True, "message": MESSAGE,
                                                      "ends_at": "2099-01-01T10:00"}).status_code == 401
