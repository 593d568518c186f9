"""Conventions across the real suite: from a confirmed application (real identity, offers, applications)
to `signed_by_all`, through the gateway, with the sealed PDF checked by pypdf and pyHanko."""
import io
import re
import time

import pypdf
import pytest

from testkit.applications import (REP_PLUS_COLLEGE, application_form, suite_employer,
                                  suite_head, suite_offer, suite_pupils)
from common import settings
from testkit.conventions import SUITE_EMPLOYER_FIELDS as EMPLOYER_FIELDS, SUITE_SCHOOL_FIELDS as SCHOOL_FIELDS

pytestmark = pytest.mark.suite


def auth(who):
    return {"token": who["token"]}


def confirmed_application(api, suite, emp, pupil, offer):
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                 **auth(pupil))
    assert r.status_code == 201, r.text
    app = r.json()
    assert api.post(f"/api/v1/applications/{app['id']}/accept", json={}, **auth(emp)).status_code == 200
    r = api.post(f"/api/v1/applications/{app['id']}/confirm", **auth(pupil))
    assert r.status_code == 200, r.text
    return app


def wait_convention(api, who, application_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = api.get("/api/v1/conventions", **auth(who)).json().get("items", [])
        found = [c for c in items if c["application_id"] == application_id]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError("no convention created")


@pytest.fixture(scope="module")
def world(suite):
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        pupils = suite_pupils(rpc, 3)
        offer = suite_offer(rpc, emp["user_id"], seats=3)
        head = suite_head(rpc)
        # a second head of the same school (issue 13 item 1): the one who validates and signs is printed
        head2 = suite_head(rpc, first_name="Luc", last_name="Martin")
        other_emp = suite_employer(rpc)
    return {"emp": emp, "pupils": pupils, "offer": offer, "head": head, "head2": head2, "other_emp": other_emp}


def test_from_confirmed_application_to_signed_by_all(api, suite, world):
    emp, pupil, head = world["emp"], world["pupils"][0], world["head"]
    app = confirmed_application(api, suite, emp, pupil, world["offer"])
    conv = wait_convention(api, emp, app["id"])
    cid = conv["id"]
    full = api.get(f"/api/v1/conventions/{cid}", **auth(emp)).json()
    # pre-filled by identity, offers and applications
    assert full["state"] == "draft"
    assert full["prefill"]["organisation"]["name"] == "Boulangerie Dupont"
    assert full["prefill"]["organisation"]["siret"] == "44306184100047"
    assert full["prefill"]["school"]["name"] == "Collège Belle de Mai"
    # the school's postal address from the ministry's directory (identity)
    assert (full["prefill"]["school"]["address"], full["prefill"]["school"]["zipcode"],
            full["prefill"]["school"]["city"]) == ("4 RUE DOCTEUR LEON PERRIN", "13003", "MARSEILLE")
    # several heads: the school's designated head (as identity tells it) is pre-filled; the head who validates is
    # printed (below)
    with suite.rpc() as rpc:
        staff = rpc.identity.list_school_staff(uai=REP_PLUS_COLLEGE, functions=["head"])["items"]
    [designated] = [h for h in staff if h["designated_head"]]
    assert full["prefill"]["school"]["head_name"] == f"{designated['first_name']} {designated['last_name']}"
    assert full["prefill"]["pupil"]["first_name"] == "Camille"
    assert full["weeks"] == [world["offer"]["offer_weeks"][0]]
    assert full["employer"]["lunch_break"].startswith("Pause déjeuner")
    assert full["school"]["legal_representatives"][0]["name"]
    # the pupil and the school see it; another pupil does not
    assert api.get(f"/api/v1/conventions/{cid}", **auth(pupil)).status_code == 200
    assert api.get(f"/api/v1/conventions/{cid}", **auth(world["pupils"][1])).status_code == 404
    assert cid in [c["id"] for c in api.get("/api/v1/conventions", **auth(head)).json()["items"]]

    # the employer cannot write the school's fields: the service decides (domain/fields.py), the gateway has no copy
    r = api.patch(f"/api/v1/conventions/{cid}", json={"pupil_address": "ailleurs"}, **auth(emp))
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "field_not_owned" and "pupil_address" in r.json()["errors"]
    # an unknown convention, or another party's, is not found, whatever fields are sent
    unknown = "00000000-0000-4000-8000-000000000000"
    for path, who in ((f"/api/v1/conventions/{unknown}", emp), (f"/api/v1/conventions/{cid}", world["other_emp"])):
        r = api.patch(path, json={"pupil_address": "ailleurs"}, **auth(who))
        assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json", r.text
    r = api.patch(f"/api/v1/conventions/{cid}", json=EMPLOYER_FIELDS, **auth(emp))
    assert r.status_code == 200, r.text
    assert api.post(f"/api/v1/conventions/{cid}/complete", **auth(emp)).json()["state"] == "completed_by_employer"

    # the school fills and validates: the document is frozen
    r = api.patch(f"/api/v1/conventions/{cid}", json=SCHOOL_FIELDS, **auth(head))
    assert r.status_code == 200, r.text
    # the second head validates: printed as the school's representative
    r = api.post(f"/api/v1/conventions/{cid}/validate", **auth(world["head2"]))
    assert r.status_code == 200, r.text
    assert r.json()["prefill"]["school"]["head_name"] == "Luc Martin"
    h = r.json()["document_hash"]
    assert r.json()["state"] == "validated" and len(h) == 64

    # employer: 6-digit code
    assert api.post("/api/v1/conventions/signature-code", json={"convention_ids": [cid]}, **auth(emp)).status_code == 200
    with suite.rpc() as rpc:
        code = rpc.conventions_test_hooks.last_secret("code", emp["user_id"])
        token = rpc.conventions_test_hooks.last_secret("link", f"{cid}:0")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    r = api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h, "code": wrong}, **auth(emp))
    assert r.status_code == 422 and "code" in r.json()["errors"]
    r = api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h, "code": code}, **auth(emp))
    assert r.status_code == 200, r.text
    # pupil, logged in; a second signature is refused
    assert api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h}, **auth(pupil)).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h}, **auth(pupil)).status_code == 409
    # head of school, typed name: the signing account's own name, never another head's
    r = api.post(f"/api/v1/conventions/{cid}/sign",
                 json={"document_hash": h, "method": "typed_name", "typed_name": "Marie Lambert"},
                 **auth(world["head2"]))
    assert r.status_code == 422 and "typed_name" in r.json()["errors"], r.text
    r = api.post(f"/api/v1/conventions/{cid}/sign",
                 json={"document_hash": h, "method": "typed_name", "typed_name": "luc martin"}, **auth(world["head2"]))
    assert r.status_code == 200, r.text
    head_sig = [x for x in r.json()["signatures"] if x["role"] == "head_of_school"][0]
    assert head_sig["signer_name"] == "Luc Martin"
    # legal representative through the link
    view = api.get(f"/api/v1/public/conventions/{token}")
    assert view.status_code == 200 and view.json()["document_hash"] == h
    assert api.get(f"/api/v1/public/conventions/{token}/pdf").headers["Content-Type"] == "application/pdf"
    name = view.json()["representative_name"]
    # a wrong name: counted, and the expected name is never disclosed (issue 13 item 4)
    r = api.post(f"/api/v1/public/conventions/{token}", json={"full_name": "Quelqu'un", "document_hash": h})
    assert r.status_code == 422 and r.json()["code"] == "name_mismatch" and name not in r.text
    r = api.post(f"/api/v1/public/conventions/{token}", json={"full_name": name, "document_hash": h})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "signed_by_all"
    # the reused link is refused
    r = api.post(f"/api/v1/public/conventions/{token}", json={"full_name": name, "document_hash": h})
    assert r.status_code == 409 and r.headers["Content-Type"] == "application/problem+json"

    # the sealed PDF: its text and its seal
    r = api.get(f"/api/v1/conventions/{cid}/pdf", **auth(pupil))
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf"
    assert r.headers["X-Document-Hash"] == h
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(r.content)).pages))
    assert "Boulangerie Dupont" in text and "Collège Belle de Mai" in text and h in text
    assert "Signé par Paul Durand" in text and "Signé par Luc Martin" in text and f"Signé par {name}" in text
    # the validating and signing head is the school's representative; the other head appears nowhere; the
    # directory's address is printed and no placeholder is left (issue 13 items 1 and 3)
    assert "Collège Belle de Mai (UAI 0131884C) 4 RUE DOCTEUR LEON PERRIN, 13003 MARSEILLE représenté par " \
           "Luc Martin, chef d'établissement" in text
    assert "Marie Lambert" not in text and "à compléter" not in text
    from conventions.documents import validate_seal
    cert = (settings.REPO_ROOT / "var" / "conventions" / "seal-cert.pem").read_bytes()
    status = validate_seal(r.content, cert)
    assert status["intact"] and status["valid"] and status["trusted"], status


