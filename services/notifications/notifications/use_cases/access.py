"""Who may call: the actor of a command (``actor`` dict passed by the gateway), checked where data is owned."""
from __future__ import annotations

from common.errors import Forbidden


def user_of(actor) -> str:
    """The caller's user id; Forbidden for an anonymous caller."""
    if not isinstance(actor, dict) or not actor.get("user_id"):
        raise Forbidden("Authentification requise.")
    return str(actor["user_id"])


def require_admin(actor) -> None:
    if not isinstance(actor, dict) or actor.get("role") != "admin":
        raise Forbidden("Réservé aux administrateurs.")


def page_bounds(page, page_size, default: int, most: int) -> tuple[int, int]:
    return max(1, int(page or 1)), min(most, max(1, int(page_size or default)))
