"""Use cases of the conventions service, one module per capability. Plain functions taking the unit of work
(``repository.UnitOfWork``, or ``testkit.conventions.FakeUnitOfWork`` in unit tests), the actor, the arguments,
``now`` and, where needed, the clients (``clients.Clients``) or the renderer; no SQL text here.

    creation     conventions created from ``application.confirmed``, cancelled with their application
    reading      one convention, the role-scoped list, counts, the personal-data export
    filling      each party's fields (draft, completion)
    validation   validation by the school (the representative printed, links sent), reopening
    legal_reps   the legal representatives' links (sent, sent again, what they see, their signature)
    codes        the employer's signature code
    signing      signatures of logged-in parties (one, or several all or nothing)
    documents    the sealed PDF and the school's signature image
"""
from __future__ import annotations

import uuid

from common.errors import NotFound, Unauthorized

from ..domain.convention import Convention


def need_actor(actor) -> dict:
    if not isinstance(actor, dict) or not actor.get("role") or not actor.get("user_id"):
        raise Unauthorized()
    return actor


def client_of(client) -> tuple[str | None, str | None]:
    """(ip, user agent) of the gateway's ``client`` argument."""
    client = client or {}
    return (client.get("ip") or None), (client.get("user_agent") or None)


def load(repo, convention_id, *, for_update: bool = False) -> Convention:
    try:
        uuid.UUID(str(convention_id))
    except ValueError:
        raise NotFound("Convention introuvable.", code="convention_not_found")
    conv = repo.get(convention_id, for_update=for_update)
    if conv is None:
        raise NotFound("Convention introuvable.", code="convention_not_found")
    return conv


def command(uow, actor, convention_id, now, op) -> Convention:
    """In one transaction: load for update, run ``op(conv, repo)`` (a domain operation returning its events),
    save, emit the events; the convention as saved."""
    need_actor(actor)
    with uow.begin() as repo:
        conv = load(repo, convention_id, for_update=True)
        before = [s.id for s in conv.signatures]
        events = op(conv, repo)
        repo.save(conv, now, before=before)
        repo.emit(events)
    return conv
