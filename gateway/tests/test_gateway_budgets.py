"""Issue 14, items 7-9 at the gateway, with an in-process gateway and probe routes that declare their
own small budgets (this run's Redis prefix: nothing of the machine's budgets is spent):
budgets per account first and per address as a backstop, shared through Redis, not charged for
invalid requests, documented with their headers; the client address behind trusted proxies; and
closed sessions refused at once."""
import datetime as dt
import json
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from common import kv
from common.errors import NotFound, RateLimited, ServiceUnavailable
from testkit.harness import free_port
from gateway import api, security, service
from gateway.api import obj, route
from gateway.budgets import Budget, Limiter
from gateway.security import client_ip

SIGNUP = obj({"email": {"type": "string", "minLength": 3, "maxLength": 254}, "name": {"type": "string"}},
             ["email"])


def _register_probe_routes():
    if any(r.path == "/api/v1/_budget/signup" for r in api.ROUTES):
        return

    @route("POST", "/api/v1/_budget/signup", summary="probe budgets", auth="none", body=SIGNUP, status=201,
           response={"type": "object"}, rate_limit=[Budget(3, 600, per="body:email"), Budget(5, 600, per="ip")])
    def budget_signup(req):
        return {"ok": True}

    @route("GET", "/api/v1/_budget/links/<token>", summary="probe link budgets", auth="none",
           response={"type": "object"}, rate_limit=[Budget(2, 600, per="path:token"), Budget(50, 600, per="ip")])
    def budget_link(req):
        if req.path["token"].startswith("unknown"):
            raise NotFound("Lien invalide.", code="link_unknown")
        return {"ok": True}

    @route("GET", "/api/v1/_budget/ip", summary="probe client address", auth="none", response={"type": "object"})
    def budget_ip(req):
        return {"ip": req.ip}

    @route("GET", "/api/v1/_budget/me", summary="probe session", response={"type": "object"})
    def budget_me(req):
        return req.actor


