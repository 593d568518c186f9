"""Issue 20, the transport half: the gateway's OpenID Connect client against the REAL local provider
(deploy/oidc-provider, npm oidc-provider) up to a validated claims dict.

The gateway runs in-process; identity is a temporary stand-in of its two federation RPCs (the contract of
``identity.federated_sign_in`` / ``identity.link_federated_identity``): these tests check what the gateway
passes on and how it answers, not identity's rules (tests/test_federation.py checks the whole platform)."""
from __future__ import annotations

import base64
import datetime as dt
import json
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from nameko.rpc import rpc

from common.errors import Conflict, Forbidden
from gateway import security, service
from gateway.federation import flow, oidc, settings
from gateway.federation.settings import ProviderSettings
from testkit.harness import free_port
from testkit.oidc import OidcProvider, end_session_at_provider, sign_in_at_provider

CALLBACK = "http://127.0.0.1:8080/connexion/educonnect/retour"
AGENTS_CALLBACK = "http://127.0.0.1:8080/connexion/agents/retour"
HOME = "http://127.0.0.1:8080/"
UNKNOWN_SCHOOL = "0139999Z"


class IdentityStandIn:
    """Stand-in of identity's two federation RPCs, for this module only (the real ones are identity's)."""
    name = "identity"
    calls: list = []
    mint = None   # makes the access token (a signed one, for the tests that call the gateway with it)

    @rpc
    def federated_sign_in(self, provider, claims, client=None):
        IdentityStandIn.calls.append({"rpc": "federated_sign_in", "provider": provider, "claims": claims,
                                      "client": client})
        if claims.get("FrEduCtPersonAffiliation") == "resp2d":
            raise Forbidden("Seuls les élèves se connectent avec ÉduConnect.", code="federation_parent")
        if UNKNOWN_SCHOOL in (claims.get("FrEduCtEleveUAI"), claims.get("rne")):
            raise Forbidden("Votre établissement n'est pas encore raccordé.", code="federation_unknown_school")
        token = IdentityStandIn.mint() if IdentityStandIn.mint else "a.b.c"
        return {"access_token": token, "token_type": "Bearer", "expires_in": 900, "refresh_token": "r",
                "user": {"id": str(uuid.uuid4()), "role": "pupil" if provider == "educonnect" else "school_staff",
                         "status": "active"}}

    @rpc
    def logout(self, refresh_token=None, actor=None, all_sessions=False):
        return {"status": "logged_out", "revoked_sessions": 1}

    @rpc
    def link_federated_identity(self, actor, provider, claims):
        IdentityStandIn.calls.append({"rpc": "link_federated_identity", "provider": provider, "claims": claims,
                                      "actor": actor})
        if claims["sub"] == "ect-eleve-noah":
            raise Conflict("Cette identité ÉduConnect est déjà liée à un autre compte.",
                           code="federation_already_linked")
        return {"linked": True, "user_id": actor["user_id"]}


@pytest.fixture(scope="module")
def op(tmp_path_factory):
    with OidcProvider([CALLBACK, AGENTS_CALLBACK], [HOME],
                      log_path=tmp_path_factory.mktemp("oidc") / "provider.log") as provider:
        yield provider


