"""Access tokens: JWT RS256, 15 minutes, with the claims other services need
without a call. The ``kid`` header names the signing key in the JWKS."""
from __future__ import annotations

import datetime as dt
import uuid

import jwt

ACCESS_TTL = dt.timedelta(minutes=15)
ISSUER = "stages-identity"
AUDIENCE = "stages-api"   # checked by the gateway (gateway/security.py)
ALGORITHM = "RS256"

CLAIM_NAMES = ("sub", "role", "function", "school_uai", "grade", "school_rep", "school_qpv", "academie",
               "staff_confirmed", "stat_scope", "stat_scope_code", "space_id")


def build_claims(user: dict, school: dict | None = None) -> dict:
    """Token claims from a user record and its school (both plain dicts).

    user: {"id", "role", "function", "school_uai", "grade", "stat_scope", "stat_scope_code"}; school: {"uai",
    "education_prioritaire" ("REP"/"REP+"/None), "qpv" (bool/None), "academie_code"}.
    ``academie`` is the académie's *code* (common.scopes: codes, never names): the school's, or a statistician's
    when their scope is an académie. Statisticians carry their scope in ``stat_scope`` and ``stat_scope_code``.
    School staff carry ``staff_confirmed`` (true once someone accountable confirmed the account:
    docs/school-staff.md); it is null for other roles. Employers carry ``space_id``, the space they work in
    (``user["space_id"]``: domain/spaces.py); it is null for other roles.
    """
    from .staff import confirmed_claim

    rep = None
    qpv = None
    academie = user.get("academie")
    if school:
        rep = school.get("education_prioritaire") or None
        qpv = bool(school.get("qpv")) if school.get("qpv") is not None else None
        academie = school.get("academie_code") or academie
    return {
        "sub": str(user["id"]),
        "role": user["role"],
        "function": user.get("function"),
        "school_uai": user.get("school_uai"),
        "grade": user.get("grade"),
        "school_rep": rep,
        "school_qpv": qpv,
        "academie": academie,
        "staff_confirmed": confirmed_claim(user),
        "stat_scope": user.get("stat_scope") if user.get("role") == "statistician" else None,
        "stat_scope_code": user.get("stat_scope_code") if user.get("role") == "statistician" else None,
        "space_id": user.get("space_id") if user.get("role") == "employer" else None,
    }


def issue_access_token(claims: dict, private_pem: str, kid: str, now: dt.datetime,
                       ttl: dt.timedelta = ACCESS_TTL, issuer: str = ISSUER, audience: str = AUDIENCE,
                       session_id: str | None = None) -> str:
    """``session_id`` (claim ``sid``): the refresh family the token belongs to; the gateway refuses
    the token as soon as that session is closed (see ``identity.closed_sessions``)."""
    payload = {k: claims.get(k) for k in CLAIM_NAMES}
    if session_id:
        payload["sid"] = session_id
    iat = int(now.timestamp())
    payload.update({"iss": issuer, "aud": audience, "typ": "access", "iat": iat,
                    "exp": int((now + ttl).timestamp()), "jti": str(uuid.uuid4())})
    return jwt.encode(payload, private_pem, algorithm=ALGORITHM, headers={"kid": kid})


class InvalidToken(Exception):
    """The token cannot be trusted (message in English, for logs only)."""


def decode_access_token(token: str, public_keys: dict[str, object], now: dt.datetime,
                        issuer: str = ISSUER, audience: str = AUDIENCE, leeway: int = 0) -> dict:
    """Verify and decode. ``public_keys``: kid -> PEM string or a JWK dict (as in a JWKS).
    Raises InvalidToken on any problem (unknown kid, bad signature, expired, wrong alg...)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as e:
        raise InvalidToken(f"malformed token: {e}") from None
    if header.get("alg") != ALGORITHM:
        raise InvalidToken("unexpected algorithm")
    key = public_keys.get(header.get("kid"))
    if key is None:
        raise InvalidToken("unknown kid")
    if isinstance(key, dict):
        key = jwt.algorithms.RSAAlgorithm.from_jwk(key)
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=audience, issuer=issuer,
                            options={"require": ["exp", "iat", "sub"], "verify_iat": False,
                                     "verify_exp": False, "verify_nbf": False})
    except jwt.PyJWTError as e:
        raise InvalidToken(str(e)) from None
    # Time checks against the given ``now`` (pyjwt would use the real clock).
    ts = now.timestamp()
    if not isinstance(claims.get("exp"), (int, float)) or ts >= claims["exp"] + leeway:
        raise InvalidToken("expired")
    if isinstance(claims.get("nbf"), (int, float)) and ts < claims["nbf"] - leeway:
        raise InvalidToken("not yet valid")
    if claims.get("typ") != "access":
        raise InvalidToken("not an access token")
    return claims


def jwks_to_keys(jwks: dict) -> dict[str, dict]:
    return {k["kid"]: k for k in jwks.get("keys", []) if k.get("kid")}


def actor_from_claims(claims: dict) -> dict:
    """The actor dict the gateway passes to services."""
    return {"user_id": claims.get("sub"), "role": claims.get("role"), "function": claims.get("function"),
            "school_uai": claims.get("school_uai"), "grade": claims.get("grade"),
            "school_rep": claims.get("school_rep"), "school_qpv": claims.get("school_qpv"),
            "academie": claims.get("academie"), "staff_confirmed": claims.get("staff_confirmed"),
            "stat_scope": claims.get("stat_scope"), "stat_scope_code": claims.get("stat_scope_code"),
            "space_id": claims.get("space_id")}
