"""Applications across the real suite: identity tokens, the real offers seats, the gateway's routes."""
import csv
import io
import uuid

import pytest

from testkit.applications import application_form, suite_employer, suite_offer, suite_pupils

pytestmark = pytest.mark.suite


@pytest.fixture(scope="module")
def world(suite):
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        other = suite_employer(rpc)
        pupils = suite_pupils(rpc, 4)
        offer = suite_offer(rpc, emp["user_id"], seats=2)
    return {"emp": emp, "other": other, "pupils": pupils, "offer": offer}


def auth(who):
    return {"token": who["token"]}


def apply(api, pupil, offer, key=None, week=None):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(week or offer["offer_weeks"][0]),
                    headers=headers, **auth(pupil))


def test_apply_accept_confirm_takes_a_real_seat_and_cancel_gives_it_back(api, suite, world):
    emp, pupil, offer = world["emp"], world["pupils"][0], world["offer"]
    key = str(uuid.uuid4())
    r = apply(api, pupil, offer, key=key)
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["state"] == "submitted" and app["state_label"] == "envoyée à l'entreprise"
    assert app["school_name"] == "Collège Belle de Mai" and app["pupil_name"]
    assert app["school_category"] == "rep_plus"
    again = apply(api, pupil, offer, key=key)  # double click / retry: the same application
    assert again.status_code == 200 and again.json()["id"] == app["id"]

    # the employer's received tab; opening it marks it read; contact hidden until accepted
    lst = api.get("/api/v1/applications?tab=received", **auth(emp)).json()
    assert app["id"] in {i["id"] for i in lst["items"]}
    seen = api.get(f"/api/v1/applications/{app['id']}", **auth(emp)).json()
    assert seen["state"] == "read_by_employer" and seen["email"] is None and seen["contact_hidden"]
    # another employer never sees it
    assert api.get(f"/api/v1/applications/{app['id']}", **auth(world["other"])).status_code == 404
    assert app["id"] not in {i["id"] for i in api.get("/api/v1/applications", **auth(world["other"])).json()["items"]}

    r = api.post(f"/api/v1/applications/{app['id']}/accept", json={"message": "À lundi !"}, **auth(emp))
    assert r.status_code == 200, r.text
    assert r.json()["state_label"] == "en attente de réponse de l'élève" and r.json()["phone"]
    mine = api.get(f"/api/v1/applications/{app['id']}", **auth(pupil)).json()
    assert mine["state_label"] == "acceptée par l'entreprise" and "confirm" in mine["allowed_actions"]

    with suite.rpc() as rpc:
        before = rpc.offers.get_offer(offer["id"])["seats_left"]
    r = api.post(f"/api/v1/applications/{app['id']}/confirm", **auth(pupil))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "confirmed"
    with suite.rpc() as rpc:
        assert rpc.offers.get_offer(offer["id"])["seats_left"] == before - 1

    r = api.post(f"/api/v1/applications/{app['id']}/cancel", json={}, **auth(emp))
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    assert "reason" in r.json()["errors"]
    r = api.post(f"/api/v1/applications/{app['id']}/cancel", json={"reason": "Fermeture"}, **auth(emp))
    assert r.status_code == 200 and r.json()["state"] == "cancelled_by_employer"
    with suite.rpc() as rpc:
        assert rpc.offers.get_offer(offer["id"])["seats_left"] == before
    hist = [(h["from_state"], h["to_state"]) for h in r.json()["history"]]
    assert hist == [(None, "submitted"), ("submitted", "read_by_employer"),
                    ("read_by_employer", "accepted_by_employer"), ("accepted_by_employer", "confirmed"),
                    ("confirmed", "cancelled_by_employer")]


