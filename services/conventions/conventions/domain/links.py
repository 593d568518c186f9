"""Single-use links for legal representatives.

The token (256 bits, URL-safe) is sent by email and never stored: only its
SHA-256 is, which the service looks up; the comparison is made in constant time.
A link is usable while the convention is open for signature, no legal
representative has signed, the link was not replaced or revoked, and fewer than
``MAX_NAME_ATTEMPTS`` wrong names were typed through it (then it is locked: the
school or the pupil sends a new link). The expected name is never disclosed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import secrets

from common.errors import Conflict, Locked, NotFound, ValidationError

from . import states as S
from .convention import LEGAL_REP_ROLE, Convention


@dataclasses.dataclass
class RepresentativeLink:
    convention_id: str
    rep_index: int  # 0 or 1: which legal representative
    token_hash: str
    created_at: dt.datetime
    used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    failed_attempts: int = 0
    locked_at: dt.datetime | None = None


MAX_NAME_ATTEMPTS = 5
LOCKED_MESSAGE = ("Ce lien est bloqué : trop de noms erronés ont été saisis. Demandez à l'établissement ou à "
                  "l'élève de vous envoyer un nouveau lien.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_link(convention_id: str, rep_index: int, now: dt.datetime) -> tuple[str, RepresentativeLink]:
    token = secrets.token_urlsafe(32)
    return token, RepresentativeLink(convention_id, rep_index, token_hash(token), now)


def matches(link: RepresentativeLink, token: str) -> bool:
    return hmac.compare_digest(link.token_hash, token_hash(token or ""))


def check_usable(link: RepresentativeLink | None, token: str, conv: Convention | None) -> None:
    """Raise NotFound (unknown or replaced link) or Conflict (used, or the convention no longer awaits it)."""
    if link is None or conv is None or not matches(link, token) or link.revoked_at is not None:
        raise NotFound("Ce lien n'est pas valide. Demandez à l'établissement ou à l'élève de vous le renvoyer.",
                       code="link_invalid")
    if link.locked_at is not None:
        raise Locked(LOCKED_MESSAGE, code="link_locked")
    if link.used_at is not None or conv.signature_for(LEGAL_REP_ROLE) is not None:
        raise Conflict("Ce lien a déjà été utilisé : la convention a été signée par un représentant légal.",
                       code="link_used")
    if conv.state == S.CANCELLED:
        raise Conflict("Cette convention a été annulée.", code="convention_cancelled")
    if conv.state == S.SIGNED_BY_ALL:
        raise Conflict("La convention est déjà signée par toutes les parties.", code="link_used")
    if conv.state not in S.SIGNABLE:
        raise Conflict("La convention a été rouverte par l'établissement : un nouveau lien vous sera envoyé.",
                       code="link_expired")


def name_mismatch(link: RepresentativeLink, now: dt.datetime):
    """A wrong name was typed through ``link``: count it (mutates ``link``; locked at the last attempt) and
    return the error to raise. The message never tells the expected name."""
    link.failed_attempts += 1
    left = MAX_NAME_ATTEMPTS - link.failed_attempts
    if left <= 0:
        link.locked_at = link.locked_at or now
        return Locked(LOCKED_MESSAGE, code="link_locked")
    return ValidationError(
        "Le nom saisi ne correspond pas.",
        {"full_name": ["Le nom saisi ne correspond pas à celui du représentant légal enregistré par "
                       "l'établissement. Saisissez votre prénom et votre nom complets. "
                       + (f"Il vous reste {left} essais." if left > 1 else "Il vous reste un essai.")]},
        code="name_mismatch", extra={"attempts_left": left})
