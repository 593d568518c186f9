"""A person's data export through the gateway (issue 13, item 14): everything the platform keeps about them,
gathered from every service, in one JSON document and in a ZIP with the PDFs of their agreements."""
import io
import json
import time
import zipfile

import pytest

from testkit.applications import (application_form, suite_employer,
                                  suite_head, suite_offer, suite_pupils)
from testkit.conventions import SUITE_EMPLOYER_FIELDS as EMPLOYER_FIELDS, SUITE_SCHOOL_FIELDS as SCHOOL_FIELDS

pytestmark = pytest.mark.suite

AGENT = "export-test-agent/1.0"


def _wait(fn, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def _wait_notified(api, who, template):
    """Notifications are written asynchronously (events): wait for this one in the person's in-app list."""
    _wait(lambda: any(i["template"] == template for i in
                      api.get("/api/v1/me/notifications", token=who["token"]).json().get("items", [])))


@pytest.fixture(scope="module")
def world(suite):
    from testkit.pytest_plugin import ApiClient

    api = ApiClient(suite.url)
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        [pupil] = suite_pupils(rpc, 1)
        head = suite_head(rpc)
        offer = suite_offer(rpc, emp["user_id"], seats=2)
    form = application_form(offer["offer_weeks"][0])
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=form, token=pupil["token"])
    assert r.status_code == 201, r.text
    app = r.json()
    assert api.post(f"/api/v1/applications/{app['id']}/accept", json={"message": "Bienvenue !"},
                    token=emp["token"]).status_code == 200
    assert api.post(f"/api/v1/applications/{app['id']}/confirm", token=pupil["token"]).status_code == 200

    def convention():
        items = api.get("/api/v1/conventions", token=emp["token"]).json().get("items", [])
        return next((c for c in items if c["application_id"] == app["id"]), None)

    cid = _wait(convention)["id"]
    assert api.patch(f"/api/v1/conventions/{cid}", json=EMPLOYER_FIELDS, token=emp["token"]).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/complete", token=emp["token"]).status_code == 200
    assert api.patch(f"/api/v1/conventions/{cid}", json=SCHOOL_FIELDS, token=head["token"]).status_code == 200
    r = api.post(f"/api/v1/conventions/{cid}/validate", token=head["token"])
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": r.json()["document_hash"]},
                 token=pupil["token"], headers={"User-Agent": AGENT})
    assert r.status_code == 200, r.text
    api.http.close()
    return {"emp": emp, "pupil": pupil, "head": head, "offer": offer, "app": app, "form": form,
            "convention_id": cid}


def test_a_pupil_gets_everything_kept_about_them(api, world):
    pupil, form, app = world["pupil"], world["form"], world["app"]

    _wait_notified(api, pupil, "application_accepted")
    r = api.get("/api/v1/me/data", token=pupil["token"])
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["account"]["id"] == pupil["user_id"] and data["generated_at"]
    [mine] = [a for a in data["applications"]["applications"] if a["id"] == app["id"]]
    assert mine["motivation"] == form["motivation"] and mine["address"] == form["address"]
    assert mine["email"] == form["email"] and mine["phone"]
    assert mine["legal_representative"]["name"] == form["legal_representative"]["name"]
    assert [h["to_state"] for h in mine["history"]][-1] == "confirmed"
    assert {"submitted", "accepted_by_employer", "confirmed"} <= {h["to_state"] for h in mine["history"]}
    [agreement] = [c for c in data["agreements"]["agreements"] if c["id"] == world["convention_id"]]
    assert agreement["state"] == "signatures_started" and agreement["employer_fields"] and agreement["prefill"]
    [sig] = [s for s in agreement["signatures"] if s["mine"]]
    assert sig["role"] == "pupil" and sig["user_agent"] == AGENT and sig["ip"]
    accepted = [m for m in data["notifications"]["messages"] if m["template"] == "application_accepted"]
    assert accepted and accepted[0]["context"].get("application_id") == app["id"]
    assert data["offers"] == {"offers": [], "reports": []}


def test_an_employer_gets_their_offers_actions_and_agreements_not_the_pupils_signature_details(api, world):
    emp = world["emp"]

    _wait_notified(api, emp, "new_application")
    r = api.get("/api/v1/me/data", token=emp["token"])
    assert r.status_code == 200, r.text
    data = r.json()
    assert world["offer"]["id"] in [o["id"] for o in data["offers"]["offers"]]
    assert data["applications"]["applications"] == []        # the pupil's application is the pupil's data
    assert ("accept", "Bienvenue !") in [(a["action"], a["message"]) for a in data["applications"]["actions"]
                                         if a["application_id"] == world["app"]["id"]]
    [agreement] = [c for c in data["agreements"]["agreements"] if c["id"] == world["convention_id"]]
    [pupil_sig] = [s for s in agreement["signatures"] if s["role"] == "pupil"]
    assert not pupil_sig["mine"] and pupil_sig["ip"] is None and pupil_sig["user_agent"] is None


def test_the_zip_holds_the_document_and_the_agreements_pdf(api, world):
    r = api.get("/api/v1/me/data.zip", token=world["pupil"]["token"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    names = z.namelist()
    assert "donnees.json" in names
    data = json.loads(z.read("donnees.json"))
    assert data["account"]["id"] == world["pupil"]["user_id"]
    pdf = f"conventions/convention-{world['convention_id']}.pdf"
    assert pdf in names and z.read(pdf).startswith(b"%PDF")
    assert api.get("/api/v1/me/data.zip").status_code == 401


def test_the_export_is_documented(api):
    doc = api.get("/openapi.json").json()
    paths = doc["paths"]
    assert "/api/v1/me/data" in paths and "/api/v1/me/data.zip" in paths
    schema = paths["/api/v1/me/data"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/PersonalDataExport"}  # a named schema of the document
    schema = doc["components"]["schemas"]["PersonalDataExport"]
    assert {"applications", "agreements", "offers", "notifications"} <= set(schema["required"])


def test_a_service_that_does_not_answer_fails_the_export_rather_than_shrinking_it(api, suite, world):
    suite.stop("offers")
    try:
        r = api.get("/api/v1/me/data", token=world["pupil"]["token"])
        assert r.status_code == 503 and r.headers["Content-Type"] == "application/problem+json"
        assert r.json()["code"] == "export_incomplete" and "offres" in r.json()["detail"]
    finally:
        suite.start("offers")
        suite.wait_ready()
    assert api.get("/api/v1/me/data", token=world["pupil"]["token"]).status_code == 200
