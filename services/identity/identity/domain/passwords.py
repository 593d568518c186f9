"""Password policy and Argon2id hashing."""
from __future__ import annotations

from argon2 import PasswordHasher as _Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128


def password_problems(password) -> list[str]:
    """Every rule the password breaks, in French (empty list when it is fine)."""
    if not isinstance(password, str) or password == "":
        return [f"Le mot de passe est obligatoire ({MIN_LENGTH} caractères minimum)."]
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"au moins {MIN_LENGTH} caractères (actuellement {len(password)})")
    if len(password) > MAX_LENGTH:
        problems.append(f"au plus {MAX_LENGTH} caractères (actuellement {len(password)})")
    if not any(c.islower() for c in password):
        problems.append("une lettre minuscule")
    if not any(c.isupper() for c in password):
        problems.append("une lettre majuscule")
    if not any(c.isdigit() for c in password):
        problems.append("un chiffre")
    if not any(not c.isalnum() and not c.isspace() for c in password):
        problems.append("un caractère spécial (par exemple ! ? @ # % & * -)")
    return problems


def check_password(password) -> str | None:
    """One French message listing everything missing, or None."""
    problems = password_problems(password)
    if not problems:
        return None
    if len(problems) == 1 and problems[0].startswith("Le mot de passe"):
        return problems[0]
    return "Le mot de passe doit contenir " + ", ".join(problems[:-1]) + (
        " et " if len(problems) > 1 else "") + problems[-1] + "."


# Argon2id's cost: OWASP's Password Storage Cheat Sheet (19 MiB, 2 passes, 1 lane), ~23 ms of CPU a check here.
# RFC 9106's 64 MiB × 3 passes cost ~200 ms, which alone needed ~9.5 cores at the national peak hour
# (bench/README.md « National peak »). Hashes of another cost are upgraded at the next login (needs_rehash).
TIME_COST = 2
MEMORY_KIB = 19456
PARALLELISM = 1


class PasswordHasher:
    """Argon2id wrapper (cost above; tests may pass cheaper parameters)."""

    def __init__(self, time_cost: int = TIME_COST, memory_cost: int = MEMORY_KIB, parallelism: int = PARALLELISM):
        self._h = _Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism,
                                hash_len=32, salt_len=16, type=Type.ID)

    def hash(self, password: str) -> str:
        return self._h.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        if not stored_hash or not isinstance(password, str):
            return False
        try:
            return self._h.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        try:
            return self._h.check_needs_rehash(stored_hash)
        except InvalidHashError:
            return True

    def dummy_verify(self, password: str) -> None:
        """Spend the time of a verification when the account does not exist,
        so response times do not reveal which emails are registered."""
        if not hasattr(self, "_dummy"):
            self._dummy = self._h.hash("dummy-password-for-timing")
        self.verify(self._dummy, password if isinstance(password, str) else "")
