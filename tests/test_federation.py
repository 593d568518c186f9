"""Issue 20 across the platform: national sign-in through the REAL local OpenID provider (deploy/oidc-provider)
standing in for ÉduConnect and FIM, the gateway's OpenID Connect client, and identity's federation RPCs
(``identity.federated_sign_in``, ``identity.link_federated_identity``). The provider's pages are driven with plain
HTTP (testkit.oidc.sign_in_at_provider).

The suite's gateway is restarted with the FEDERATION_* settings of this module's provider, and put back after."""
from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
import requests

from testkit.applications import suite_pupils
from testkit.oidc import OidcProvider, identities, sign_in_at_provider

pytestmark = pytest.mark.suite

WEB = "http://127.0.0.1:8080"
PUPIL_BACK = WEB + "/connexion/educonnect/retour"
AGENTS_BACK = WEB + "/connexion/agents/retour"
# The provider's demo identities moved to schools no other test uses (the demo collège stays as they expect it):
COLLEGE = "0130136C"                      # Collège Vieux Port, Marseille 2e, REP+: the pupils
STAFF_COLLEGES = ("0133788X", "0131935H")  # the head's and the teacher's two collèges
IDENTITIES = identities(COLLEGE, STAFF_COLLEGES)


@pytest.fixture(scope="module")
def op(suite):
    with OidcProvider([PUPIL_BACK, AGENTS_BACK], [WEB + "/"], log_path=suite.log_dir / "oidc-provider.log",
                      identities=IDENTITIES) as p:
        yield p


def restart_gateway(suite, env: dict | None = None) -> None:
    suite.stop("gateway")
    suite.start("gateway", **(env or {}))
    suite.wait_ready()


def module_env(op) -> dict:
    return op.gateway_env([PUPIL_BACK, AGENTS_BACK], post_logout_redirect_uri=WEB + "/")


@pytest.fixture(scope="module")
def fed(suite, op):
    """The suite's gateway with both providers configured (restarted as it was afterwards)."""
    restart_gateway(suite, module_env(op))
    yield suite
    restart_gateway(suite)


@pytest.fixture
def gw(fed, api):
    return api


def start(api, provider="educonnect", back=PUPIL_BACK, purpose="login", token=None):
    r = api.post(f"/api/v1/auth/federation/{provider}/start", json={"redirect_uri": back, "purpose": purpose},
                 token=token)
    assert r.status_code == 200, r.text
    return r.json()["authorization_url"]


def callback(api, answer, provider="educonnect", token=None):
    return api.post(f"/api/v1/auth/federation/{provider}/callback",
                    json={k: answer[k] for k in ("code", "state", "iss") if k in answer}, token=token)


def sign_in(api, account, provider="educonnect", back=PUPIL_BACK):
    r = callback(api, sign_in_at_provider(start(api, provider, back), account, back), provider)
    return r


def problem(r, status, code):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.json()["code"] == code, r.text
    return r.json()


