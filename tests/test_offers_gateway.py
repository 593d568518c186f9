"""Offers through the real gateway pipeline (HTTP, JWT RS256, problem+json) and the
real offers service, both in-process on this run's PostgreSQL and RabbitMQ.

Tokens are signed with a test key loaded into the gateway's verifier (identity
is not needed to check the offers rules)."""
import concurrent.futures
import datetime as dt
import json
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from common.clock import PROCESS_CLOCK
from common.rpc import cluster_rpc
from testkit.harness import free_port
from testkit.offers import future_weeks, offer_data


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def gw(service_db, start_service, key):
    from gateway import service
    from offers.service import OffersService

    service_db("offers", reference=True)
    start_service(OffersService)
    service.GatewayService.router = None
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    saved = dict(service.verifier.keys), service.verifier._last_refresh
    service.verifier.load_jwks({"keys": [{**public, "kid": "offers-test", "use": "sig", "alg": "RS256"}]})
    service.verifier._last_refresh = 1e18
    port = free_port()
    start_service(service.GatewayService, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    yield f"http://127.0.0.1:{port}"
    service.verifier.keys, service.verifier._last_refresh = saved


def token(key, role, **claims):
    now = dt.datetime.now(dt.timezone.utc)
    body = {"sub": claims.pop("sub", str(uuid.uuid4())), "role": role, "iss": "stages-identity",
            "aud": "stages-api", "iat": now, "exp": now + dt.timedelta(minutes=15), "typ": "access", **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "offers-test"})


def h(tok, **extra):
    return {"Authorization": f"Bearer {tok}", **extra}


def pupil(key, grade="troisieme", rep=False, qpv=False, uai="0710001A"):
    return token(key, "pupil", grade=grade, school_uai=uai, school_rep=rep, school_qpv=qpv)


def create_published(gw, tok, **kw):
    r = requests.post(gw + "/api/v1/offers", json=offer_data(**kw), headers=h(tok))
    assert r.status_code == 201, r.text
    r = requests.post(gw + f"/api/v1/offers/{r.json()['id']}/publish", headers=h(tok))
    assert r.status_code == 200, r.text
    return r.json()["offers"]


def test_steps_errors_publish_read_and_search(gw, key):
    emp = token(key, "employer")
    r = requests.post(gw + "/api/v1/offers", json={"step": "place", "title": "", "description": "court",
                                                   "address": {"street": "1"}}, headers=h(emp))
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    assert set(r.json()["errors"]) == {"title", "description", "address.street", "address.commune_insee"}
    data = offer_data()
    r = requests.post(gw + "/api/v1/offers", json={"step": "place", **{k: data[k] for k in
                                                                       ("title", "description", "address")}},
                      headers=h(emp))
    assert r.status_code == 201
    oid = r.json()["id"]
    r = requests.post(gw + f"/api/v1/offers/{oid}/publish", headers=h(emp))
    assert r.status_code == 422 and "organisation.name" in r.json()["errors"]
    r = requests.patch(gw + f"/api/v1/offers/{oid}", json={"step": "organisation",
                                                           "organisation": {**data["organisation"], "sector": "s25"}},
                       headers=h(emp))
    assert r.status_code == 422
    assert r.json()["errors"]["organisation.sector"] == [
        "Le secteur « Fonction publique » est réservé aux employeurs publics."]
    r = requests.patch(gw + f"/api/v1/offers/{oid}", json={"step": "organisation",
                                                           "organisation": data["organisation"]}, headers=h(emp))
    assert r.status_code == 200
    plan = {k: data[k] for k in ("grades", "school_year", "weeks", "seats", "hours", "lunch_break")}
    r = requests.patch(gw + f"/api/v1/offers/{oid}", json={"step": "planning", **plan,
                                                           "hours": {"mode": "same", "start": "08:10",
                                                                     "end": "21:00"}}, headers=h(emp))
    assert r.status_code == 422 and set(r.json()["errors"]) == {"hours.start", "hours.end"}
    requests.patch(gw + f"/api/v1/offers/{oid}", json={"step": "planning", **plan}, headers=h(emp))
    r = requests.post(gw + f"/api/v1/offers/{oid}/publish", headers=h(emp))
    assert r.status_code == 200 and r.json()["offers"][0]["state"] == "published"
    # a pupil reads it without the contact phone, and can apply
    r = requests.get(gw + f"/api/v1/offers/{oid}", headers=h(pupil(key)))
    assert r.status_code == 200
    assert "contact_phone" not in r.json()["organisation"] and r.json()["can_apply"] is True
    r = requests.get(gw + "/api/v1/offers", params={"commune": "71270", "q": "boulangere patiss"},
                     headers=h(pupil(key)))
    assert r.status_code == 200 and oid in [i["id"] for i in r.json()["items"]]
    item = next(i for i in r.json()["items"] if i["id"] == oid)
    assert item["can_apply"] and item["seats_left"] == 3 and item["distance_km"] < 5 and item["first_day"]
    r = requests.get(gw + "/api/v1/me/offers", headers=h(emp))
    assert [o["id"] for o in r.json()["items"]] == [oid]
    r = requests.get(gw + "/api/v1/offers", params={"radius_km": 70})
    assert r.status_code == 422 and "radius_km" in r.json()["errors"]


