"""Loading an offer for a use case: not found, or someone else's (answered not found too)."""
from __future__ import annotations

from common.errors import NotFound

from ..domain import access

MSG_NOT_FOUND = "Offre introuvable."


def load(repo, offer_id, lock: bool = False) -> dict:
    row = repo.get(offer_id, lock=lock)
    if row is None:
        raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
    return row


def load_managed(repo, actor, offer_id, lock: bool = True) -> dict:
    """The offer if the actor manages it (owner or admin); someone else's offer is not revealed."""
    row = load(repo, offer_id, lock=lock)
    if not access.manages(actor, row):
        raise NotFound(MSG_NOT_FOUND, code="offer_not_found")
    return row
