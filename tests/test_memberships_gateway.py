"""Issue 20 across the real suite, through the gateway: a head known through FIM in two schools lists them
(GET /api/v1/me/schools), switches the current one (PUT /api/v1/me/school: fresh tokens whose school_uai is
the new school's) and acts for it; a school that is not theirs is refused with 403, and other roles are
refused the routes. The sign-in itself is identity's RPC (the gateway's OpenID Connect routes call it)."""
import uuid

import jwt
import pytest
import requests

from testkit import openapi as openapi_check

pytestmark = pytest.mark.suite

COLLEGE = "0130007M"     # Collège Jas de Bouffan
LYCEE = "0130040Y"       # Lycée Thiers


def fim_claims():
    tag = uuid.uuid4().hex[:8]
    return {"sub": f"fim-{tag}", "email": f"dir.{tag}@ac-aix-marseille.fr", "FrEduFonctAdm": "DIR", "rne": COLLEGE,
            "FrEduRneResp": [f"{LYCEE}$UAJ$PU$N$T3$LYC$300"], "given_name": "Hélène", "family_name": f"Fim-{tag}"}


def test_head_of_two_schools_switches_through_the_gateway(api, suite):
    with suite.rpc() as rpc:
        session = rpc.identity.federated_sign_in(provider="fim", claims=fim_claims(),
                                                 client={"ip": "192.0.2.10", "user_agent": "test"})
        employer = rpc.identity.seed_demo()
    token = session["access_token"]
    doc = requests.get(suite.url + "/openapi.json", timeout=30).json()
    wrong = []

    def checked(r, method, template):
        wrong.extend(openapi_check.answer_errors(doc, method, template, r.status_code, r.json()))
        return r
    assert jwt.decode(token, options={"verify_signature": False})["school_uai"] == COLLEGE

    r = checked(api.get("/api/v1/me/schools", token=token), "GET", "/api/v1/me/schools")
    assert r.status_code == 200, r.text
    mine = r.json()
    assert mine["current_uai"] == COLLEGE
    assert [(i["school_uai"], i["function"], i["confirmed"], i["current"]) for i in mine["items"]] == \
        [(COLLEGE, "head", True, True), (LYCEE, "head", True, False)]

    r = checked(api.put("/api/v1/me/school", json={"uai": LYCEE}, token=token), "PUT", "/api/v1/me/school")
    assert r.status_code == 200, r.text
    fresh = r.json()
    assert fresh["claims"]["school_uai"] == LYCEE and fresh["refresh_token"]
    assert jwt.decode(fresh["access_token"], options={"verify_signature": False})["school_uai"] == LYCEE
    assert api.get(f"/api/v1/schools/{LYCEE}/staff", token=fresh["access_token"]).status_code == 200
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert r.status_code == 200 and r.json()["claims"]["school_uai"] == LYCEE

    r = checked(api.put("/api/v1/me/school", json={"uai": "0131884C"}, token=fresh["access_token"]),
                "PUT", "/api/v1/me/school")
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["code"] == "not_a_member" and "rattaché" in r.json()["detail"]
    r = api.put("/api/v1/me/school", json={"uai": "pas-un-uai"}, token=fresh["access_token"])
    assert r.status_code == 422

    emp = api.post("/api/v1/auth/login", json={"identifier": "demo.employeur@example.com",
                                               "password": employer["password"]})
    assert emp.status_code == 200, emp.text
    assert api.get("/api/v1/me/schools", token=emp.json()["access_token"]).status_code == 403
    staff = checked(api.get(f"/api/v1/schools/{LYCEE}/staff", token=fresh["access_token"]), "GET",
                    "/api/v1/schools/{uai}/staff")
    assert any(i["confirmed_how"] == "federation" for i in staff.json()["items"])
    assert wrong == []
