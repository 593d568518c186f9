"""HTTP routes of the national sign-in (ÉduConnect for pupils, FIM for school staff): OpenID Connect
authorization code flow with PKCE, ``state`` and ``nonce`` kept by the gateway (``gateway/federation/``).

The front end asks for the provider's authorization URL (``start``), sends the browser there, and posts back the
``code`` and ``state`` the provider returned (``callback``): the gateway exchanges the code, validates the ID
token and asks identity to open a session (``identity.federated_sign_in``) or to link the provider's identity to
the signed-in account (``identity.link_federated_identity``)."""
from __future__ import annotations

import time

from common.errors import DomainError, NotFound

from gateway.api import COMPONENTS, array, component, obj, ref_name, route
from gateway.budgets import Budget
from gateway.federation import flow, oidc, store
from gateway.federation.settings import LABELS, PROVIDERS, STATE_TTL, configured, provider_settings
from gateway.routes.identity import TOKENS

TAG = ["auth"]
PROVIDER_PARAM = {"type": "string", "enum": list(PROVIDERS)}
BUDGET = [Budget(300, 900, per="ip")]   # like the password login: generous per address, never per account

NOT_CONFIGURED = "La connexion par {label} n'est pas disponible sur cette plateforme."
SESSION_MEMORY = 31 * 24 * 3600   # the end-session address of a session is kept at most as long as a refresh token

PROVIDERS_LIST = component("FederationProviders", obj({
    "providers": array(obj({"name": PROVIDER_PARAM, "label": {"type": "string"}}, ["name", "label"])),
}, ["providers"], description="Les fournisseurs d'identité nationaux configurés (aucun : pas de bouton)."),
    {"providers": [{"name": "educonnect", "label": "ÉduConnect"}, {"name": "fim", "label": "FIM (compte académique)"}]})

START_ANSWER = component("FederationStart", obj({
    "authorization_url": {"type": "string", "format": "uri",
                          "description": "L'adresse du fournisseur d'identité où envoyer le navigateur."},
    "expires_in": {"type": "integer", "description": "Secondes pendant lesquelles la tentative reste valable."},
}, ["authorization_url", "expires_in"], description="Une tentative de connexion commencée."),
    {"authorization_url": "https://educonnect.education.gouv.fr/idp/profile/oidc/authorize?response_type=code&"
                          "client_id=stages-web&redirect_uri=https%3A%2F%2Fstages.example.fr%2Fconnexion%2F"
                          "educonnect%2Fretour&scope=openid+profile+ect.scope.cnx+ect.scope.stage&state=Yq3...&"
                          "nonce=Zr8...&code_challenge=E9Mel...&code_challenge_method=S256&acr_values=eleve",
     "expires_in": STATE_TTL})

_FEDERATION_INFO = obj({
    "provider": PROVIDER_PARAM,
    "end_session_url": {"type": ["string", "null"],
                        "description": "À la déconnexion, l'adresse qui ferme aussi la session du fournisseur "
                                       "(null : non configurée)."},
}, ["provider", "end_session_url"])
_TOKENS = COMPONENTS[ref_name(TOKENS)]   # the answer of the password login, and the provider's logout address
SESSION_ANSWER = component("FederatedSession", obj(
    {**_TOKENS["properties"], "federation": _FEDERATION_INFO}, [*_TOKENS["required"], "federation"],
    description="Une session ouverte par un fournisseur d'identité national (objectif « login »)."))
LINK_ANSWER = component("FederatedLink", obj({
    "linked": {"type": "boolean", "const": True}, "provider": PROVIDER_PARAM,
}, ["linked"], additional=True, description="Le compte est lié à l'identité du fournisseur (objectif « link »)."),
    {"linked": True, "provider": "educonnect"})

_TOKENS_EXAMPLE = {
    "access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6ImlkLTIwMjYtMTEiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiIuLi4ifQ.c2ln",
    "token_type": "Bearer", "expires_in": 900, "refresh_token": "r1_Vt6q0c9JrQmZK3x2p8yY4wHnA",
    "refresh_expires_at": "2026-12-05T10:00:00Z",
    "user": {"id": "c4e1f7a2-6b3d-4a8e-9f0c-1d2e3f4a5b6c", "role": "pupil", "status": "active",
             "first_name": "Inaya", "last_name": "Benali", "school_uai": "0131884C", "grade": "troisieme",
             "class_name": "3B"},
    "federation": {"provider": "educonnect",
                   "end_session_url": "https://educonnect.education.gouv.fr/idp/profile/oidc/logout?client_id="
                                      "stages-web&id_token_hint=eyJ...&post_logout_redirect_uri=https%3A%2F%2F"
                                      "stages.example.fr%2F"},
}
CALLBACK_ANSWER = component("FederationCallback", {
    "oneOf": [SESSION_ANSWER, LINK_ANSWER],
    "description": "Une session ouverte (objectif « login ») ou le compte lié (objectif « link »)."}, _TOKENS_EXAMPLE)


def _settings(req):
    name = req.path["provider"]
    s = provider_settings(name)
    if s is None:
        raise NotFound(NOT_CONFIGURED.format(label=LABELS.get(name, name)), code="federation_not_configured")
    return s