def claims_of(access_token: str) -> dict:
    payload = access_token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_first_and_second_sign_in_of_a_pupil(gw, op):
    r = sign_in(gw, "ect-eleve-inaya")
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["user"]["role"] == "pupil" and first["token_type"] == "Bearer"
    assert first["federation"]["provider"] == "educonnect"
    assert first["federation"]["end_session_url"].startswith(op.issuer("educonnect") + "/session/end?")
    me = gw.get("/api/v1/me", token=first["access_token"])
    assert me.status_code == 200, me.text
    me = me.json()
    assert me["role"] == "pupil" and me["school_uai"] == COLLEGE and me["grade"] == "troisieme"
    assert me["first_name"] == "Inaya" and me["last_name"] == "Benali"
    token = claims_of(first["access_token"])
    assert token["school_uai"] == COLLEGE and token["grade"] == "troisieme" and token["school_rep"] in (True, "REP+")
    assert me["class_name"] == "3B"
    # a second sign-in finds the same account
    second = sign_in(gw, "ect-eleve-inaya")
    assert second.status_code == 200, second.text
    assert second.json()["user"]["id"] == first["user"]["id"]
    # the platform's own session works as any other: refresh and logout
    r = gw.post("/api/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]})
    assert r.status_code == 200, r.text
    renewed = r.json()
    r = gw.post("/api/v1/auth/logout", json={"refresh_token": renewed["refresh_token"]},
                token=renewed["access_token"])
    assert r.status_code == 200 and r.json()["revoked_sessions"] == 1, r.text
    assert r.json()["end_session_url"] == second.json()["federation"]["end_session_url"]   # the provider's too


def test_a_parent_and_a_school_not_in_the_directory_are_refused(gw):
    body = problem(sign_in(gw, "ect-parent-karim"), 403, "federation_parent")
    assert body["detail"]
    body = problem(sign_in(gw, "ect-eleve-inconnu"), 403, "federation_unknown_school")
    assert body["detail"]


def test_tampered_state_and_another_nonce_are_refused(gw):
    answer = sign_in_at_provider(start(gw), "ect-eleve-noah", PUPIL_BACK)
    problem(callback(gw, {**answer, "state": answer["state"][::-1]}), 422, "federation_state_invalid")
    assert callback(gw, answer).status_code == 200                       # the genuine answer still works, once
    problem(callback(gw, answer), 422, "federation_state_invalid")
    url = start(gw)
    nonce = next(p.split("=", 1)[1] for p in url.split("?", 1)[1].split("&") if p.startswith("nonce="))
    forged = url.replace("nonce=" + nonce, "nonce=" + uuid.uuid4().hex)
    problem(callback(gw, sign_in_at_provider(forged, "ect-eleve-noah", PUPIL_BACK)), 401,
            "federation_nonce_mismatch")


def test_a_reused_code_and_an_expired_code_are_refused(gw, fed, op, tmp_path):
    first = sign_in_at_provider(start(gw), "ect-eleve-noah", PUPIL_BACK)
    assert callback(gw, first).status_code == 200
    fresh = sign_in_at_provider(start(gw), "ect-eleve-noah", PUPIL_BACK)
    problem(callback(gw, {**fresh, "code": first["code"]}), 422, "federation_code_invalid")
    # a provider whose codes live one second
    with OidcProvider([PUPIL_BACK], code_ttl=1, log_path=tmp_path / "short.log", identities=IDENTITIES) as short:
        restart_gateway(fed, short.gateway_env(PUPIL_BACK))
        try:
            answer = sign_in_at_provider(start(gw), "ect-eleve-noah", PUPIL_BACK)
            time.sleep(2.5)   # the code lives 1 second
            problem(callback(gw, answer), 422, "federation_code_invalid")
        finally:
            restart_gateway(fed, module_env(op))


def test_staff_sign_in_through_fim_head_and_teacher(gw):
    r = sign_in(gw, "fim-dir-claire", "fim", AGENTS_BACK)
    assert r.status_code == 200, r.text
    head = r.json()
    assert head["user"]["role"] == "school_staff" and head["user"]["function"] == "head"
    assert head["user"]["school_uai"] in STAFF_COLLEGES
    r = sign_in(gw, "fim-ens-julien", "fim", AGENTS_BACK)
    assert r.status_code == 200, r.text
    teacher = r.json()
    assert teacher["user"]["role"] == "school_staff" and teacher["user"]["function"] == "teacher"
    # a teacher cannot do what a head can: designate the school's head (the head, confirmed and designated by
    # signing in through FIM, passes the permission check: at most « already designated »)
    school = head["user"]["school_uai"]
    r = gw.put(f"/api/v1/schools/{school}/head", json={"user_id": head["user"]["id"]}, token=head["access_token"])
    assert r.status_code not in (401, 403), r.text
    r = gw.put(f"/api/v1/schools/{school}/head", json={"user_id": teacher["user"]["id"]},
               token=teacher["access_token"])
    assert r.status_code == 403, r.text
    r = sign_in(gw, "fim-adf-sophie", "fim", AGENTS_BACK)
    assert r.status_code == 200 and r.json()["user"]["function"] == "admin_staff", r.text


def test_a_pupil_links_an_existing_account(gw, fed):
    with fed.rpc() as rpc:
        first, second = suite_pupils(rpc, 2, uai=COLLEGE)   # accounts activated with the school's codes
    # the start of a link needs a signed-in account; the callback, the same account
    problem(gw.post("/api/v1/auth/federation/educonnect/start", json={"purpose": "link"}), 401, "missing_token")
    answer = sign_in_at_provider(start(gw, purpose="link", token=first["token"]), "ect-eleve-lucas", PUPIL_BACK)
    problem(callback(gw, answer, token=second["token"]), 403, "federation_link_other_account")
    answer = sign_in_at_provider(start(gw, purpose="link", token=first["token"]), "ect-eleve-lucas", PUPIL_BACK)
    r = callback(gw, answer, token=first["token"])
    assert r.status_code == 200 and r.json()["linked"] is True, r.text
    # from now on ÉduConnect opens that account
    r = sign_in(gw, "ect-eleve-lucas")
    assert r.status_code == 200 and r.json()["user"]["id"] == first["user_id"], r.text
    # another account cannot take the same ÉduConnect identity
    answer = sign_in_at_provider(start(gw, purpose="link", token=second["token"]), "ect-eleve-lucas", PUPIL_BACK)
    problem(callback(gw, answer, token=second["token"]), 409, "federation_already_linked")


def test_providers_are_listed(gw):
    r = gw.get("/api/v1/auth/federation")
    assert r.status_code == 200 and [p["name"] for p in r.json()["providers"]] == ["educonnect", "fim"]
    assert requests.get(gw.base_url + "/openapi.json", timeout=30).json()["paths"][
        "/api/v1/auth/federation/{provider}/callback"]["post"]