def test_refusals_are_problem_json_in_french(api, suite, world):
    pupil = world["pupils"][1]
    with suite.rpc() as rpc:
        lycee_offer = suite_offer(rpc, world["emp"]["user_id"], grades=("seconde",))
    r = apply(api, pupil, lycee_offer, week=None)
    assert r.status_code == 403
    body = r.json()
    assert r.headers["Content-Type"] == "application/problem+json"
    assert body["code"] == "not_for_grade" and "3e" in body["detail"]
    # form errors, all at once
    r = api.post(f"/api/v1/offers/{world['offer']['id']}/applications",
                 json={"motivation": "x", "email": "nope", "phone": "01 02", "address": "a",
                       "legal_representative": {"name": "A B", "email": "x", "phone": "1"}, "week": "2099-W01"},
                 **auth(pupil))
    assert r.status_code == 422
    assert {"email", "phone", "legal_representative.email", "legal_representative.phone", "week"} <= set(r.json()["errors"])
    # only pupils apply
    r = api.post(f"/api/v1/offers/{world['offer']['id']}/applications", json=application_form("2027-W05"),
                 **auth(world["emp"]))
    assert r.status_code == 403


def test_transfer_link_through_the_public_routes(api, suite, world):
    emp, pupil = world["emp"], world["pupils"][2]
    with suite.rpc() as rpc:
        offer = suite_offer(rpc, emp["user_id"], seats=1)
    app = apply(api, pupil, offer).json()
    r = api.post(f"/api/v1/applications/{app['id']}/transfer", json={"email": "rh@example.com"}, **auth(emp))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "transferred"
    with suite.rpc() as rpc:
        token = rpc.applications_test_hooks.last_secret("transfer", app["id"])
    view = api.get(f"/api/v1/public/transfers/{token}")
    assert view.status_code == 200, view.text
    assert view.json()["application"]["motivation"] and view.json()["application"]["email"] is None
    r = api.post(f"/api/v1/public/transfers/{token}/decision", json={"decision": "accept"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted_by_employer"
    r = api.post(f"/api/v1/public/transfers/{token}/decision", json={"decision": "reject", "reason": "x"})
    assert r.status_code == 409 and r.json()["code"] == "transfer_link_used"
    assert api.get("/api/v1/public/transfers/not-a-token").status_code == 404


def test_expiry_after_15_days_with_the_suite_clock(api, suite, suite_clock, world):
    pupil = world["pupils"][3]
    with suite.rpc() as rpc:
        offer = suite_offer(rpc, world["emp"]["user_id"], seats=1)
    app = apply(api, pupil, offer).json()
    suite_clock(15 * 86400 - 60)
    with suite.rpc() as rpc:
        rpc.applications.run_timer()
        assert rpc.applications.get_application(app["id"])["state"] == "submitted"
    suite_clock(15 * 86400)
    with suite.rpc() as rpc:
        rpc.applications.run_timer()
        got = rpc.applications.get_application(app["id"])
    assert got["state"] == "expired" and got["history"][-1]["actor_role"] == "system"


def test_bulk_export_and_stats(api, suite, world):
    emp = world["emp"]
    with suite.rpc() as rpc:
        offer = suite_offer(rpc, emp["user_id"], seats=5)
        pupils = suite_pupils(rpc, 2)
    ids = [apply(api, p, offer).json()["id"] for p in pupils]
    r = api.post("/api/v1/applications/bulk", json={"action": "reject", "application_ids": ids}, **auth(emp))
    assert r.status_code == 422  # reason required, nothing done
    r = api.post("/api/v1/applications/bulk", json={"action": "accept", "application_ids": ids}, **auth(emp))
    assert r.status_code == 200, r.text
    assert r.json()["count"] == 2
    r = api.get(f"/api/v1/applications/export.csv?offer_id={offer['id']}", **auth(emp))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2 and all(row["Date d'acceptation"] and row["Date d'envoi"] for row in rows)
    assert all(row["Date de refus"] == "" and row["Date d'annulation par l'élève"] == "" for row in rows)
    # the class the school recorded (suite_pupils: « 3A »), and the grade in its own column (issue 13 item 6)
    assert {(row["Classe"], row["Niveau"]) for row in rows} == {("3A", "3e")}
    stats = api.get("/api/v1/stats/applications", **auth(emp))
    assert stats.status_code == 200, stats.text
    assert stats.json()["by_category"]["rep_plus"]["by_state"]["accepted_by_employer"] >= 2
    assert api.get("/api/v1/stats/applications", **auth(pupils[0])).status_code == 403


def test_school_staff_sees_its_pupils_by_class(api, suite, world):
    from testkit.applications import _client
    from identity.use_cases.demo import DEMO_PASSWORD

    with suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
        head = rpc.identity.login(identifier=demo["head"]["email"], password=DEMO_PASSWORD, client=_client())
        klass = "3" + uuid.uuid4().hex[:6]
        pupils = suite_pupils(rpc, 2, class_name=klass)  # the demo head's school (Belle de Mai, REP+)
        offer = suite_offer(rpc, world["emp"]["user_id"])
    staff = {"token": head["access_token"]}
    app = apply(api, pupils[0], offer).json()
    r = api.get("/api/v1/applications/classes", **staff)
    assert r.status_code == 200, r.text
    mine = next(c for c in r.json()["classes"] if c["class_name"] == klass)
    assert (mine["pupils"], mine["with_application"]) == (2, 1)
    assert [p["pupil_id"] for p in mine["without_application"]] == [pupils[1]["user_id"]]
    listed = api.get("/api/v1/applications?per_page=200", **staff).json()
    assert app["id"] in {i["id"] for i in listed["items"]}
    assert {i["school_uai"] for i in listed["items"]} == {"0131884C"}
    stats = api.get("/api/v1/stats/applications", **staff).json()
    assert stats["scope"] == {"kind": "school", "code": "0131884C"} and stats["total"]["total"] >= 1
    assert api.get("/api/v1/applications/classes", **auth(world["emp"])).status_code == 403


def test_a_rejection_is_final_and_the_pupil_may_be_invited_to_apply_again(api, suite, world):
    """Issue 13 item 7 through the gateway: after a rejection, accept (alone or in bulk) answers 409
    rejection_final; the employer invites the pupil, who applies again with a new application."""
    emp = world["emp"]
    with suite.rpc() as rpc:
        offer = suite_offer(rpc, emp["user_id"], seats=3)
        [pupil] = suite_pupils(rpc, 1)
    app = apply(api, pupil, offer).json()
    r = api.post(f"/api/v1/applications/{app['id']}/reject", json={"reason": "Trop de demandes"}, **auth(emp))
    assert r.status_code == 200 and r.json()["allowed_actions"] == ["invite_to_reapply"], r.text
    r = api.post(f"/api/v1/applications/{app['id']}/accept", json={}, **auth(emp))
    assert r.status_code == 409 and r.json()["code"] == "rejection_final", r.text
    assert "définitif" in r.json()["detail"]
    r = api.post("/api/v1/applications/bulk", json={"action": "accept", "application_ids": [app["id"]]}, **auth(emp))
    assert r.status_code == 409, r.text
    assert apply(api, pupil, offer).json()["code"] == "already_applied"
    r = api.post(f"/api/v1/applications/{app['id']}/invite_to_reapply", **auth(pupil))
    assert r.status_code == 403
    r = api.post(f"/api/v1/applications/{app['id']}/invite_to_reapply", **auth(emp))
    assert r.status_code == 200 and r.json()["state"] == "rejected" and r.json()["reapply_invited_at"], r.text
    again = apply(api, pupil, offer)
    assert again.status_code == 201 and again.json()["id"] != app["id"], again.text
    r = api.post(f"/api/v1/applications/{again.json()['id']}/accept", json={}, **auth(emp))
    assert r.status_code == 200 and r.json()["state"] == "accepted_by_employer", r.text
