"""A removed offer (offers' ``offer.removed``: by its employer or a moderator) takes its applications in
progress with it: each is cancelled (``machine.CANCEL_OFFER_REMOVED``, state cancelled_by_employer,
``application.cancelled`` with cause offer_removed: notifications tell the pupil), a held seat is given back
once committed."""
from __future__ import annotations

import dataclasses

from ..domain import machine as M
from ..views import facts_of
from . import seats, transitions

HANDLER = "applications.on_offer_removed"


def on_offer_removed(uow, clients, envelope: dict, now) -> list[str]:
    """Cancel the offer's applications in progress; the ids cancelled (none when the event was handled)."""
    offer_id = str((envelope.get("data") or {}).get("offer_id") or "")
    if not offer_id:
        return []
    released, cancelled = [], []
    with uow.begin() as repo:
        if not repo.claim(envelope, HANDLER):
            return []
        for row in repo.lock_of_offer(offer_id, M.OFFER_REMOVAL_CANCELS):
            t = M.decide(facts_of(row), M.CANCEL_OFFER_REMOVED, transitions.SYSTEM_ACTOR, now)
            if t is None:
                continue
            t = dataclasses.replace(t, reason=M.MSG_OFFER_REMOVED)
            transitions.apply(repo, row, t)
            cancelled.append(row["id"])
            if t.releases_seat:
                released.append(row["id"])
    for application_id in released:   # after the commit; the timer retries what fails (seats.reconcile)
        seats.release(uow, clients.offers, offer_id, application_id)
    return cancelled
