"""The transfer link: issued with a transfer (the employer forwards the application to someone outside the
platform), read and answered once by whoever holds it."""
from __future__ import annotations

import hashlib
import secrets

from common import seams
from common.errors import Conflict, NotFound, ValidationError

from .. import views
from ..domain import deadlines as C
from ..domain import machine as M
from . import answers


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def send_link(clients, row: dict, email: str, message: str | None) -> str:
    """A new link's token, sent to ``email`` before anything is locked; only its hash is stored, with the
    transfer (a transfer that does not happen leaves a link that leads nowhere)."""
    token = secrets.token_urlsafe(32)
    clients.notifications.send_transfer_link(email, token, hash_token(token), row, message)
    return token


def store_link(repo, application_id: str, email: str, token: str, now) -> None:
    repo.add_transfer_link(hash_token(token), application_id, email, now, C.transfer_link_expires_at(now))
    seams.secret_handed_out("transfer", application_id, token)


def _recipient(application_id: str) -> dict:
    return {"role": M.TRANSFER_RECIPIENT, "application_id": application_id, "user_id": None}


def _valid(link: dict | None, now) -> dict:
    if link is None:
        raise NotFound("Ce lien de transfert est invalide.")
    if link["used_at"] is not None:
        raise Conflict("Ce lien de transfert a déjà été utilisé.", code="transfer_link_used")
    if now >= link["expires_at"]:
        raise Conflict("Ce lien de transfert a expiré.", code="transfer_link_expired")
    return link


def get_transfer(uow, token: str, now) -> dict:
    with uow.read() as q:
        link = _valid(q.transfer_link(hash_token(str(token or ""))), now)
        row = q.get(link["application_id"])
    view = views.application(row, _recipient(row["id"]), now)
    return {"application": views.for_transfer_recipient(view), "expires_at": link["expires_at"].isoformat()}


def decide_transfer(uow, token: str, decision: str, now, reason=None, message=None) -> dict:
    if decision not in (M.ACCEPT, M.REJECT):
        raise ValidationError(errors={"decision": ["Choisissez « accept » ou « reject »."]})
    token_hash = hash_token(str(token or ""))
    with uow.begin() as repo:
        link = _valid(repo.transfer_link(token_hash, lock=True), now)
        row, pupil_rows = answers.lock(repo, link["application_id"])
        actor = _recipient(row["id"])
        done = answers.transition_locked(repo, row, pupil_rows, actor, decision, now, reason=reason, message=message)
        if done is None:
            raise Conflict("Cette candidature a déjà reçu une réponse.", code="invalid_transition")
        repo.use_transfer_link(token_hash, now)
        view = views.application(repo.get(row["id"]), actor, now)
    return views.for_transfer_recipient(view)