@pytest.fixture
def gateway(start_service, op, monkeypatch):
    for k, v in op.gateway_env([CALLBACK, AGENTS_CALLBACK], post_logout_redirect_uri=HOME).items():
        monkeypatch.setenv(k, v)
    oidc.CACHE.clear()
    IdentityStandIn.calls.clear()
    IdentityStandIn.mint = None
    start_service(IdentityStandIn)
    service.GatewayService.router = None
    port = free_port()
    start_service(service.GatewayService, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def signing_key():
    key, kid = rsa.generate_private_key(public_exponent=65537, key_size=2048), "federation-key"
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    old = dict(service.verifier.keys)
    service.verifier.load_jwks({"keys": [{**public, "kid": kid, "use": "sig", "alg": "RS256"}]})
    service.verifier._last_refresh = 1e18  # never ask identity for its keys: the stand-in has none
    yield key, kid
    service.verifier.keys = old
    service.verifier._last_refresh = 0.0


def _jwt(key, kid, user_id, role="pupil", **claims):
    now = dt.datetime.now(dt.timezone.utc)
    payload = {"sub": user_id, "role": role, "iss": security.ISSUER, "aud": security.AUDIENCE, "iat": now,
               "exp": now + dt.timedelta(minutes=15), "typ": "access", **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


def _token(key, kid, user_id, role="pupil"):
    return {"Authorization": "Bearer " + _jwt(key, kid, user_id, role)}


def start(gateway, provider="educonnect", redirect_uri=CALLBACK, purpose="login", headers=None):
    r = requests.post(f"{gateway}/api/v1/auth/federation/{provider}/start",
                      json={"redirect_uri": redirect_uri, "purpose": purpose}, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["authorization_url"]


def callback(gateway, answer, provider="educonnect", headers=None):
    return requests.post(f"{gateway}/api/v1/auth/federation/{provider}/callback",
                         json={k: answer[k] for k in ("code", "state", "iss") if k in answer}, headers=headers,
                         timeout=30)


def problem(r, status, code):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["code"] == code, r.text
    return r.json()


def test_configured_providers_are_listed_and_others_answer_404(gateway, monkeypatch):
    r = requests.get(gateway + "/api/v1/auth/federation", timeout=10)
    assert r.status_code == 200 and [p["name"] for p in r.json()["providers"]] == ["educonnect", "fim"]
    problem(requests.post(gateway + "/api/v1/auth/federation/franceconnect/start", json={}, timeout=10), 404,
            "federation_not_configured")
    monkeypatch.delenv("FEDERATION_FIM_ISSUER")
    body = problem(requests.post(gateway + "/api/v1/auth/federation/fim/start", json={}, timeout=10), 404,
                   "federation_not_configured")
    assert "n'est pas disponible" in body["detail"]
    assert [p["name"] for p in requests.get(gateway + "/api/v1/auth/federation", timeout=10).json()["providers"]] \
        == ["educonnect"]


def test_a_pupil_signs_in_and_identity_receives_the_validated_claims(gateway, op):
    url = start(gateway)
    assert url.startswith(op.issuer("educonnect") + "/auth?")
    for part in ("code_challenge_method=S256", "acr_values=eleve", "nonce=", "state=",
                 "scope=openid+profile+ect.scope.cnx+ect.scope.stage"):
        assert part in url
    answer = sign_in_at_provider(url, "ect-eleve-inaya", CALLBACK)
    r = callback(gateway, answer)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["access_token"] == "a.b.c" and body["federation"]["provider"] == "educonnect"
    end = body["federation"]["end_session_url"]
    assert end.startswith(op.issuer("educonnect") + "/session/end?") and "id_token_hint=" in end
    call, = IdentityStandIn.calls
    assert call["rpc"] == "federated_sign_in" and call["provider"] == "educonnect"
    assert call["claims"] == {
        "sub": "ect-eleve-inaya", "iss": op.issuer("educonnect"), "acr": "eleve", "given_name": "Inaya",
        "family_name": "Benali", "FrEduCtId": "ect-eleve-inaya", "FrEduCtPersonAffiliation": "eleve",
        "FrEduCtEleveINE": "070123456AB", "FrEduCtEleveUAI": "0131884C", "FrEduCtEleveNiveau": "2116",
        "FrEduCtEleveClasse": "3B", "FrEduCtDateNaissance": "2012-05-14"}   # no nonce, audience, hashes
    assert set(call["client"]) == {"ip", "user_agent"}
    # the same answer again: the state was used
    problem(callback(gateway, answer), 422, "federation_state_invalid")
    # the provider's session ends through the URL given, and the browser comes back to the site
    assert end_session_at_provider(end) == HOME


def test_a_second_sign_in_in_the_same_browser_and_a_staff_sign_in_through_fim(gateway, op):
    browser = requests.Session()
    for _ in range(2):
        r = callback(gateway, sign_in_at_provider(start(gateway), "ect-eleve-noah", CALLBACK, http=browser))
        assert r.status_code == 200, r.text
    assert [c["claims"]["sub"] for c in IdentityStandIn.calls] == ["ect-eleve-noah", "ect-eleve-noah"]
    url = start(gateway, "fim", AGENTS_CALLBACK)
    assert "scope=openid+profile+email+stage" in url and "acr_values" not in url
    r = callback(gateway, sign_in_at_provider(url, "fim-dir-claire", AGENTS_CALLBACK), "fim")
    assert r.status_code == 200, r.text
    claims = IdentityStandIn.calls[-1]["claims"]
    assert claims["FrEduFonctAdm"] == "DIR" and claims["rne"] == "0131884C"
    assert [v.split("$")[0] for v in claims["FrEduRneResp"]] == ["0131884C", "0130007M"]
    assert claims["email"].endswith("@ac-aix-marseille.fr")


def test_logout_of_a_session_opened_by_a_provider_gives_its_end_session_address(gateway, signing_key):
    sid = str(uuid.uuid4())
    IdentityStandIn.mint = lambda: _jwt(*signing_key, str(uuid.uuid4()), sid=sid)
    signed_in = callback(gateway, sign_in_at_provider(start(gateway), "ect-eleve-inaya", CALLBACK)).json()
    end = signed_in["federation"]["end_session_url"]
    bearer = {"Authorization": "Bearer " + signed_in["access_token"]}
    r = requests.post(gateway + "/api/v1/auth/logout", json={"refresh_token": "r"}, headers=bearer, timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "logged_out", "revoked_sessions": 1,
                                                 "end_session_url": end}
    r = requests.post(gateway + "/api/v1/auth/logout", json={"refresh_token": "r"}, headers=bearer, timeout=10)
    assert r.status_code == 200 and "end_session_url" not in r.json()        # given once
    # a password session (no provider) logs out as before
    other = {"Authorization": "Bearer " + _jwt(*signing_key, str(uuid.uuid4()), sid=str(uuid.uuid4()))}
    r = requests.post(gateway + "/api/v1/auth/logout", json={"refresh_token": "r"}, headers=other, timeout=10)
    assert r.status_code == 200 and "end_session_url" not in r.json()


def test_identity_refusals_come_back_as_problems(gateway):
    r = callback(gateway, sign_in_at_provider(start(gateway), "ect-parent-karim", CALLBACK))
    body = problem(r, 403, "federation_parent")
    # still signed in at the provider: the refusal says how to end that session
    assert "id_token_hint=" in body["end_session_url"] and end_session_at_provider(body["end_session_url"]) == HOME
    r = callback(gateway, sign_in_at_provider(start(gateway), "ect-eleve-inconnu", CALLBACK))
    problem(r, 403, "federation_unknown_school")


def test_tampered_unknown_or_foreign_state_is_refused(gateway):
    answer = sign_in_at_provider(start(gateway), "ect-eleve-inaya", CALLBACK)
    body = problem(callback(gateway, {**answer, "state": answer["state"][:-2] + "xx"}), 422,
                   "federation_state_invalid")
    assert "Recommencez" in body["errors"]["state"][0]
    # a state started for ÉduConnect does not finish at FIM
    problem(callback(gateway, answer, provider="fim"), 422, "federation_state_invalid")
    # the attempt was spent by that try: the genuine answer is refused too (single use)
    problem(callback(gateway, answer), 422, "federation_state_invalid")
    # a wrong issuer in the answer (mix-up) is refused
    answer = sign_in_at_provider(start(gateway), "ect-eleve-inaya", CALLBACK)
    problem(callback(gateway, {**answer, "iss": "https://evil.example"}), 422, "federation_state_invalid")
    assert IdentityStandIn.calls == []


def test_a_code_bound_to_another_nonce_is_refused(gateway, op):
    """An authorization made with the attempt's PKCE challenge but another nonce (a code injected by someone
    else): the code exchange succeeds, the ID token's nonce is not the attempt's."""
    url = start(gateway)
    state = requests.utils.urlparse(url).query
    params = dict(p.split("=", 1) for p in state.split("&"))
    forged = url.replace("nonce=" + params["nonce"], "nonce=another-nonce-0123456789")
    r = callback(gateway, sign_in_at_provider(forged, "ect-eleve-inaya", CALLBACK))
    problem(r, 401, "federation_nonce_mismatch")
    assert IdentityStandIn.calls == []


def test_a_reused_or_foreign_code_is_refused(gateway):
    first = sign_in_at_provider(start(gateway), "ect-eleve-inaya", CALLBACK)
    assert callback(gateway, first).status_code == 200
    # the same code with a fresh attempt (its own state and PKCE verifier): the provider refuses it
    fresh = sign_in_at_provider(start(gateway), "ect-eleve-inaya", CALLBACK)
    body = problem(callback(gateway, {**fresh, "code": first["code"]}), 422, "federation_code_invalid")
    assert "expiré ou a déjà servi" in body["errors"]["code"][0]


def test_an_expired_code_is_refused(start_service, monkeypatch, tmp_path):
    with OidcProvider([CALLBACK], code_ttl=1, log_path=tmp_path / "provider.log") as short:
        for k, v in short.gateway_env(CALLBACK).items():
            monkeypatch.setenv(k, v)
        oidc.CACHE.clear()
        start_service(IdentityStandIn)
        service.GatewayService.router = None
        port = free_port()
        start_service(service.GatewayService, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
        gw = f"http://127.0.0.1:{port}"
        answer = sign_in_at_provider(start(gw), "ect-eleve-inaya", CALLBACK)
        time.sleep(2.5)   # the code lives 1 second
        problem(callback(gw, answer), 422, "federation_code_invalid")


def test_linking_needs_the_account_that_started_it(gateway, signing_key):
    user_id = str(uuid.uuid4())
    me = _token(*signing_key, user_id)
    r = requests.post(gateway + "/api/v1/auth/federation/educonnect/start", json={"purpose": "link"}, timeout=10)
    problem(r, 401, "missing_token")
    answer = sign_in_at_provider(start(gateway, purpose="link", headers=me), "ect-eleve-inaya", CALLBACK)
    problem(callback(gateway, answer, headers=_token(*signing_key, str(uuid.uuid4()))), 403,
            "federation_link_other_account")
    answer = sign_in_at_provider(start(gateway, purpose="link", headers=me), "ect-eleve-inaya", CALLBACK)
    r = callback(gateway, answer, headers=me)
    assert r.status_code == 200 and r.json() == {"provider": "educonnect", "linked": True, "user_id": user_id}
    call, = IdentityStandIn.calls
    assert call["rpc"] == "link_federated_identity" and call["actor"]["user_id"] == user_id
    answer = sign_in_at_provider(start(gateway, purpose="link", headers=me), "ect-eleve-noah", CALLBACK)
    problem(callback(gateway, answer, headers=me), 409, "federation_already_linked")


def test_bad_start_requests_and_a_provider_that_does_not_answer(gateway, monkeypatch):
    r = requests.post(gateway + "/api/v1/auth/federation/educonnect/start",
                      json={"redirect_uri": "https://evil.example/cb", "purpose": "login"}, timeout=10)
    body = problem(r, 422, "validation_error")
    assert "n'est pas déclarée" in body["errors"]["redirect_uri"][0]
    r = requests.post(gateway + "/api/v1/auth/federation/educonnect/start", json={"purpose": "steal"}, timeout=10)
    assert r.status_code == 422 and "purpose" in json.dumps(r.json()["errors"])
    with monkeypatch.context() as m:   # Redis does not answer: no attempt can be kept, none is started
        m.setenv("STAGES_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
        problem(requests.post(gateway + "/api/v1/auth/federation/educonnect/start", json={}, timeout=30), 503,
                "federation_unavailable")
    monkeypatch.setenv("FEDERATION_EDUCONNECT_ISSUER", f"http://127.0.0.1:{free_port()}/educonnect")
    oidc.CACHE.clear()
    body = problem(requests.post(gateway + "/api/v1/auth/federation/educonnect/start", json={}, timeout=30), 503,
                   "federation_unavailable")
    assert "ne répond pas" in body["detail"]


# -- the pure rules and the ID token checks, without the gateway ---------------------------------------------------

def _settings(op, provider="educonnect") -> ProviderSettings:
    return settings.provider_settings(provider, op.gateway_env(CALLBACK))


def test_id_tokens_are_checked_for_signature_issuer_audience_and_expiry(op, backends):
    s = _settings(op)
    oidc.CACHE.clear()
    state, attempt = flow.begin(s, "login", None, None, now=time.time())
    answer = sign_in_at_provider(oidc.authorization_url(s, state, attempt), "ect-eleve-inaya", CALLBACK)
    id_token = oidc.exchange_code(s, answer["code"], attempt)["id_token"]
    claims = oidc.validate_id_token(s, id_token, attempt.nonce)
    assert claims["sub"] == "ect-eleve-inaya" and claims["aud"] == "stages-web"
    head, payload, sig = id_token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**data, "FrEduCtEleveUAI": "0130007M"}).encode()).rstrip(b"=")
    for bad in (f"{head}.{forged.decode()}.{sig}", "not-a-token"):
        with pytest.raises(Exception) as e:
            oidc.validate_id_token(s, bad, attempt.nonce)
        assert e.value.code == "federation_token_invalid"
    with pytest.raises(Exception) as e:        # expired (an hour and more later)
        oidc.validate_id_token(s, id_token, attempt.nonce, now=data["exp"] + 3600)
    assert e.value.code == "federation_token_invalid"
    other_audience = ProviderSettings(**{**s.__dict__, "client_id": "another-client"})
    with pytest.raises(Exception) as e:
        oidc.validate_id_token(other_audience, id_token, attempt.nonce)
    assert e.value.code == "federation_token_invalid"
    with pytest.raises(Exception) as e:        # the FIM issuer's keys and name are not ÉduConnect's
        oidc.validate_id_token(_settings(op, "fim"), id_token, attempt.nonce)
    assert e.value.code == "federation_token_invalid"
    with pytest.raises(Exception) as e:
        oidc.validate_id_token(s, id_token, "another-nonce")
    assert e.value.code == "federation_nonce_mismatch"


def test_attempts_expire_and_belong_to_their_provider():
    s = ProviderSettings("educonnect", "https://op.example", "c", "s", (CALLBACK,))
    state, attempt = flow.begin(s, "login", None, None, now=1000.0)
    assert attempt.redirect_uri == CALLBACK and len(state) >= 40 and attempt.nonce != attempt.code_verifier
    assert flow.finish_check(attempt, "educonnect", None, now=1000.0 + settings.STATE_TTL) is attempt
    for provider, now in (("educonnect", 1001.0 + settings.STATE_TTL), ("fim", 1001.0)):
        with pytest.raises(Exception) as e:
            flow.finish_check(attempt, provider, None, now=now)
        assert e.value.code == "federation_state_invalid"
    assert flow.code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"   # RFC 7636, appendix B
    assert flow.passed_claims("fim", {"sub": "x", "nonce": "n", "rne": "0131884C", "at_hash": "h"}) == \
        {"sub": "x", "rne": "0131884C"}
    assert flow.end_session_url(None, "t", "c", None) is None