def test_double_submit_creates_one_offer(gw, key):
    emp = token(key, "employer")
    hdr = h(emp, **{"Idempotency-Key": str(uuid.uuid4())})
    body = offer_data()
    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        rs = list(ex.map(lambda _: requests.post(gw + "/api/v1/offers", json=body, headers=hdr), range(4)))
    assert [r.status_code for r in rs] == [201] * 4
    assert len({r.json()["id"] for r in rs}) == 1
    assert requests.get(gw + "/api/v1/me/offers", headers=h(emp)).json()["total"] == 1


def test_non_rep_pupil_never_sees_rep_offer_and_rep_pupil_sees_it_first(gw, key):
    emp = token(key, "employer")
    tag = uuid.uuid4().hex[:8]
    [near] = create_published(gw, emp, title=f"Ébéniste {tag}")
    [rep] = create_published(gw, emp, title=f"Ébéniste {tag}", reserved_rep=True,
                             address={"street": "2 rue B", "commune_insee": "71270", "lat": 46.42, "lon": 4.83})
    [qpv] = create_published(gw, emp, title=f"Ébéniste {tag}", reserved_qpv=True,
                             address={"street": "3 rue C", "commune_insee": "71270", "lat": 46.36, "lon": 4.83})
    q = {"commune": "71270", "q": f"ebeniste {tag}"}
    ids = [i["id"] for i in requests.get(gw + "/api/v1/offers", params=q, headers=h(pupil(key))).json()["items"]]
    assert ids == [near["id"]]
    assert requests.get(gw + f"/api/v1/offers/{rep['id']}", headers=h(pupil(key))).status_code == 404
    assert [i["id"] for i in requests.get(gw + "/api/v1/offers", params=q).json()["items"]] == [near["id"]]
    r = requests.get(gw + "/api/v1/offers", params=q, headers=h(pupil(key, rep=True))).json()
    assert [i["id"] for i in r["items"]] == [rep["id"], near["id"]] and r["items"][0]["priority"] is True
    r = requests.get(gw + "/api/v1/offers", params=q, headers=h(pupil(key, qpv=True))).json()
    assert [i["id"] for i in r["items"]] == [qpv["id"], near["id"]]
    # default centre of a pupil: their school (collège Robert Schuman, Mâcon)
    r = requests.get(gw + "/api/v1/offers", params={"q": f"ebeniste {tag}"},
                     headers=h(pupil(key, uai="0710534V"))).json()
    assert r["centre"]["source"] == "school" and abs(r["centre"]["lat"] - 46.32002) < 1e-4
    assert [i["id"] for i in r["items"]] == [near["id"]]


def test_relaxed_fallback_is_flagged(gw, key):
    emp = token(key, "employer")
    [o] = create_published(gw, emp, address={"street": "1 rue", "commune_insee": "2A004"})  # Ajaccio
    r = requests.get(gw + "/api/v1/offers", params={"commune": "2A004", "radius_km": 5, "q": "astronaute",
                                                    "sector": "s3"}, headers=h(pupil(key))).json()
    assert r["relaxed"] is True and o["id"] in [i["id"] for i in r["items"]]
    r = requests.get(gw + "/api/v1/offers", params={"commune": "2A004", "radius_km": 5, "q": "boulanger"},
                     headers=h(pupil(key))).json()
    assert r["relaxed"] is False and o["id"] in [i["id"] for i in r["items"]]