def test_cancelled_with_its_application(api, suite, world):
    emp, pupil = world["emp"], world["pupils"][1]
    app = confirmed_application(api, suite, emp, pupil, world["offer"])
    conv = wait_convention(api, emp, app["id"])
    r = api.post(f"/api/v1/applications/{app['id']}/cancel", json={"reason": "Fermeture exceptionnelle"},
                 **auth(emp))
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = api.get(f"/api/v1/conventions/{conv['id']}", **auth(pupil)).json()["state"]
        if state == "cancelled":
            break
        time.sleep(0.3)
    assert state == "cancelled"
    r = api.patch(f"/api/v1/conventions/{conv['id']}", json={"lunch_break": "Cantine"}, **auth(emp))
    assert r.status_code == 409


def test_school_routes_image_bulk_signing_resend_reopen_stats(api, suite, world):
    emp, pupil, head = world["emp"], world["pupils"][2], world["head"]
    app = confirmed_application(api, suite, emp, pupil, world["offer"])
    cid = wait_convention(api, emp, app["id"])["id"]
    assert api.patch(f"/api/v1/conventions/{cid}", json=EMPLOYER_FIELDS, **auth(emp)).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/complete", **auth(emp)).status_code == 200
    assert api.patch(f"/api/v1/conventions/{cid}", json=SCHOOL_FIELDS, **auth(head)).status_code == 200
    h = api.post(f"/api/v1/conventions/{cid}/validate", **auth(head)).json()["document_hash"]

    # the school's signature image, checked by content
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (300, 90), "navy").save(buf, "PNG")
    r = api.put(f"/api/v1/schools/{REP_PLUS_COLLEGE}/signature", data=b"GIF89a" + b"\0" * 64,
                headers={"Content-Type": "image/png"}, **auth(head))
    assert r.status_code == 422 and "image" in r.json()["errors"]
    r = api.put(f"/api/v1/schools/{REP_PLUS_COLLEGE}/signature", data=buf.getvalue(),
                headers={"Content-Type": "image/png"}, **auth(head))
    assert r.status_code == 200, r.text
    assert api.get(f"/api/v1/schools/{REP_PLUS_COLLEGE}/signature", **auth(head)).json()["registered"] is True

    # bulk signing by the head with the image
    r = api.post("/api/v1/conventions/sign", json={"conventions": [{"convention_id": cid, "document_hash": h}],
                                                   "method": "image"}, **auth(head))
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["signatures"][0]["method"] == "image"
    # the school sees who still misses a signature
    waiting = api.get("/api/v1/conventions?missing_signature=pupil", **auth(head)).json()["items"]
    assert cid in [c["id"] for c in waiting]
    # the pupil resends the link
    r = api.post(f"/api/v1/conventions/{cid}/resend-link", json={"rep_index": 0}, **auth(pupil))
    assert r.status_code == 200 and r.json()["links"] == 1
    # reopening discards the head's signature
    r = api.post(f"/api/v1/conventions/{cid}/reopen", json={}, **auth(head))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "started_by_school" and r.json()["signatures"] == []
    # counts by state for the school
    stats = api.get("/api/v1/conventions/stats", **auth(head)).json()
    assert stats["counts"]["started_by_school"] >= 1 and stats["total"] >= 1
