"""Settings of the national sign-in: the providers (from the environment), their scopes, and the names of the
claims the platform reads. Claim names come from the public code of the current platform: correct them here.

Environment, per provider (``EDUCONNECT`` or ``FIM``):

- ``FEDERATION_<P>_ISSUER``: the issuer URL (its discovery document is ``<issuer>/.well-known/openid-configuration``);
- ``FEDERATION_<P>_CLIENT_ID``, ``FEDERATION_<P>_CLIENT_SECRET``;
- ``FEDERATION_<P>_REDIRECT_URIS``: the callback addresses of the front ends, comma-separated (the first is the
  default; a start request may only name one of them);
- ``FEDERATION_<P>_END_SESSION_URL`` (optional): ends the provider's session at logout; ``discovery`` takes the
  ``end_session_endpoint`` of the discovery document; unset: the provider's session is left alone;
- ``FEDERATION_<P>_POST_LOGOUT_REDIRECT_URI`` (optional): where the provider sends the browser back after it.

A provider without issuer or client id is not configured: its routes answer 404."""
from __future__ import annotations

import dataclasses
import os

PROVIDERS = ("educonnect", "fim")
LABELS = {"educonnect": "ÉduConnect", "fim": "FIM (compte académique)"}

SCOPES = {
    "educonnect": "openid profile ect.scope.cnx ect.scope.stage",
    "fim": "openid profile email stage",
}
EXTRA_AUTHORIZATION_PARAMS = {"educonnect": {"acr_values": "eleve"}, "fim": {}}

# The claims passed on to identity (with ``sub``, ``iss`` and ``acr``): nothing else leaves the gateway.
CLAIMS = {
    "educonnect": (
        "given_name", "family_name",
        "FrEduCtId",                 # ÉduConnect's identifier of the person
        "FrEduCtPersonAffiliation",  # "eleve" (pupil) or "resp2d" (legal representative)
        "FrEduCtEleveINE",           # the pupil's national number (INE)
        "FrEduCtEleveUAI",           # the pupil's school (UAI)
        "FrEduCtEleveNiveau",        # grade: a MEFSTAT4 code ("2116": 3e) or its label
        "FrEduCtEleveClasse",        # class, e.g. "3B"
        "FrEduCtDateNaissance",      # birth date (finds an imported pupil by names and birth date)
    ),
    "fim": (
        "given_name", "family_name", "email",
        "FrEduFonctAdm",             # function: DIR (head), ENS (teacher), ADF (administrative staff)...
        "rne",                       # the main school (UAI)
        "FrEduRne",                  # every school the agent works in ("UAI$UAJ$…" values, "X": none)
        "FrEduRneResp",              # the schools the agent is responsible for (same format)
    ),
}
ALWAYS_PASSED = ("sub", "iss", "acr", "auth_time")

STATE_TTL = 600          # seconds a sign-in attempt stays valid (state, nonce, verifier)
HTTP_TIMEOUT = 5.0       # seconds for each call to a provider
DISCOVERY_TTL = 3600     # seconds the discovery document and the JWKS are cached
JWKS_REFRESH_INTERVAL = 30  # an unknown key id refetches the JWKS at most this often
ID_TOKEN_LEEWAY = 60     # seconds of clock difference accepted on exp / iat


@dataclasses.dataclass(frozen=True)
class ProviderSettings:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    end_session_url: str | None = None   # an URL, "discovery", or None
    post_logout_redirect_uri: str | None = None

    @property
    def scope(self) -> str:
        return SCOPES[self.name]


def provider_settings(name: str, environ=None) -> ProviderSettings | None:
    """The provider's settings, or None when it is not configured (or not a provider)."""
    if name not in PROVIDERS:
        return None
    env = os.environ if environ is None else environ
    p = f"FEDERATION_{name.upper()}_"
    issuer = (env.get(p + "ISSUER") or "").strip().rstrip("/")
    client_id = (env.get(p + "CLIENT_ID") or "").strip()
    if not issuer or not client_id:
        return None
    uris = tuple(u.strip() for u in (env.get(p + "REDIRECT_URIS") or "").split(",") if u.strip())
    return ProviderSettings(name=name, issuer=issuer, client_id=client_id,
                            client_secret=env.get(p + "CLIENT_SECRET") or "", redirect_uris=uris,
                            end_session_url=(env.get(p + "END_SESSION_URL") or "").strip() or None,
                            post_logout_redirect_uri=(env.get(p + "POST_LOGOUT_REDIRECT_URI") or "").strip() or None)


def configured(environ=None) -> list[str]:
    return [n for n in PROVIDERS if provider_settings(n, environ) is not None]
