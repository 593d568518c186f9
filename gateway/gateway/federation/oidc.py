"""The I/O of the national sign-in: each provider's discovery document and keys (cached), the authorization URL
and the code exchange (Authlib, PKCE), ID tokens validated with joserfc (signature with the provider's JWKS,
issuer, audience, expiry, nonce)."""
from __future__ import annotations

import logging
import threading
import time

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from common.errors import ServiceUnavailable, Unauthorized, ValidationError

from . import flow
from .settings import (DISCOVERY_TTL, EXTRA_AUTHORIZATION_PARAMS, HTTP_TIMEOUT, ID_TOKEN_LEEWAY,
                       JWKS_REFRESH_INTERVAL, ProviderSettings)

log = logging.getLogger("gateway.federation")

UNAVAILABLE = "Le service de connexion {label} ne répond pas pour le moment. Réessayez dans quelques instants."
CODE_REFUSED = ("Ce code de connexion a expiré ou a déjà servi. Recommencez la connexion depuis le bouton "
                "du site.")
TOKEN_REFUSED = "La réponse du service de connexion n'a pas pu être vérifiée. Recommencez la connexion."


class _Cache:
    """Discovery documents and key sets by issuer, for ``DISCOVERY_TTL`` seconds; an unknown key id refetches
    the key set at most every ``JWKS_REFRESH_INTERVAL`` seconds (a flood of forged tokens cannot hammer the
    provider)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.discovery: dict[str, tuple[dict, float]] = {}
        self.jwks: dict[str, tuple[KeySet, float]] = {}

    def clear(self) -> None:
        with self._lock:
            self.discovery.clear()
            self.jwks.clear()


CACHE = _Cache()


def _get_json(url: str, label: str) -> dict:
    try:
        r = requests.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        r.raise_for_status()
        return r.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("federation provider did not answer: %s (%s)", url, exc)
        raise ServiceUnavailable(UNAVAILABLE.format(label=label), code="federation_unavailable") from exc


def discovery(s: ProviderSettings) -> dict:
    hit = CACHE.discovery.get(s.issuer)
    if hit and time.monotonic() - hit[1] < DISCOVERY_TTL:
        return hit[0]
    doc = _get_json(s.issuer + "/.well-known/openid-configuration", _label(s))
    if doc.get("issuer", "").rstrip("/") != s.issuer:
        log.error("discovery document of %s names another issuer: %s", s.issuer, doc.get("issuer"))
        raise ServiceUnavailable(UNAVAILABLE.format(label=_label(s)), code="federation_unavailable")
    CACHE.discovery[s.issuer] = (doc, time.monotonic())
    return doc


def keys(s: ProviderSettings, refresh: bool = False) -> KeySet:
    hit = CACHE.jwks.get(s.issuer)
    fresh = hit and time.monotonic() - hit[1] < DISCOVERY_TTL
    if hit and (fresh and not refresh or time.monotonic() - hit[1] < JWKS_REFRESH_INTERVAL):
        return hit[0]
    keyset = KeySet.import_key_set(_get_json(discovery(s)["jwks_uri"], _label(s)))
    CACHE.jwks[s.issuer] = (keyset, time.monotonic())
    return keyset


def _label(s: ProviderSettings) -> str:
    from .settings import LABELS
    return LABELS.get(s.name, s.name)


def _session(s: ProviderSettings, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(client_id=s.client_id, client_secret=s.client_secret, scope=s.scope,
                         redirect_uri=redirect_uri, code_challenge_method="S256",
                         token_endpoint_auth_method="client_secret_basic")


def authorization_url(s: ProviderSettings, state: str, attempt: flow.Attempt) -> str:
    with _session(s, attempt.redirect_uri) as session:
        url, _ = session.create_authorization_url(
            discovery(s)["authorization_endpoint"], state=state, nonce=attempt.nonce,
            code_verifier=attempt.code_verifier, **EXTRA_AUTHORIZATION_PARAMS[s.name])
    return url


def exchange_code(s: ProviderSettings, code: str, attempt: flow.Attempt) -> dict:
    """The provider's token answer for ``code`` (with the attempt's PKCE verifier); refused codes are 4xx."""
    endpoint = discovery(s)["token_endpoint"]
    with _session(s, attempt.redirect_uri) as session:
        try:
            token = session.fetch_token(endpoint, grant_type="authorization_code", code=code,
                                        code_verifier=attempt.code_verifier, redirect_uri=attempt.redirect_uri,
                                        timeout=HTTP_TIMEOUT)
        except OAuthError as exc:
            log.info("federation code refused by %s: %s", s.name, exc.error)
            raise ValidationError(CODE_REFUSED, errors={"code": [CODE_REFUSED]},
                                  code="federation_code_invalid") from exc
        except (requests.RequestException, ValueError) as exc:
            log.warning("federation token endpoint of %s did not answer: %s", s.name, exc)
            raise ServiceUnavailable(UNAVAILABLE.format(label=_label(s)), code="federation_unavailable") from exc
    if not token.get("id_token"):
        raise Unauthorized(TOKEN_REFUSED, code="federation_token_invalid")
    return dict(token)


def validate_id_token(s: ProviderSettings, id_token: str, nonce: str, now: float | None = None) -> dict:
    """The ID token's claims once its signature (the provider's JWKS), issuer, audience, expiry and nonce are
    checked; ``Unauthorized`` (code ``federation_token_invalid``, or ``federation_nonce_mismatch``) otherwise."""
    try:
        try:
            token = jwt.decode(id_token, keys(s), algorithms=["RS256", "PS256", "ES256"])
        except JoseError:
            token = jwt.decode(id_token, keys(s, refresh=True), algorithms=["RS256", "PS256", "ES256"])
    except (JoseError, ValueError) as exc:
        log.info("federation ID token of %s refused: %s", s.name, exc)
        raise Unauthorized(TOKEN_REFUSED, code="federation_token_invalid") from exc
    claims = token.claims
    now_i = int(now if now is not None else time.time())
    issuer = discovery(s).get("issuer") or s.issuer   # exactly as the provider writes it (a trailing slash...)
    registry = jwt.JWTClaimsRegistry(now=now_i, leeway=ID_TOKEN_LEEWAY, iss={"essential": True, "value": issuer},
                                     aud={"essential": True, "value": s.client_id}, exp={"essential": True},
                                     sub={"essential": True})
    try:
        registry.validate(claims)
    except JoseError as exc:
        log.info("federation ID token of %s refused: %s", s.name, exc)
        raise Unauthorized(TOKEN_REFUSED, code="federation_token_invalid") from exc
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != s.client_id:
        raise Unauthorized(TOKEN_REFUSED, code="federation_token_invalid")
    if not isinstance(claims.get("nonce"), str) or claims["nonce"] != nonce:
        log.info("federation ID token of %s: nonce mismatch", s.name)
        raise Unauthorized(TOKEN_REFUSED, code="federation_nonce_mismatch")
    return dict(claims)


def end_session_endpoint(s: ProviderSettings) -> str | None:
    if not s.end_session_url:
        return None
    if s.end_session_url == "discovery":
        try:
            return discovery(s).get("end_session_endpoint")
        except ServiceUnavailable:
            return None
    return s.end_session_url
