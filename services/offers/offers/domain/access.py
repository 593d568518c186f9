"""Who may act on what (pure): the owner of an offer (or an admin) manages it, and for an employer's offer every
member of its employer space (``space_id``, carried by the access token: identity's spaces); operators use the partner API;
employers (or admins) create offers; an admin alone changes the calendar or reads another account's offers.
Someone else's offer is answered "not found" (its existence is not revealed)."""
from __future__ import annotations

from common.errors import Forbidden

CREATOR_ROLES = ("employer", "admin")


def is_admin(actor: dict | None) -> bool:
    return (actor or {}).get("role") == "admin"


def employer_space(actor: dict | None) -> str | None:
    """The space an employer acts in: the token's ``space_id``, else their personal space (their user id)."""
    a = actor or {}
    if a.get("role") != "employer" or not a.get("user_id"):
        return None
    return str(a.get("space_id") or a["user_id"])


def offer_space(offer: dict) -> str | None:
    """An employer offer's space (before spaces: its employer's personal space, whose id is their user id)."""
    value = offer.get("space_id") or offer.get("employer_id")
    return str(value) if value else None


def manages(actor: dict | None, offer: dict) -> bool:
    """An admin; for an employer's offer, any member of its space; otherwise (partner offers) its owner."""
    if is_admin(actor):
        return True
    space = employer_space(actor)
    if space is not None and offer_space(offer) is not None:
        return space == offer_space(offer)
    user_id = (actor or {}).get("user_id")
    return bool(user_id and user_id == offer.get("owner_id"))


def check_creator(actor: dict | None) -> None:
    if (actor or {}).get("role") not in CREATOR_ROLES:
        raise Forbidden("Seuls les employeurs créent des offres.", code="role_forbidden")


def operator_of(actor: dict | None) -> str:
    """The operator's id; only operators use the partner API."""
    a = actor or {}
    if a.get("role") != "operator" or not a.get("user_id"):
        raise Forbidden("L'API partenaire est réservée aux opérateurs.", code="role_forbidden")
    return a["user_id"]


def check_calendar_editor(actor: dict | None) -> None:
    if not is_admin(actor):
        raise Forbidden("Seul un administrateur peut modifier le calendrier.")


def space_to_list(actor: dict | None, owner_id: str | None) -> str | None:
    """An employer lists the offers of their space (None: list by owner, see ``owner_to_list``)."""
    return None if owner_id else employer_space(actor)


def owner_to_list(actor: dict | None, owner_id: str | None) -> str:
    """Whose offers the caller lists: their own; an admin may name another owner."""
    a = actor or {}
    if not a.get("user_id"):
        raise Forbidden()
    if owner_id and not is_admin(a):
        raise Forbidden("Seul un administrateur consulte les offres d'un autre compte.")
    return str(owner_id or a["user_id"])