@pytest.fixture
def gateway(start_service):
    _register_probe_routes()
    service.GatewayService.router = None
    port = free_port()
    start_service(service.GatewayService, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    return f"http://127.0.0.1:{port}"


def test_budgets_per_account_first_and_per_address_as_a_backstop(gateway):
    url = gateway + "/api/v1/_budget/signup"
    # invalid requests spend nothing (340 of them used to block every registration for an hour)
    for _ in range(8):
        assert requests.post(url, json={"email": "a@example.com", "name": 1}).status_code == 422
    answers = [requests.post(url, json={"email": "A@example.com "}) for _ in range(3)]
    assert [r.status_code for r in answers] == [201, 201, 201]
    assert [r.headers["RateLimit-Remaining"] for r in answers] == ["2", "1", "0"]
    assert answers[0].headers["RateLimit-Limit"] == "3" and 0 < int(answers[0].headers["RateLimit-Reset"]) <= 600
    limited = requests.post(url, json={"email": "a@example.com"})          # the same account (case-folded)
    assert limited.status_code == 429 and limited.headers["Content-Type"] == "application/problem+json"
    assert 0 < int(limited.headers["Retry-After"]) <= 600
    assert limited.headers["RateLimit-Limit"] == "3" and limited.headers["RateLimit-Remaining"] == "0"
    assert limited.headers["RateLimit-Reset"] == limited.headers["Retry-After"]
    # another account from the same address still passes, until the address's backstop
    assert requests.post(url, json={"email": "b@example.com"}).status_code == 201
    assert requests.post(url, json={"email": "c@example.com"}).status_code == 201
    r = requests.post(url, json={"email": "d@example.com"})
    assert r.status_code == 429 and r.headers["RateLimit-Limit"] == "5"


def test_budgets_are_shared_by_replicas_through_redis(gateway):
    url = gateway + "/api/v1/_budget/links/"
    token = uuid.uuid4().hex
    assert [requests.get(url + token).status_code for _ in range(2)] == [200, 200]
    # another replica: its own limiter object, the same Redis
    other = Limiter()

    class Req:
        actor, ip, path, body = None, "127.0.0.1", {"token": token}, None

    with pytest.raises(RateLimited):
        other.read("budget_link", [Budget(2, 600, per="path:token")], Req)
    assert any(kv.client().scan_iter(match=f"{kv.key('limits')}:*"))
    # per link: another link from the same address is not affected; a refused link spends its own budget
    assert requests.get(url + uuid.uuid4().hex).status_code == 200
    bad = "unknown" + uuid.uuid4().hex
    assert [requests.get(url + bad).status_code for _ in range(3)] == [404, 404, 429]


def test_openapi_documents_429_with_the_rate_limit_headers(gateway):
    doc = requests.get(gateway + "/openapi.json").json()
    op = doc["paths"]["/api/v1/_budget/signup"]["post"]
    assert set(op["responses"]["429"]["headers"]) == {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining",
                                                      "RateLimit-Reset"}
    assert "3 requêtes par 10 minutes par adresse e-mail" in op["responses"]["429"]["description"]
    assert set(op["responses"]["201"]["headers"]) == {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
    assert set(doc["components"]["headers"]) >= {"Retry-After", "RateLimit-Limit"}
    # every route that may answer 429 documents it with the headers
    for path, ops in doc["paths"].items():
        for method, o in ops.items():
            if "429" in o["responses"]:
                assert "Retry-After" in o["responses"]["429"]["headers"], (method, path)
    for path in ("/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/password-reset",
                 "/api/v1/auth/pupil-activate", "/api/v1/public/conventions/{token}"):
        assert "429" in next(iter(doc["paths"][path].values()))["responses"], path


def test_client_address_counts_trusted_hops_from_the_right():
    forged = ["6.6.6.6, 198.51.100.4", "203.0.113.9"]   # the client wrote 6.6.6.6; two proxies appended
    assert client_ip("10.0.0.2", forged, 0) == "10.0.0.2"
    assert client_ip("10.0.0.2", forged, 1) == "203.0.113.9"
    assert client_ip("10.0.0.2", forged, 2) == "198.51.100.4"
    assert client_ip("10.0.0.2", ["203.0.113.9"], 2) == "10.0.0.2"   # fewer addresses than hops: the peer
    assert client_ip(None, [], 1) == "unknown"


def test_forwarded_for_behind_one_proxy(gateway, monkeypatch):
    url = gateway + "/api/v1/_budget/ip"
    forged = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}
    monkeypatch.setenv("GATEWAY_TRUST_PROXY", "1")          # the setting of the old code: one proxy
    assert requests.get(url, headers=forged).json()["ip"] == "203.0.113.9"   # was 6.6.6.6, the client's choice
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXY_HOPS", "2")
    assert requests.get(url, headers=forged).json()["ip"] == "6.6.6.6"
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXY_HOPS", "0")
    assert requests.get(url, headers=forged).json()["ip"] == "127.0.0.1"


@pytest.fixture
def signing_key():
    key, kid = rsa.generate_private_key(public_exponent=65537, key_size=2048), "budget-key"
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    old = dict(service.verifier.keys)
    service.verifier.load_jwks({"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]})
    service.verifier._last_refresh = 1e18  # never ask identity: it is not running here
    yield key, kid
    service.verifier.keys = old
    service.verifier._last_refresh = 0.0


def _token(key, kid, **claims):
    now = dt.datetime.now(dt.timezone.utc)
    payload = {"sub": str(uuid.uuid4()), "role": "employer", "iss": security.ISSUER, "aud": security.AUDIENCE,
               "iat": now, "exp": now + dt.timedelta(minutes=15), "typ": "access", **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def test_a_closed_session_is_refused_at_once(gateway, signing_key, monkeypatch):
    url = gateway + "/api/v1/_budget/me"
    sid = str(uuid.uuid4())
    token = {"Authorization": "Bearer " + _token(*signing_key, sid=sid)}
    assert requests.get(url, headers=token).status_code == 200            # verified, and cached
    kv.client().set(kv.revoked_session_key(sid), "1", ex=60)                # what identity writes on closing
    r = requests.get(url, headers=token)
    assert r.status_code == 401 and r.json()["code"] == "session_revoked"
    other = {"Authorization": "Bearer " + _token(*signing_key, sid=str(uuid.uuid4()))}
    assert requests.get(url, headers=other).status_code == 200
    # Redis does not answer: the gateway asks identity; identity does not answer here either, so the
    # request fails (503) instead of being let through
    monkeypatch.setenv("STAGES_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    r = requests.get(url, headers=other)
    assert r.status_code == 503, r.text


def test_session_check_asks_identity_when_redis_does_not_answer(monkeypatch):
    monkeypatch.setenv("STAGES_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    check = security.SessionCheck()
    asked = []
    check.check({"sid": "s1"}, lambda sid: asked.append(sid) or {"active": True})
    with pytest.raises(Exception) as e:
        check.check({"sid": "s2"}, lambda sid: asked.append(sid) or {"active": False})
    assert e.value.code == "session_revoked" and asked == ["s1", "s2"]
    check.check({}, lambda sid: pytest.fail("tokens without a session are not looked up"))

    def identity_down(sid):
        raise ServiceUnavailable("Le service « identity » ne répond pas.")

    with pytest.raises(ServiceUnavailable):
        check.check({"sid": "s3"}, identity_down)
