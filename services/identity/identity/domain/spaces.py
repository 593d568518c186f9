"""Employers' spaces (« espaces »): a team sharing offers, applications and agreements (pure rules).

- Every employer has a personal space whose id is their own user id: it exists implicitly (no row) until it is
  first shared; its owner is that employer. Records of other services carry ``space_id`` (the personal space's
  id, i.e. the creator's ``employer_id``, unless created in a shared space).
- An employer works in one space at a time, their *current* space, carried in the access token (``space_id``):
  the space they last joined, else their personal space.
- The owner invites colleagues by e-mail (a single-use link, 7 days, hashed); an employer account accepts it
  and the space becomes its current space; a person without an account creates an employer account from the
  invitation. A member may leave; the owner may remove a member and cannot leave their own space.
"""
from __future__ import annotations

import datetime as dt

from common.errors import Conflict, FieldErrors, Forbidden, NotFound
from common.validation import check_email, check_text, normalize_email

from . import roles

OWNER = "owner"
MEMBER = "member"
INVITATION_TTL = dt.timedelta(days=7)
MAX_MEMBERS = 50
NAME_MAX = 200

NOT_A_MEMBER = "Espace introuvable."       # a non-member learns nothing about a space (404)


def personal_space_id(user_id: str) -> str:
    return str(user_id)


def current_space_id(user: dict, stored: str | None) -> str | None:
    """The ``space_id`` claim: the stored current space, else the personal space; None for other roles."""
    if user.get("role") != roles.EMPLOYER:
        return None
    return stored or personal_space_id(user["id"])


def personal_space_name(user: dict) -> str:
    name = (user.get("organisation_name") or "").strip() or \
        " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return (name or "Mon espace")[:NAME_MAX]


def membership(space_id: str, user_id: str, stored_role: str | None) -> str | None:
    """The role of ``user_id`` in ``space_id`` (a personal space is owned by its employer even without rows)."""
    if stored_role:
        return stored_role
    return OWNER if str(space_id) == str(user_id) else None


def require_member(role: str | None) -> str:
    if role is None:
        raise NotFound(NOT_A_MEMBER, code="space_not_found")
    return role


def require_employer(actor: dict | None) -> None:
    if (actor or {}).get("role") != roles.EMPLOYER:
        raise Forbidden("Réservé aux employeurs.", code="employers_only")


def require_owner(role: str | None) -> None:
    if require_member(role) != OWNER:
        raise Forbidden("Seul le propriétaire de l'espace peut inviter ou retirer des membres.", code="not_owner")


def clean_invitation(email, member_count: int) -> str:
    errs = FieldErrors()
    m = check_email(email)
    if m:
        errs.add("email", m)
    errs.raise_if_any()
    if member_count >= MAX_MEMBERS:
        raise Conflict(f"Un espace compte au plus {MAX_MEMBERS} membres.", code="space_full")
    return normalize_email(email)


def clean_name(name) -> str:
    m = check_text(name, min_len=2, max_len=NAME_MAX)
    if m:
        errs = FieldErrors()
        errs.add("name", m)
        errs.raise_if_any()
    return name.strip()


def check_removal(actor_id: str, actor_role: str | None, target_id: str, target_role: str | None) -> None:
    """A member leaves (target = actor), or the owner removes a member; nobody removes the owner."""
    require_member(actor_role)
    if target_role is None:
        raise NotFound("Ce membre ne fait pas partie de l'espace.", code="member_not_found")
    if str(actor_id) != str(target_id) and actor_role != OWNER:
        raise Forbidden("Seul le propriétaire de l'espace peut retirer un membre.", code="not_owner")
    if target_role == OWNER:
        raise Conflict("Le propriétaire ne peut pas quitter son espace ni en être retiré.", code="owner_stays")


def invitation_status(record: dict | None, now: dt.datetime) -> str:
    """"valid", "used", "expired" or "unknown" for an invitation found by its token's hash."""
    if record is None:
        return "unknown"
    if record.get("accepted_at") is not None:
        return "used"
    if now >= record["expires_at"]:
        return "expired"
    return "valid"


INVITATION_MESSAGES = {
    "unknown": "Cette invitation est invalide.",
    "used": "Cette invitation a déjà été acceptée.",
    "expired": "Cette invitation a expiré : demandez-en une nouvelle au propriétaire de l'espace.",
}


def check_joiner(user: dict, invitation_email: str) -> None:
    """Only an employer account joins a space (the invitation may be opened from another address: the link is
    the proof, as for colleagues of a school)."""
    if user.get("role") != roles.EMPLOYER:
        raise Forbidden("Seul un compte employeur peut rejoindre un espace employeur.", code="employers_only")
