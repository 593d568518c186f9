"""Issue 13 item 2 across the real suite, through the gateway: a head of school who registered with an
academic address can read but cannot fill, validate or sign an agreement, register the school's
signature image, import pupils or invite colleagues until an admin confirms the account; then the
renewed session can. Item 12: GET /schools filters by REP, REP+ and QPV."""
import base64
import io
import time
import uuid

import pytest

from testkit.applications import (PASSWORD, REP_PLUS_COLLEGE, application_form, suite_employer,
                                  suite_offer, suite_pupils)
from common.errors import Forbidden
from testkit.conventions import SUITE_EMPLOYER_FIELDS as EMPLOYER_FIELDS, SUITE_SCHOOL_FIELDS as SCHOOL_FIELDS
from testkit.tokens import admin_token

pytestmark = pytest.mark.suite


def login(api, identifier, password=PASSWORD, **extra):
    return api.post("/api/v1/auth/login", json={"identifier": identifier, "password": password, **extra})


def wait_convention(api, token, application_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [c for c in api.get("/api/v1/conventions", token=token).json().get("items", [])
                 if c["application_id"] == application_id]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError("no convention created")


def png() -> bytes:
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (300, 90), "navy").save(buf, "PNG")
    return buf.getvalue()


def class_csv(tag) -> bytes:
    return f"Nom;Prénom;Date de naissance;Classe;Niveau\r\nCONFIRME-{tag};Inès;04/03/2012;3A;3EME".encode()


@pytest.fixture(scope="module")
def world(suite):
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        pupil = suite_pupils(rpc, 1)[0]
        offer = suite_offer(rpc, emp["user_id"], seats=1)
        demo = rpc.identity.seed_demo()
    return {"emp": emp, "pupil": pupil, "offer": offer, "demo": demo}