def test_200_concurrent_reservations_on_3_seats(gw, key, amqp_uri):
    [o] = create_published(gw, token(key, "employer"))
    with cluster_rpc(amqp_uri) as rpc:
        calls = [rpc.offers.reserve_seat.call_async(offer_id=o["id"], application_id=str(uuid.uuid4()),
                                                    week=o["offer_weeks"][0]) for _ in range(200)]
        outcomes = []
        for c in calls:
            try:
                c.result()
                outcomes.append("ok")
            except Exception as exc:
                outcomes.append(getattr(exc, "code", type(exc).__name__))
    assert outcomes.count("ok") == 3 and outcomes.count("offer_full") == 197
    # a full offer leaves the search
    r = requests.get(gw + "/api/v1/offers", params={"commune": "71270", "radius_km": 5}, headers=h(pupil(key)))
    assert o["id"] not in [i["id"] for i in r.json()["items"]]


def test_republish_blockers_and_timer(gw, key, amqp_uri):
    emp = token(key, "employer")
    year, weeks = future_weeks(n=1, skip=0)
    [o] = create_published(gw, emp, weeks=weeks, school_year=year)
    last = dt.date.fromisoformat(o["last_day"])
    saved = PROCESS_CLOCK.offset.total_seconds()
    try:
        PROCESS_CLOCK.set_offset((dt.datetime.combine(last + dt.timedelta(days=3), dt.time(12),
                                                      dt.timezone.utc) - PROCESS_CLOCK.now()).total_seconds()
                                 + PROCESS_CLOCK.offset.total_seconds())
        with cluster_rpc(amqp_uri) as rpc:
            assert o["id"] in rpc.offers.move_past_offers()["moved"]
        r = requests.get(gw + f"/api/v1/offers/{o['id']}", headers=h(emp))
        assert r.json()["state"] == "need_to_be_updated"
        r = requests.post(gw + f"/api/v1/offers/{o['id']}/publish", headers=h(emp))
        assert r.status_code == 409 and r.json()["code"] == "republish_blocked"
        assert "choisissez des semaines à venir" in r.json()["detail"]
        assert [b["code"] for b in r.json()["blockers"]] == ["weeks"]
    finally:
        PROCESS_CLOCK.set_offset(saved)


def test_partner_api_rules_and_rate_limit(gw, key):
    op = token(key, "operator")
    year, weeks = future_weeks()
    body = {"remote_id": "p-1", "title": "Développeur web", "description": "Découverte du métier de développeur.",
            "employer_name": "ACME", "sector": "s31", "permalink": "https://partner.example/o/1",
            "address": {"street": "1 rue de Lyon", "postal_code": "71000"}, "grades": ["troisieme"],
            "weeks": weeks, "seats": 2}
    r = requests.post(gw + "/api/v1/partner/offers", json=body, headers=h(op))
    assert r.status_code == 201 and r.json()["state"] == "published"
    assert requests.post(gw + "/api/v1/partner/offers", json=body, headers=h(op)).status_code == 409
    r = requests.post(gw + "/api/v1/partner/offers", json={**body, "remote_id": "p-2", "grades": ["quatrieme",
                                                                                                 "seconde"]},
                      headers=h(op))
    assert r.status_code == 422 and "grades" in r.json()["errors"]
    r = requests.post(gw + "/api/v1/partner/offers", json={**body, "remote_id": "p-3", "grades": ["seconde"],
                                                           "weeks": []}, headers=h(op))
    assert r.status_code == 422 and "period" in r.json()["errors"]
    r = requests.patch(gw + "/api/v1/partner/offers/p-1", json={"seats": 4}, headers=h(op))
    assert r.status_code == 200 and r.json()["seats"] == 4
    assert requests.get(gw + "/api/v1/partner/offers", headers=h(op)).json()["total"] == 1
    assert requests.get(gw + "/api/v1/partner/offers", headers=h(token(key, "employer"))).status_code == 403
    assert requests.delete(gw + "/api/v1/partner/offers/p-1", headers=h(op)).status_code == 200
    assert requests.delete(gw + "/api/v1/partner/offers/p-1", headers=h(op)).status_code == 404
    codes = [requests.get(gw + "/api/v1/partner/offers", headers=h(op)).status_code for _ in range(92)]
    assert codes == [200] * 92  # 8 + 92 = 100 calls in the minute (the 403 never reached the service)
    r = requests.get(gw + "/api/v1/partner/offers", headers=h(op))
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["code"] == "rate_limited"


