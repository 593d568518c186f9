"""Password hashing for the service's process: Argon2id (``domain.passwords.PasswordHasher``) with the
cost of ``settings.argon2_params()``, run in a real thread (CPU-bound, it would block eventlet)."""
from __future__ import annotations

from eventlet import tpool

from . import settings
from .domain.passwords import PasswordHasher


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None):
        self._hasher = hasher

    @property
    def hasher(self) -> PasswordHasher:
        if self._hasher is None:
            self._hasher = PasswordHasher(**settings.argon2_params())
        return self._hasher

    def hash(self, pw: str) -> str:
        return tpool.execute(self.hasher.hash, pw)

    def verify(self, stored: str | None, pw: str) -> bool:
        if not stored:   # the same work for an unknown account
            tpool.execute(self.hasher.dummy_verify, pw or "")
            return False
        return tpool.execute(self.hasher.verify, stored, pw)

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.needs_rehash(stored)


PASSWORDS = Passwords()