def test_unconfirmed_head_reads_only_until_an_admin_confirms(api, suite, world):
    emp, pupil = world["emp"], world["pupil"]
    # anyone with an address of the académie registers as head of the collège...
    email = f"principal.{uuid.uuid4().hex[:10]}@ac-aix-marseille.fr"
    r = api.post("/api/v1/auth/register", json={"role": "school_staff", "function": "head", "first_name": "Marie",
                                                "last_name": "Lambert", "email": email, "password": PASSWORD,
                                                "school_uai": REP_PLUS_COLLEGE})
    assert r.status_code == 201, r.text
    with suite.rpc() as rpc:
        token = rpc.identity_test_hooks.last_secret("activation", email)
    r = api.post("/api/v1/auth/activate", json={"token": token})
    assert r.status_code == 200 and "confirmé" in r.json()["detail"]
    session = login(api, email).json()
    head, head_id = session["access_token"], session["user"]["id"]
    assert session["claims"]["staff_confirmed"] is False and session["user"]["staff_confirmed"] is False

    # ... and an agreement of the collège waits for the school
    r = api.post(f"/api/v1/offers/{world['offer']['id']}/applications",
                 json=application_form(world["offer"]["offer_weeks"][0]), token=pupil["token"])
    assert r.status_code == 201, r.text
    app = r.json()
    assert api.post(f"/api/v1/applications/{app['id']}/accept", json={}, token=emp["token"]).status_code == 200
    assert api.post(f"/api/v1/applications/{app['id']}/confirm", token=pupil["token"]).status_code == 200
    cid = wait_convention(api, emp["token"], app["id"])["id"]
    assert api.patch(f"/api/v1/conventions/{cid}", json=EMPLOYER_FIELDS, token=emp["token"]).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/complete", token=emp["token"]).status_code == 200

    # reading is allowed
    r = api.get(f"/api/v1/conventions/{cid}", token=head)
    assert r.status_code == 200 and r.json()["allowed_actions"] == []
    assert api.get(f"/api/v1/schools/{REP_PLUS_COLLEGE}/pupils", token=head).status_code == 200
    # acting for the school is not
    tag = uuid.uuid4().hex[:6].upper()
    colleague = {"email": f"prof.{tag.lower()}@ac-aix-marseille.fr", "function": "teacher"}
    refused = [
        api.patch(f"/api/v1/conventions/{cid}", json=SCHOOL_FIELDS, token=head),
        api.post(f"/api/v1/conventions/{cid}/validate", token=head),
        api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": "0" * 64, "method": "typed_name",
                                                          "typed_name": "Marie Lambert"}, token=head),
        api.put(f"/api/v1/schools/{REP_PLUS_COLLEGE}/signature", data=png(), headers={"Content-Type": "image/png"},
                token=head),
        api.post(f"/api/v1/schools/{REP_PLUS_COLLEGE}/pupils/import", data=class_csv(tag),
                 headers={"Content-Type": "text/csv"}, token=head),
        api.post(f"/api/v1/schools/{REP_PLUS_COLLEGE}/colleagues", json=colleague, token=head),
        api.post(f"/api/v1/schools/{REP_PLUS_COLLEGE}/staff/{head_id}/confirm", token=head),
    ]
    for r in refused:
        assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json", r.text
        assert r.json()["code"] == "staff_not_confirmed" and "pas encore confirmé" in r.json()["detail"]
    # where the data are owned, too: a forged actor claiming confirmation does not fool identity
    actor = {"user_id": head_id, "role": "school_staff", "function": "head", "school_uai": REP_PLUS_COLLEGE}
    with suite.rpc() as rpc:
        with pytest.raises(Forbidden):
            rpc.conventions.validate(actor={**actor, "staff_confirmed": False}, convention_id=cid)
        with pytest.raises(Forbidden):
            rpc.identity.import_pupils(actor={**actor, "staff_confirmed": True}, uai=REP_PLUS_COLLEGE,
                                       content_base64=base64.b64encode(class_csv(tag)).decode(), with_pdf=False)
    assert api.get(f"/api/v1/conventions/{cid}", token=emp["token"]).json()["state"] == "completed_by_employer"

    # an admin confirms the head
    admin = admin_token(api, world["demo"])
    pending = api.get("/api/v1/admin/school-staff", params={"school_uai": REP_PLUS_COLLEGE}, token=admin)
    assert pending.status_code == 200 and head_id in [x["user_id"] for x in pending.json()["items"]]
    assert api.get("/api/v1/admin/school-staff", token=head).status_code == 403
    r = api.post(f"/api/v1/schools/{REP_PLUS_COLLEGE}/staff/{head_id}/confirm", token=admin)
    assert r.status_code == 200 and r.json()["confirmed"] is True and r.json()["confirmed_how"] == "admin", r.text
    staff = api.get(f"/api/v1/schools/{REP_PLUS_COLLEGE}/staff", token=head).json()
    assert [x["confirmed"] for x in staff["items"] if x["user_id"] == head_id] == [True]
    assert any(h["action"] == "confirmed" and h["user_id"] == head_id for h in staff["history"])

    # the renewed session carries the confirmation: the head now acts for the school
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert r.status_code == 200 and r.json()["claims"]["staff_confirmed"] is True
    head = r.json()["access_token"]
    r = api.patch(f"/api/v1/conventions/{cid}", json=SCHOOL_FIELDS, token=head)
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/conventions/{cid}/validate", token=head)
    assert r.status_code == 200 and r.json()["state"] == "validated", r.text
    r = api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": r.json()["document_hash"],
                                                          "method": "typed_name", "typed_name": "Marie Lambert"},
                 token=head)
    assert r.status_code == 200, r.text
    assert "head_of_school" in [s["role"] for s in r.json()["signatures"]]
    r = api.post(f"/api/v1/schools/{REP_PLUS_COLLEGE}/pupils/import", data=class_csv(tag),
                 headers={"Content-Type": "text/csv"}, token=head)
    assert r.status_code == 200 and r.json()["summary"]["created"] == 1, r.text


def test_schools_filters(api, suite):
    r = api.get("/api/v1/schools", params={"q": "Marseille", "limit": 50, "education_prioritaire": "REP+"})
    assert r.status_code == 200 and r.json()["items"]
    assert all(x["education_prioritaire"] == "REP+" for x in r.json()["items"])
    r = api.get("/api/v1/schools", params={"lat": 43.3134, "lon": 5.3863, "radius_km": 3,
                                           "education_prioritaire": "REP,REP+", "qpv": "true"})
    items = r.json()["items"]
    assert r.status_code == 200 and items[0]["uai"] == REP_PLUS_COLLEGE
    assert all(x["education_prioritaire"] in ("REP", "REP+") and x["qpv"] is True for x in items)
    r = api.get("/api/v1/schools", params={"q": "Marseille", "education_prioritaire": "ZEP", "qpv": "peut-être"})
    assert r.status_code == 422 and "qpv" in r.json()["errors"], r.text
    assert any(k.startswith("education_prioritaire") for k in r.json()["errors"])   # "education_prioritaire.0"
    doc = api.get("/openapi.json").json()
    params = {p["name"] for p in doc["paths"]["/api/v1/schools"]["get"]["parameters"]}
    assert {"education_prioritaire", "qpv"} <= params
    assert doc["paths"]["/api/v1/schools/{uai}/pupils/import"]["post"]["x-confirmed-staff"] is True
