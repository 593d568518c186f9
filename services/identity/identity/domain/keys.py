"""RSA signing keys and the JWKS document (several keys published for rotation)."""
from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def _b64u_uint(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def generate_private_key_pem(bits: int = 2048) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _public_numbers(pem: str):
    data = pem.encode("ascii")
    if b"PRIVATE KEY" in data:
        return serialization.load_pem_private_key(data, password=None).public_key().public_numbers()
    return serialization.load_pem_public_key(data).public_numbers()


def kid_of(pem: str) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key."""
    nums = _public_numbers(pem)
    canon = json.dumps({"e": _b64u_uint(nums.e), "kty": "RSA", "n": _b64u_uint(nums.n)},
                       separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest()).rstrip(b"=").decode("ascii")


def public_jwk(pem: str, kid: str | None = None) -> dict:
    nums = _public_numbers(pem)
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid or kid_of(pem),
            "n": _b64u_uint(nums.n), "e": _b64u_uint(nums.e)}


def build_jwks(keys) -> dict:
    """``keys``: iterable of PEMs (public or private) or (kid, pem) pairs. Only
    public parts are published. Callers pass the active key and the keys retired
    recently enough that tokens signed with them may still be alive."""
    out = []
    for k in keys:
        kid, pem = (k if isinstance(k, tuple) else (None, k))
        out.append(public_jwk(pem, kid))
    return {"keys": out}


def select_keys_to_publish(keys: list[dict], now, access_ttl) -> list[dict]:
    """Rotation without downtime. ``keys``: [{"kid", "created_at", "activated_at", "retired_at"}].
    Publish keys that are active, announced (created, not yet active: verifiers
    learn them before the first token signed with them) or retired for less than
    one access token lifetime (tokens signed with them still verify)."""
    out = []
    for k in keys:
        retired = k.get("retired_at")
        if retired is None or now < retired + access_ttl:
            out.append(k)
    return out


def signing_key(keys: list[dict], now) -> dict | None:
    """The key to sign with: the most recently activated key that is active at ``now``
    (activated, not yet retired). If none is (the clock went back before every activation),
    the earliest key not yet retired, rather than none."""
    def live(k):
        return k.get("retired_at") is None or now < k["retired_at"]

    candidates = [k for k in keys if live(k) and k.get("activated_at") is not None and k["activated_at"] <= now]
    if candidates:
        return max(candidates, key=lambda k: k["activated_at"])
    pending = [k for k in keys if live(k) and k.get("activated_at") is not None]
    return min(pending, key=lambda k: k["activated_at"]) if pending else None


# -- private keys at rest ----------------------------------------------------------
SEALED_PREFIX = "fernet:"


def seal_private_key(pem: str, secret: str | None) -> str:
    """Encrypt a private key for storage with a Fernet key (``IDENTITY_KEY_ENCRYPTION_KEY``);
    without a secret the PEM is stored as is."""
    if not secret:
        return pem
    from cryptography.fernet import Fernet
    return SEALED_PREFIX + Fernet(secret.encode("ascii")).encrypt(pem.encode("ascii")).decode("ascii")


def unseal_private_key(value: str, secret: str | None) -> str:
    if not value.startswith(SEALED_PREFIX):
        return value
    if not secret:
        raise RuntimeError("signing keys are encrypted: set IDENTITY_KEY_ENCRYPTION_KEY")
    from cryptography.fernet import Fernet
    return Fernet(secret.encode("ascii")).decrypt(value[len(SEALED_PREFIX):].encode("ascii")).decode("ascii")
