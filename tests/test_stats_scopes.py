"""Statistics through the gateway: every figure inside the caller's scope (issue 13, item 13).

Hand-counted data: six applications from pupils of four collèges, one of them confirmed (so one agreement):

| school | département | académie | région | applications | agreements |
| --- | --- | --- | --- | --- | --- |
| 0131884C Belle de Mai, Marseille | 13 | 02 Aix-Marseille | 93 | 3 (two pupils, one applies twice) | 0 |
| 0840759U Charles de Gaulle | 84 | 02 Aix-Marseille | 93 | 1 | 0 |
| 0060076A Roustan | 06 | 23 Nice | 93 | 1, confirmed | 1 |
| 0751703U Jean-Baptiste Poquelin, Paris | 75 | 01 Paris | 11 | 1 | 0 |

The suite is shared by the run's tests, so each statistician's figures are read before and after: the
difference is what this test added. Département 05 (Hautes-Alpes, académie 02) gets no application.
"""
import uuid

import pytest

from testkit.applications import PASSWORD, application_form, suite_employer, suite_offer, suite_pupils

pytestmark = pytest.mark.suite

SCOPES = {"dep13": ("departement", "13"), "dep84": ("departement", "84"), "dep06": ("departement", "06"),
          "dep05": ("departement", "05"), "ac02": ("academie", "02"), "ac23": ("academie", "23"),
          "ac01": ("academie", "01"), "reg93": ("region", "93"), "reg11": ("region", "11"),
          "national": ("national", None)}
# hand-counted: applications added in each scope, agreements added in each scope
APPLICATIONS = {"dep13": 3, "dep84": 1, "dep06": 1, "dep05": 0, "ac02": 4, "ac23": 1, "ac01": 1, "reg93": 5,
                "reg11": 1, "national": 6}
AGREEMENTS = {"dep13": 0, "dep84": 0, "dep06": 1, "dep05": 0, "ac02": 0, "ac23": 1, "ac01": 0, "reg93": 1,
              "reg11": 0, "national": 1}


def _secret(suite, kind, key):
    with suite.rpc() as rpc:
        return rpc.identity_test_hooks.last_secret(kind, key)


def _login(api, email):
    r = api.post("/api/v1/auth/login", json={"identifier": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def statistician(api, suite, kind, code):
    email = f"stat.{uuid.uuid4().hex[:10]}@insee.fr"
    body = {"role": "statistician", "first_name": "Ada", "last_name": "Lovelace", "email": email,
            "password": PASSWORD, "function": "Chargée d'études", "stat_scope": kind}
    if code:
        body["stat_scope_code"] = code
    r = api.post("/api/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    out = api.post("/api/v1/auth/activate", json={"token": _secret(suite, "activation", email)}).json()
    with suite.rpc() as rpc:
        rpc.identity.validate_statistician(actor={"user_id": str(uuid.uuid4()), "role": "admin"},
                                           user_id=out["user_id"])
    return _login(api, email)


def staff(api, suite, uai):
    email = f"prof.{uuid.uuid4().hex[:8]}@ac-aix-marseille.fr"
    r = api.post("/api/v1/auth/register", json={
        "role": "school_staff", "first_name": "Jeanne", "last_name": "Martin", "function": "teacher",
        "password": PASSWORD, "school_uai": uai, "email": email})
    assert r.status_code == 201, r.text
    api.post("/api/v1/auth/activate", json={"token": _secret(suite, "activation", email)})
    return _login(api, email)


def applications_total(api, token, **query):
    r = api.get("/api/v1/stats/applications", token=token, params=query)
    assert r.status_code == 200, r.text
    return r.json()["total"]["total"]


def agreements_total(api, token, **query):
    r = api.get("/api/v1/conventions/stats", token=token, params=query)
    assert r.status_code == 200, r.text
    return r.json()["total"]


def apply(api, pupil, offer):
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                 token=pupil["token"])
    assert r.status_code == 201, r.text
    return r.json()


def test_every_figure_is_computed_inside_the_callers_scope(api, suite):
    import time

    tokens = {name: statistician(api, suite, *scope) for name, scope in SCOPES.items()}
    school_staff = staff(api, suite, "0840759U")
    before_apps = {n: applications_total(api, t) for n, t in tokens.items()}
    before_agreements = {n: agreements_total(api, t) for n, t in tokens.items()}
    assert applications_total(api, school_staff) == 0    # a school nobody else uses

    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        offers = [suite_offer(rpc, emp["user_id"], seats=5) for _ in range(2)]
        marseille = suite_pupils(rpc, 2, uai="0131884C")
        vaucluse = suite_pupils(rpc, 1, uai="0840759U")
        nice = suite_pupils(rpc, 1, uai="0060076A")
        paris = suite_pupils(rpc, 1, uai="0751703U")
    apply(api, marseille[0], offers[0])
    apply(api, marseille[0], offers[1])
    apply(api, marseille[1], offers[0])
    apply(api, vaucluse[0], offers[0])
    apply(api, paris[0], offers[1])
    confirmed = apply(api, nice[0], offers[0])
    r = api.post(f"/api/v1/applications/{confirmed['id']}/accept", json={}, token=emp["token"])
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/applications/{confirmed['id']}/confirm", token=nice[0]["token"])
    assert r.status_code == 200, r.text

    added = {n: applications_total(api, t) - before_apps[n] for n, t in tokens.items()}
    assert added == APPLICATIONS
    assert (confirmed["academie_code"], confirmed["departement_code"], confirmed["region_code"]) == ("23", "06", "93")
    assert applications_total(api, tokens["dep05"]) == 0          # a département with no application at all
    assert applications_total(api, school_staff) == 1             # school staff: their school only
    # narrowing inside one's scope, never outside
    assert applications_total(api, tokens["ac02"], school_uai="0840759U") == 1
    assert applications_total(api, tokens["ac02"], departement="84") >= 1
    assert applications_total(api, tokens["reg93"], academie="23") >= 1
    assert applications_total(api, tokens["national"], school_uai="0840759U") == 1
    assert applications_total(api, tokens["ac01"], school_uai="0840759U") == 0   # a school elsewhere: nothing
    r = api.get("/api/v1/stats/applications", token=tokens["dep13"], params={"academie": "02"})
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json"
    r = api.get("/api/v1/stats/applications", token=tokens["ac01"], params={"departement": "13"})
    assert r.status_code == 403
    r = api.get("/api/v1/stats/applications", token=school_staff, params={"school_uai": "0131884C"})
    assert r.status_code == 403
    r = api.get("/api/v1/stats/applications", token=tokens["national"], params={"academie": "Aix-Marseille"})
    assert r.status_code == 422 and "academie" in r.json()["errors"]
    assert api.get("/api/v1/stats/applications", token=tokens["dep13"]).json()["scope"] == {
        "kind": "departement", "code": "13"}

    # agreements: the confirmed application becomes one, counted in its school's scopes only
    deadline = time.monotonic() + 30
    while agreements_total(api, tokens["national"]) - before_agreements["national"] < 1:
        assert time.monotonic() < deadline, "no agreement created"
        time.sleep(0.2)
    added = {n: agreements_total(api, t) - before_agreements[n] for n, t in tokens.items()}
    assert added == AGREEMENTS
    assert agreements_total(api, school_staff) == 0
    r = api.get("/api/v1/conventions/stats", token=tokens["dep06"], params={"region": "93"})
    assert r.status_code == 403
