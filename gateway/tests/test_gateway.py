"""The gateway's pipeline, with an in-process gateway and a probe route:
problem+json errors with French field messages, size limits, token checks,
request ids, and a valid OpenAPI document."""
import datetime as dt
import json
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from openapi_spec_validator import validate

from common.errors import Conflict
from testkit.harness import free_port
from gateway import api, security, service
from gateway.api import obj, route

PROBE_BODY = obj({
    "name": {"type": "string", "minLength": 2, "maxLength": 10},
    "seats": {"type": "integer", "minimum": 1, "maximum": 6000},
    "grade": api.GRADE,
    "contact": obj({"email": {"type": "string", "format": "email"}}, ["email"]),
}, ["name", "seats"])


def _register_probe_routes():
    if any(r.path == "/api/v1/_probe" for r in api.ROUTES):
        return

    @route("POST", "/api/v1/_probe", summary="probe", auth="none", body=PROBE_BODY, status=201,
           response={"type": "object"})
    def probe(req):
        if req.body["name"] == "taken":
            raise Conflict("Ce nom est déjà pris.", code="name_taken")
        return {"echo": req.body, "request_id": req.request_id}

    @route("GET", "/api/v1/_probe/me", summary="probe auth", roles=["employer"], response={"type": "object"})
    def probe_me(req):
        return req.actor

    @route("GET", "/api/v1/_probe/limited", summary="probe limit", auth="none", rate_limit=(3, 60))
    def probe_limited(req):
        return {"ok": True}


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _jwks(key, kid):
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]}


def _token(key, kid, **overrides):
    now = dt.datetime.now(dt.timezone.utc)
    claims = {"sub": str(uuid.uuid4()), "role": "employer", "iss": security.ISSUER, "aud": security.AUDIENCE,
              "iat": now, "exp": now + dt.timedelta(minutes=15), "typ": "access", **overrides}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def gateway(start_service):
    _register_probe_routes()
    service.GatewayService.router = None
    port = free_port()
    start_service(service.GatewayService, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def signing_key():
    key, kid = _key(), "test-key"
    security_keys = dict(service.verifier.keys)
    service.verifier.load_jwks(_jwks(key, kid))
    service.verifier._last_refresh = 1e18  # never ask identity: it is not running here
    yield key, kid
    service.verifier.keys = security_keys
    service.verifier._last_refresh = 0.0


def test_validation_errors_are_problem_json_in_french_field_by_field(gateway):
    r = requests.post(gateway + "/api/v1/_probe", json={"name": "x", "seats": 0, "grade": "cm2",
                                                        "contact": {}, "extra": 1})
    assert r.status_code == 422
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 422 and body["code"] == "validation_error"
    assert body["errors"] == {
        "name": ["Ce champ doit contenir au moins 2 caractères."],
        "seats": ["La valeur doit être supérieure ou égale à 1."],
        "grade": ["Valeur non autorisée. Valeurs possibles : quatrieme, troisieme, seconde."],
        "contact.email": ["Ce champ est obligatoire."],
        "extra": ["Champ inconnu."],
    }
    assert body["request_id"] == r.headers["X-Request-ID"]


def test_good_input_passes_and_domain_errors_keep_their_status(gateway):
    r = requests.post(gateway + "/api/v1/_probe", json={"name": "ok", "seats": 3},
                      headers={"X-Request-ID": "req-42"})
    assert r.status_code == 201 and r.json() == {"echo": {"name": "ok", "seats": 3}, "request_id": "req-42"}
    r = requests.post(gateway + "/api/v1/_probe", json={"name": "taken", "seats": 3})
    assert r.status_code == 409 and r.json()["detail"] == "Ce nom est déjà pris."


def test_malformed_json_oversized_bodies_and_wrong_types_are_refused(gateway):
    r = requests.post(gateway + "/api/v1/_probe", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    r = requests.post(gateway + "/api/v1/_probe", data="x" * (1024 * 1024 + 10),
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
    r = requests.post(gateway + "/api/v1/_probe", data="name=x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = requests.get(gateway + "/nowhere")
    assert r.status_code == 404 and r.json()["detail"] == "Cette adresse n'existe pas."


def test_tokens_are_checked(gateway, signing_key):
    key, kid = signing_key
    url = gateway + "/api/v1/_probe/me"
    assert requests.get(url).status_code == 401
    good = _token(key, kid, school_uai=None)
    r = requests.get(url, headers={"Authorization": f"Bearer {good}"})
    assert r.status_code == 200 and r.json()["role"] == "employer" and "user_id" in r.json()

    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    expired = _token(key, kid, exp=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1))
    wrong_key = _token(_key(), kid)
    unknown_kid = _token(key, "other")
    for bad, code in [(tampered, "invalid_token"), (expired, "token_expired"), (wrong_key, "invalid_token"),
                      (unknown_kid, "invalid_token"), ("garbage", "invalid_token")]:
        r = requests.get(url, headers={"Authorization": f"Bearer {bad}"})
        assert r.status_code == 401 and r.json()["code"] == code, (code, r.text)
    pupil = _token(key, kid, role="pupil")
    r = requests.get(url, headers={"Authorization": f"Bearer {pupil}"})
    assert r.status_code == 403 and r.json()["code"] == "role_forbidden"


def test_rate_limit_answers_429_with_retry_after(gateway):
    codes = [requests.get(gateway + "/api/v1/_probe/limited").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = requests.get(gateway + "/api/v1/_probe/limited")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1


def test_openapi_document_is_valid_and_lists_routes(gateway):
    doc = requests.get(gateway + "/openapi.json").json()
    validate(doc)  # raises if the document is not valid OpenAPI 3.1
    assert doc["openapi"] == "3.1.0"
    assert "/api/v1/_probe" in doc["paths"] and "/readyz" in doc["paths"]
    post = doc["paths"]["/api/v1/_probe"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["required"] == ["name", "seats"]
    assert "422" in post["responses"]


def test_readyz_names_the_services_that_do_not_answer(gateway):
    r = requests.get(gateway + "/readyz")
    assert r.status_code == 503
    assert r.json()["services"]["offers"]["status"] == "down"
    assert requests.get(gateway + "/healthz").json() == {"status": "ok", "service": "gateway"}


def test_a_verified_token_is_reused_until_it_expires_or_the_keys_change():
    """The verifier caches what it checked (a client sends the same token with every request):
    the cache never outlives the token, nor the key that signed it."""
    import time as _time
    key, kid = _key(), "k1"
    verifier = security.JwtVerifier(leeway=0)
    verifier.load_jwks(_jwks(key, kid))
    token = _token(key, kid, exp=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2))
    claims = verifier.verify(token)
    assert verifier.verify(token) is claims  # from the cache
    verifier.load_jwks(_jwks(_key(), "k2"))  # rotation: k1 withdrawn
    with pytest.raises(security.Unauthorized):
        verifier.verify(token)
    verifier.load_jwks(_jwks(key, kid))
    assert verifier.verify(token)["sub"] == claims["sub"]
    _time.sleep(2.2)
    with pytest.raises(security.Unauthorized) as info:
        verifier.verify(token)
    assert info.value.code == "token_expired"
    small = security.JwtVerifier(cache_size=4)
    small.load_jwks(_jwks(key, kid))
    for _ in range(9):
        small.verify(_token(key, kid))
    assert len(small._verified) <= 4
