"""The head of school printed as the school's representative, and the signing head's account (pure).

Identity tells the school's heads (``list_school_staff``, the designated one marked ``designated_head``,
docs/school-staff.md) and the acting account (``get_user``); these functions choose from what it told.
"""
from __future__ import annotations


def full_name(person: dict | None) -> str | None:
    """"Prénom Nom" of an identity user/staff dict (or its ``name``), or None."""
    if not isinstance(person, dict):
        return None
    name = " ".join(x.strip() for x in (person.get("first_name"), person.get("last_name")) if x and x.strip())
    return name or (person.get("name") or "").strip() or None


def is_account_of(account: dict | None, actor: dict) -> bool:
    """``account`` (identity's user record) is the actor's own, still an active head of the actor's school."""
    if not isinstance(account, dict) or not full_name(account):
        return False
    return (str(account.get("id") or account.get("user_id")) == str(actor.get("user_id"))
            and account.get("status", "active") == "active"
            and account.get("function", "head") == "head"
            and account.get("school_uai", actor.get("school_uai")) == actor.get("school_uai"))


def choose_representative(actor: dict | None, account: dict | None, heads: list | None,
                          designated: dict | None = None) -> dict | None:
    """The head of school printed as the school's representative: the validating account when it is a head
    (``account``: that account as identity knows it); otherwise the school's designated head, or its only head.
    With several heads and none designated, nobody is guessed (None: validation then asks for a head)."""
    if actor and actor.get("function") == "head":
        if is_account_of(account, actor):
            return {"user_id": str(actor["user_id"]), "name": full_name(account)}
        return None
    if designated and full_name(designated):
        return {"user_id": designated.get("user_id") or designated.get("id"), "name": full_name(designated)}
    heads = [h for h in (heads or []) if isinstance(h, dict) and full_name(h)]
    if len(heads) == 1:
        return {"user_id": heads[0].get("user_id") or heads[0].get("id"), "name": full_name(heads[0])}
    return None


def designated_head(heads: list | None) -> dict | None:
    """The school's designated head when identity tells one (the ``list_school_staff`` item marked
    ``designated_head``); None otherwise."""
    return next((h for h in (heads or []) if isinstance(h, dict) and h.get("designated_head") is True), None)
