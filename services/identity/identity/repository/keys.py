"""Signing keys: rows (private keys sealed with IDENTITY_KEY_ENCRYPTION_KEY) and a short process cache.

``KeyStore(engine)`` is what use cases see as ``ctx.keys``: ``signing_key(now)``, ``published(now)``,
``rotate(now, activate_at)``."""
from __future__ import annotations

import datetime as dt
import os
import threading
import time

from sqlalchemy import select, text, update

from ..domain import keys as keys_domain
from ..models import signing_keys
from .rows import row_dict

_KEY_CACHE: dict = {}
_KEY_LOCK = threading.Lock()
KEY_CACHE_SECONDS = 30.0


def _key_secret() -> str | None:
    return os.environ.get("IDENTITY_KEY_ENCRYPTION_KEY") or None


def all_keys(conn) -> list[dict]:
    out = []
    for r in conn.execute(select(signing_keys).order_by(signing_keys.c.activated_at)):
        k = row_dict(r)
        k["private_pem"] = keys_domain.unseal_private_key(k["private_pem"], _key_secret())
        out.append(k)
    return out


def insert_new_key(conn, now: dt.datetime, activate_at: dt.datetime) -> str:
    pem = keys_domain.generate_private_key_pem()
    kid = keys_domain.kid_of(pem)
    conn.execute(signing_keys.insert().values(kid=kid, private_pem=keys_domain.seal_private_key(pem, _key_secret()),
                                              public_pem=keys_domain.public_pem(pem),
                                              created_at=now, activated_at=activate_at))
    clear_key_cache()
    return kid


def ensure_signing_key(engine, now: dt.datetime) -> None:
    """Create the first key if there is none (an advisory lock serialises concurrent instances)."""
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(7461001)"))
        if keys_domain.signing_key(all_keys(conn), now) is None:
            insert_new_key(conn, now, now)


def cached_keys(engine, now: dt.datetime) -> list[dict]:
    with _KEY_LOCK:
        entry = _KEY_CACHE.get("keys")
        if entry and time.monotonic() - entry[0] < KEY_CACHE_SECONDS:
            ks = entry[1]
            if keys_domain.signing_key(ks, now) is not None:
                return ks
    ensure_signing_key(engine, now)
    with engine.connect() as conn:
        ks = all_keys(conn)
    with _KEY_LOCK:
        _KEY_CACHE["keys"] = (time.monotonic(), ks)
    return ks


def clear_key_cache() -> None:
    with _KEY_LOCK:
        _KEY_CACHE.clear()


class KeyStore:
    def __init__(self, engine):
        self.engine = engine

    def all(self, now: dt.datetime) -> list[dict]:
        return cached_keys(self.engine, now)

    def signing_key(self, now: dt.datetime) -> dict:
        return keys_domain.signing_key(self.all(now), now)

    def rotate(self, conn, now: dt.datetime, activate_at: dt.datetime) -> tuple[str, dict | None]:
        """A new key active from ``activate_at``; the current one retires then. Returns (kid, retired key)."""
        current = keys_domain.signing_key(all_keys(conn), now)
        kid = insert_new_key(conn, now, activate_at)
        if current is not None:
            conn.execute(update(signing_keys).where(signing_keys.c.kid == current["kid"])
                         .values(retired_at=activate_at))
        return kid, current

    def forget(self) -> None:
        """The process cache is read again (after a rotation committed)."""
        clear_key_cache()
