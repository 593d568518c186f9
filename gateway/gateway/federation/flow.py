"""The rules of one sign-in attempt through a national provider, without I/O (``now`` is an input).

An attempt starts with ``begin``: a random ``state`` (its key), ``nonce`` and PKCE ``code_verifier`` kept on the
server; the browser carries only ``state``. It is finished once (``finish_check``): same provider, not older than
``STATE_TTL``, and for a link, by the account that started it. ``passed_claims`` keeps only the claims the
platform reads from a validated ID token."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
from typing import Callable

from common.errors import FieldErrors, Forbidden, Unauthorized, ValidationError

from .settings import ALWAYS_PASSED, CLAIMS, STATE_TTL, ProviderSettings

PURPOSES = ("login", "link")

STATE_INVALID = ("Cette tentative de connexion n'est plus valable (lien expiré, déjà utilisé ou modifié). "
                 "Recommencez la connexion.")
LINK_OTHER_ACCOUNT = "Cette liaison a été commencée depuis un autre compte : recommencez depuis votre compte."
LINK_LOGIN_REQUIRED = "Connectez-vous d'abord à votre compte pour le lier."


@dataclasses.dataclass(frozen=True)
class Attempt:
    provider: str
    purpose: str
    redirect_uri: str
    nonce: str
    code_verifier: str
    created_at: float
    user_id: str | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Attempt":
        return cls(**{f.name: data.get(f.name) for f in dataclasses.fields(cls)})


def code_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def begin(settings: ProviderSettings, purpose: str, redirect_uri: str | None, actor: dict | None, now: float,
          token: Callable[[int], str] = secrets.token_urlsafe) -> tuple[str, Attempt]:
    """Check a start request and make its attempt: ``(state, attempt)``."""
    errors = FieldErrors()
    if purpose not in PURPOSES:
        errors.add("purpose", "Valeur attendue : « login » (se connecter) ou « link » (lier son compte).")
    uri = redirect_uri or (settings.redirect_uris[0] if settings.redirect_uris else None)
    if not uri or uri not in settings.redirect_uris:
        errors.add("redirect_uri", "Cette adresse de retour n'est pas déclarée pour ce fournisseur d'identité.")
    errors.raise_if_any()
    user_id = None
    if purpose == "link":
        if not actor or not actor.get("user_id"):
            raise Unauthorized(LINK_LOGIN_REQUIRED, code="missing_token")
        user_id = actor["user_id"]
    attempt = Attempt(provider=settings.name, purpose=purpose, redirect_uri=uri, nonce=token(24),
                      code_verifier=token(48), created_at=float(now), user_id=user_id)
    return token(32), attempt


def finish_check(attempt: Attempt | None, provider: str, actor: dict | None, now: float, iss: str | None = None,
                 issuer: str | None = None) -> Attempt:
    """The attempt a callback may finish, or the refusal (the attempt was already taken out of the store).
    ``iss``: the issuer named by the provider's answer (RFC 9207), when there is one: it must be ``issuer``
    (an answer of another provider sent to this callback is a mix-up)."""
    if attempt is None or attempt.provider != provider or now - attempt.created_at > STATE_TTL \
            or now < attempt.created_at - 60:
        raise ValidationError(STATE_INVALID, errors={"state": [STATE_INVALID]}, code="federation_state_invalid")
    if iss and issuer and iss.rstrip("/") != issuer.rstrip("/"):
        raise ValidationError(STATE_INVALID, errors={"iss": [STATE_INVALID]}, code="federation_state_invalid")
    if attempt.purpose == "link":
        if not actor or not actor.get("user_id"):
            raise Unauthorized(LINK_LOGIN_REQUIRED, code="missing_token")
        if actor["user_id"] != attempt.user_id:
            raise Forbidden(LINK_OTHER_ACCOUNT, code="federation_link_other_account")
    return attempt


def passed_claims(provider: str, claims: dict) -> dict:
    """The claims of a validated ID token (and userinfo) that identity receives: nothing else."""
    keep = set(CLAIMS[provider]) | set(ALWAYS_PASSED)
    return {k: v for k, v in claims.items() if k in keep}


def end_session_url(endpoint: str | None, id_token: str | None, client_id: str,
                    post_logout_redirect_uri: str | None) -> str | None:
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): the URL that ends the provider's session."""
    if not endpoint:
        return None
    from urllib.parse import urlencode
    params = {"client_id": client_id}
    if id_token:
        params["id_token_hint"] = id_token
    if post_logout_redirect_uri:
        params["post_logout_redirect_uri"] = post_logout_redirect_uri
    sep = "&" if "?" in endpoint else "?"
    return endpoint + sep + urlencode(params)


def session_of(access_token: str | None) -> str | None:
    """The platform session (``sid``) of an access token identity has just issued (read, not verified: it comes
    straight from identity, and only keys the provider's end-session address)."""
    if not access_token or access_token.count(".") != 2:
        return None
    import json
    payload = access_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    sid = claims.get("sid") if isinstance(claims, dict) else None
    return str(sid) if sid else None
