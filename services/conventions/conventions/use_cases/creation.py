"""Conventions are created, pre-filled, from ``application.confirmed`` (once per application) and cancelled
with their application (``application.cancelled``). The other services are asked before the transaction
(``clients.prefill_sources``); the inbox claim and the insert are in one transaction."""
from __future__ import annotations

import logging

from ..domain import convention as C
from ..domain import representative as R
from ..domain.prefill import build, location

log = logging.getLogger("conventions")

CONFIRMED_HANDLER = "conventions.on_application_confirmed"
CANCELLED_HANDLER = "conventions.on_application_cancelled"


def on_application_confirmed(uow, clients, envelope, now) -> str | None:
    """The new convention's id, or None when the application already has one (or the event was handled)."""
    data = envelope["data"]
    application_id = str(data["application_id"])
    with uow.begin() as repo:  # cheap check before the RPCs (the inbox decides below)
        exists = repo.id_for_application(application_id) is not None
    if exists:
        with uow.begin() as repo:
            repo.claim(envelope, CONFIRMED_HANDLER)
        return None
    src = clients.prefill_sources(data)
    # the designated head, or the only one: with several heads nobody is guessed (the validating head is
    # printed, see use_cases.validation)
    head = R.choose_representative(None, None, src["heads"], R.designated_head(src["heads"]))
    conv = build(data, src["application"], src["pupil"], src["school"], src["offer"], head=head)
    with uow.begin() as repo:
        if not repo.claim(envelope, CONFIRMED_HANDLER):
            return None
        if not repo.add(conv, now, location(src["school"], src["application"])):
            return None
        repo.emit([("convention.created", {
            "convention_id": conv.id, "application_id": conv.application_id, "offer_id": conv.offer_id,
            "organisation_id": conv.organisation_id, "school_uai": conv.school_uai,
            "pupil_user_id": conv.pupil_user_id, "employer_user_id": conv.employer_user_id,
            "grade": conv.grade, "weeks": conv.weeks})])
    log.info("convention %s created for application %s", conv.id, application_id)
    return conv.id


def on_application_cancelled(uow, envelope, now) -> None:
    data = envelope["data"]
    with uow.begin() as repo:
        if not repo.claim(envelope, CANCELLED_HANDLER):
            return
        cid = repo.id_for_application(str(data["application_id"]))
        if cid is None:
            return
        conv = repo.get(cid, for_update=True)
        before = [s.id for s in conv.signatures]
        events = C.cancel(conv, now, reason=data.get("state") or "application_cancelled")
        if not events:
            return
        repo.save(conv, now, before=before)
        repo.revoke_links(conv.id, now, unused_only=False)
        repo.emit(events)