@route("GET", "/api/v1/auth/federation", summary="Les fournisseurs d'identité nationaux disponibles",
       description="ÉduConnect (élèves) et FIM (personnels de l'Éducation nationale), quand ils sont configurés : "
                   "le site n'affiche que leurs boutons.",
       tags=TAG, auth="none", response=PROVIDERS_LIST)
def federation_providers(req):
    return {"providers": [{"name": n, "label": LABELS[n]} for n in configured()]}


@route("POST", "/api/v1/auth/federation/<provider>/start",
       summary="Commencer une connexion par ÉduConnect ou FIM (OpenID Connect)",
       description="Renvoie l'adresse du fournisseur où envoyer le navigateur. state, nonce et le vérificateur "
                   "PKCE restent côté serveur 10 minutes, pour un seul retour. purpose « link » (connecté) : lier "
                   "l'identité du fournisseur au compte. 404 si le fournisseur n'est pas configuré.",
       tags=TAG, auth="optional",
       body=obj({"redirect_uri": {"type": ["string", "null"], "maxLength": 500,
                                  "description": "L'adresse de retour du site (déclarée pour ce fournisseur)."},
                 "purpose": {"type": "string", "enum": list(flow.PURPOSES), "default": "login"}}),
       body_example={"redirect_uri": "https://stages.example.fr/connexion/educonnect/retour", "purpose": "login"},
       response=START_ANSWER, rate_limit=BUDGET,
       extra_responses={404: "Fournisseur inconnu ou non configuré",
                        503: "Le fournisseur d'identité ne répond pas"})
def federation_start(req):
    s = _settings(req)
    b = req.body or {}
    state, attempt = flow.begin(s, b.get("purpose") or "login", b.get("redirect_uri"), req.actor, now=time.time())
    url = oidc.authorization_url(s, state, attempt)
    store.save(state, attempt)
    return {"authorization_url": url, "expires_in": STATE_TTL}


@route("POST", "/api/v1/auth/federation/<provider>/callback",
       summary="Terminer une connexion par ÉduConnect ou FIM (code et state reçus du fournisseur)",
       description="Échange le code (PKCE), vérifie le jeton d'identité (signature, émetteur, audience, expiration, "
                   "nonce) puis ouvre une session sur la plateforme, ou lie le compte connecté (purpose « link »). "
                   "Un state inconnu, modifié ou déjà utilisé, un code expiré ou déjà utilisé : 422. Un compte "
                   "parent ÉduConnect, un établissement non raccordé : 403 (codes federation_parent, "
                   "federation_unknown_school).",
       tags=TAG, auth="optional",
       body=obj({"code": {"type": "string", "minLength": 1, "maxLength": 2000},
                 "state": {"type": "string", "minLength": 1, "maxLength": 500},
                 "iss": {"type": ["string", "null"], "maxLength": 500,
                         "description": "Le paramètre iss du retour (RFC 9207), s'il est présent."}},
                ["code", "state"]),
       body_example={"code": "Xk2Jv8yZ1o0pQm4aN7bR5tW3eL6uH9dC", "state": "Yq3Lr0pTq8WmZk1vN4xB6sD2fG7hJ9kA"},
       response=CALLBACK_ANSWER, rate_limit=BUDGET,
       extra_responses={401: "Jeton d'identité refusé (signature, émetteur, audience, expiration ou nonce)",
                        403: "Compte parent, établissement non raccordé, ou liaison commencée depuis un autre compte "
                             "(end_session_url : l'adresse qui ferme la session ouverte chez le fournisseur)",
                        404: "Fournisseur inconnu ou non configuré",
                        409: "Identité déjà liée à un autre compte",
                        503: "Le fournisseur d'identité ne répond pas"})
def federation_callback(req):
    s = _settings(req)
    b = req.body
    now = time.time()
    attempt = flow.finish_check(store.take(b["state"]), s.name, req.actor, now, iss=b.get("iss"),
                                issuer=s.issuer)
    token = oidc.exchange_code(s, b["code"], attempt)
    claims = flow.passed_claims(s.name, oidc.validate_id_token(s, token["id_token"], attempt.nonce, now))
    identity = req.rpc("identity")
    end = flow.end_session_url(oidc.end_session_endpoint(s), token.get("id_token"), s.client_id,
                               s.post_logout_redirect_uri)
    try:
        if attempt.purpose == "link":
            answer = identity.link_federated_identity(actor=req.actor, provider=s.name, claims=claims)
            return {"provider": s.name, **answer}
        tokens = identity.federated_sign_in(provider=s.name, claims=claims, client=_client(req))
    except DomainError as exc:
        # refused (a parent, a school not connected...): the person is still signed in at the provider; the
        # refusal says how to end that session (a shared computer must not stay signed in)
        if end and attempt.purpose == "login":
            exc.extra = {**exc.extra, "end_session_url": end}
        raise
    if end:
        sid = flow.session_of(tokens.get("access_token"))
        if sid:   # POST /auth/logout with this session's access token answers the address too
            store.remember_session(sid, end, SESSION_MEMORY)
    return {**tokens, "federation": {"provider": s.name, "end_session_url": end}}


def end_session_of(req) -> str | None:
    """For ``POST /auth/logout``: the provider's end-session address of the caller's session, if it was opened
    through one (once)."""
    sid = (req.claims or {}).get("sid")
    return store.take_session(str(sid)) if sid else None


def _client(req) -> dict:
    c = req.client()
    return {"ip": c["ip"], "user_agent": c["user_agent"]}