def test_sectors_calendar_and_openapi(gw, key):
    r = requests.get(gw + "/api/v1/sectors")
    assert len(r.json()) == 51 and r.json()[0] == {"id": "s1", "name": "Agroéquipement"}
    r = requests.get(gw + "/api/v1/offers/calendar", params={"school_year": "2025-2026"})
    assert r.json()["seconde"]["both"]["start"] == "2026-06-15" and r.json()["seconde"]["both"]["end"] == "2026-06-26"
    r = requests.put(gw + "/api/v1/offers/calendar/2027-2028", json={"seconde_week1_start": "2028-06-12"},
                     headers=h(token(key, "admin")))
    assert r.status_code == 200 and r.json()["seconde"]["week1"]["start"] == "2028-06-12"
    assert requests.put(gw + "/api/v1/offers/calendar/2027-2028", json={},
                        headers=h(token(key, "employer"))).status_code == 403
    doc = requests.get(gw + "/openapi.json").json()
    assert "/api/v1/offers/{offer_id}/publish" in doc["paths"] and "/api/v1/partner/offers" in doc["paths"]
    from openapi_spec_validator import validate
    validate(doc)


def test_places_from_a_name_a_postal_code_or_an_address(gw):
    r = requests.get(gw + "/api/v1/places", params={"q": "st etienne"})
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["insee_code"] == "42218" and r.json()["items"][0]["name"] == "Saint-Étienne"
    r = requests.get(gw + "/api/v1/places", params={"q": "12 rue Carnot, 71000 Mâcon", "limit": 3})
    assert r.json()["items"][0]["insee_code"] == "71270" and "71000" in r.json()["items"][0]["postal_codes"]
    assert requests.get(gw + "/api/v1/places", params={"q": "Nullepart-sur-Rien"}).json() == {"items": []}
    r = requests.get(gw + "/api/v1/places")
    assert r.status_code == 422 and "q" in r.json()["errors"]


def test_unpublish_duplicate_remove_and_double_submitted_duplicate(gw, key):
    emp = token(key, "employer")
    [o] = create_published(gw, emp)
    other = token(key, "employer")
    assert requests.post(gw + f"/api/v1/offers/{o['id']}/unpublish", headers=h(other)).status_code == 404
    r = requests.post(gw + f"/api/v1/offers/{o['id']}/unpublish", headers=h(emp))
    assert r.status_code == 200 and r.json()["state"] == "unpublished"
    assert requests.get(gw + f"/api/v1/offers/{o['id']}", headers=h(pupil(key))).json()["can_apply"] is False
    r = requests.post(gw + f"/api/v1/offers/{o['id']}/unpublish", headers=h(emp))
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"
    hdr = h(emp, **{"Idempotency-Key": str(uuid.uuid4())})
    d1 = requests.post(gw + f"/api/v1/offers/{o['id']}/duplicate", json={"keep_place": False}, headers=hdr)
    d2 = requests.post(gw + f"/api/v1/offers/{o['id']}/duplicate", json={"keep_place": False}, headers=hdr)
    assert d1.status_code == d2.status_code == 201 and d1.json()["id"] == d2.json()["id"]
    copy = d1.json()
    assert copy["state"] == "draft" and copy["duplicated_from"] == o["id"] and copy["weeks"] == []
    assert copy["address"] is None and copy["title"] == o["title"] and copy["completed_steps"] == ["organisation"]
    r = requests.post(gw + f"/api/v1/offers/{o['id']}/publish", headers=h(emp))
    assert r.status_code == 200 and r.json()["offers"][0]["state"] == "published"  # republished
    r = requests.delete(gw + f"/api/v1/offers/{o['id']}", headers=h(emp))
    assert r.status_code == 200 and r.json()["state"] == "removed"
    assert requests.get(gw + f"/api/v1/offers/{o['id']}", headers=h(pupil(key))).status_code == 404
    states = {x["id"]: x["state"] for x in requests.get(gw + "/api/v1/me/offers", headers=h(emp)).json()["items"]}
    assert states == {copy["id"]: "draft"}
