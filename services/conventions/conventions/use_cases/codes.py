"""The employer's signature code (domain.codes): issued and sent (then reported to ``common.seams``), checked
with every failed attempt recorded."""
from __future__ import annotations

from common import seams
from common.errors import DomainError, Forbidden, ServiceUnavailable

from ..domain import codes
from . import need_actor


def request_signature_code(uow, clients, actor, convention_ids, now) -> dict:
    """Send the employer a 6-digit code (SMS, or email without a mobile phone), valid 10 minutes. Stored first,
    sent after commit; removed again when notifications cannot take it."""
    actor = need_actor(actor)
    if actor.get("role") != "employer":
        raise Forbidden("Seul l'organisme d'accueil signe avec un code.")
    uid = actor["user_id"]
    with uow.begin() as repo:
        code, record = codes.issue(uid, now, repo.signature_code(uid, for_update=True))
        repo.put_signature_code(record)
    seams.secret_handed_out("code", uid, code)
    if not clients.send_message("signature_code", {"user_id": uid},
                                {"code": code, "convention_ids": ",".join(convention_ids or [])},
                                f"signature_code:{uid}:{now.isoformat()}"):
        with uow.begin() as repo:
            repo.delete_signature_code(uid, now)
        raise ServiceUnavailable("Le code n'a pas pu être envoyé. Réessayez dans quelques instants.")
    return {"sent": True, "expires_at": record.expires_at.isoformat(), "max_attempts": codes.MAX_ATTEMPTS}


def check_code(uow, user_id, code, now) -> None:
    """Verify the employer's code; attempts are recorded (committed) even when it is wrong."""
    error = None
    with uow.begin() as repo:
        record = repo.signature_code(user_id, for_update=True)
        attempts = record.attempts if record else None
        try:
            codes.verify(record, code, now)
        except DomainError as exc:
            error = exc
        if record is not None and record.attempts != attempts:
            repo.set_code_attempts(user_id, record.attempts)
    if error is not None:
        raise error
