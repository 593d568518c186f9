"""An admin locks an account (it can neither log in nor refresh a session; its sessions end) and unlocks it
(it gets back the status it had)."""
from __future__ import annotations

from common.errors import Conflict

LOCKED = "locked"   # login refused: domain.accounts.LOGIN_BLOCKED_STATUSES / LOGIN_BLOCKED_CODES
# statuses an unlocked account may get back (anything else: active)
RESTORABLE = ("active", "pending_activation", "pending_validation", "invited", "disabled")


def check_lockable(target: dict, actor_id: str | None) -> bool:
    """Whether locking changes something (False: already locked). ``Conflict`` for one's own account or an
    anonymised one."""
    if target["id"] == actor_id:
        raise Conflict("Vous ne pouvez pas verrouiller votre propre compte.", code="cannot_lock_self")
    if target["status"] == "anonymized":
        raise Conflict("Ce compte a été anonymisé : il ne peut plus être verrouillé.", code="account_anonymized")
    return target["status"] != LOCKED


def status_after_unlock(previous_status: str | None) -> str:
    """The status the account had before it was locked (from the journal), else active."""
    return previous_status if previous_status in RESTORABLE else "active"
