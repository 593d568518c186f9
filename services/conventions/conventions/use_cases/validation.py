"""Validation by the school: the head of school printed as its representative is chosen from identity (asked
before any lock), the content is frozen and hashed, links go to the legal representatives; and reopening."""
from __future__ import annotations

from .. import views
from ..domain import convention as C
from ..domain import representative as R
from . import command, need_actor
from .legal_reps import issue_links, send_links


def representative(clients, actor) -> dict | None:
    """The head of school the document prints as the school's representative (R.choose_representative)."""
    if actor.get("role") != "school_staff" or actor.get("function") not in C.VALIDATING_FUNCTIONS:
        return None  # refused by the domain anyway
    if actor.get("function") == "head":
        return R.choose_representative(actor, clients.user(actor["user_id"]), None)
    uai = actor.get("school_uai")
    heads = clients.heads(uai) if uai else []
    return R.choose_representative(actor, None, heads, R.designated_head(heads))


def validate(uow, clients, actor, convention_id, now) -> dict:
    """Freeze the content, open the signatures and send a link to each legal representative."""
    chosen = representative(clients, need_actor(actor))
    issued = []

    def op(conv, repo):
        events = C.validate(conv, actor, now, representative=chosen)
        issued.extend(issue_links(repo, conv, now))
        return events

    conv = command(uow, actor, convention_id, now, op)
    return {**views.view(conv, actor), "links_sent": send_links(clients, conv, issued)}


def reopen(uow, actor, convention_id, to, now) -> dict:
    def op(conv, repo):
        events = C.reopen(conv, actor, now, to=to)
        repo.revoke_links(conv.id, now)
        return events

    return views.view(command(uow, actor, convention_id, now, op), actor)
