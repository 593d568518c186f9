"""Access tokens (JWT RS256, issued by identity) checked at the gateway, revoked sessions refused
at once, and the client's address behind trusted proxies."""
from __future__ import annotations

import logging
import threading
import time

import jwt

from common import kv
from common.errors import Unauthorized

log = logging.getLogger("gateway.security")

ISSUER = "stages-identity"
AUDIENCE = "stages-api"
CLAIMS = ("sub", "role", "function", "school_uai", "grade", "school_rep", "school_qpv", "academie",
          "staff_confirmed", "stat_scope", "stat_scope_code", "space_id")


class JwtVerifier:
    """Verifies access tokens against identity's published keys (JWKS).

    Keys are cached by ``kid``; an unknown ``kid`` (a rotation) triggers one
    refresh, at most every ``refresh_interval`` seconds, so a flood of forged
    tokens cannot hammer identity.

    ``iat`` must be present but is not compared with this process's clock:
    ``exp`` bounds the token's life, and a service whose clock runs ahead
    (tests move services' clocks) must not make its fresh tokens invalid."""

    def __init__(self, refresh_interval: float = 1.0, leeway: int = 5, cache_size: int = 20_000):
        self._keys: dict[str, object] = {}
        self.refresh_interval = refresh_interval
        self.leeway = leeway
        self._last_refresh = 0.0
        self._lock = threading.Lock()
        # Tokens already verified: token -> (claims, exp). A client sends the same access token with
        # every request; checking its RS256 signature and parsing it again each time was a seventh of
        # the gateway's CPU per request. The cache is emptied when the keys change, an entry is used
        # only while the token has not expired, and the oldest half is dropped when it is full.
        self.cache_size = cache_size
        self._verified: dict[str, tuple[dict, float]] = {}

    def load_jwks(self, jwks: dict) -> None:
        keys = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
        self.keys = keys

    @property
    def keys(self) -> dict[str, object]:
        return self._keys

    @keys.setter
    def keys(self, keys: dict[str, object]) -> None:
        """New keys forget every verified token (a key may have been withdrawn)."""
        self._verified = {}
        self._keys = keys

    def _key(self, kid: str | None, fetch_jwks):
        key = self.keys.get(kid) if kid else None
        if key is None and fetch_jwks is not None:
            now = time.monotonic()
            if now - self._last_refresh >= self.refresh_interval or not self.keys:
                self._last_refresh = now
                self.load_jwks(fetch_jwks())
                key = self.keys.get(kid) if kid else None
        return key

    def verify(self, token: str, fetch_jwks=None) -> dict:
        hit = self._verified.get(token)
        if hit is not None:
            claims, exp = hit
            if time.time() <= exp + self.leeway:
                return claims
            self._verified.pop(token, None)
        claims = self._verify(token, fetch_jwks)
        if len(self._verified) >= self.cache_size:
            for old in list(self._verified)[: self.cache_size // 2]:  # dicts keep insertion order
                self._verified.pop(old, None)
        self._verified[token] = (claims, float(claims["exp"]))
        return claims

    def _verify(self, token: str, fetch_jwks=None) -> dict:
        invalid = Unauthorized("Jeton d'accès invalide.", code="invalid_token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise invalid
        if header.get("alg") != "RS256":
            raise invalid
        key = self._key(header.get("kid"), fetch_jwks)
        if key is None:
            raise invalid
        try:
            claims = jwt.decode(token, key, algorithms=["RS256"], audience=AUDIENCE, issuer=ISSUER,
                                leeway=self.leeway,
                                options={"require": ["exp", "iat", "sub"], "verify_iat": False})
        except jwt.ExpiredSignatureError:
            raise Unauthorized("Votre session a expiré. Reconnectez-vous.", code="token_expired")
        except jwt.PyJWTError:
            raise invalid
        if claims.get("typ", "access") != "access":
            raise invalid
        return claims


def actor_from_claims(claims: dict) -> dict:
    """The ``actor`` dict passed to services (see docs/foundation.md)."""
    actor = {k: claims.get(k) for k in CLAIMS}
    actor["user_id"] = actor.pop("sub")
    return actor


class SessionCheck:
    """Refuses, at once, an access token whose session was closed (password changed or reset,
    « log out » or « log out everywhere », refresh-token reuse, anonymisation).

    Access tokens carry their session (``sid``, the refresh family). Identity writes each closed
    session in Redis (``<prefix>:revoked-session:<sid>``, kept as long as an access token lives)
    before it commits the closing; every gateway replica reads that key once per authenticated
    request. When Redis does not answer, the gateway asks identity (``identity.session_active``,
    from its database): slower, never wrong; and if identity does not answer either, the request
    fails (503), it is not let through. Tokens without ``sid`` (issued before sessions were tracked)
    live out their 15 minutes."""

    def __init__(self):
        self._down_since: float | None = None

    def check(self, claims: dict, ask_identity) -> None:
        sid = claims.get("sid")
        if not sid:
            return
        try:
            revoked = bool(kv.client().exists(kv.revoked_session_key(str(sid))))
            if self._down_since is not None:
                log.warning("Redis answers again: revoked sessions read from it again")
                self._down_since = None
        except Exception as exc:
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.error("Redis does not answer (%s): sessions checked with identity", exc)
            revoked = not ask_identity(str(sid)).get("active")
        if revoked:
            raise Unauthorized("Votre session a été fermée. Reconnectez-vous.", code="session_revoked")


def client_ip(remote_addr: str | None, forwarded_for: list[str], trusted_hops: int) -> str:
    """The client's address. Behind ``trusted_hops`` reverse proxies that each append the address
    they received the request from to ``X-Forwarded-For``, the client is the ``trusted_hops``-th
    address from the right: everything left of it was written by the client and proves nothing.
    With fewer addresses than hops (a request that did not go through every proxy) the peer's own
    address is used."""
    peer = remote_addr or "unknown"
    if trusted_hops <= 0:
        return peer
    chain = [a.strip() for header in forwarded_for for a in header.split(",") if a.strip()]
    if len(chain) < trusted_hops:
        return peer
    return chain[-trusted_hops][:64]
