"""Personal data of a person on agreements (``domain.retention``, docs/privacy.md): whether their agreements in
progress hold the deletion of their account (asked by identity), and what is erased when identity anonymises
them (``user.anonymized``): on agreements not signed by all, their identifying fields and signatures' names and
traces; agreements signed by all are kept whole for the legal retention period."""
from __future__ import annotations

import datetime as dt

from common.clock import paris_date

from ..domain import retention

HANDLER = "conventions.on_user_anonymized"


def deletion_hold(uow, user_id, now: dt.datetime) -> dict:
    """{"held": bool, "held_until": "YYYY-MM-DD" | None}: identity's question before deleting an account."""
    with uow.read() as q:
        agreements = q.agreements_of(str(user_id))
    held, until = retention.deletion_held_until(agreements, paris_date(now))
    return {"held": held, "held_until": until.isoformat() if until else None}


def on_user_anonymized(uow, envelope: dict, now: dt.datetime) -> dict:
    """Erase the anonymised person from their agreements not signed by all (idempotent: inbox claim)."""
    user_id = str(envelope["data"]["user_id"])
    erased, kept = [], []
    with uow.begin() as repo:
        if not repo.claim(envelope, HANDLER):
            return {"erased": [], "kept": []}
        ids = repo.ids_of_person(user_id)
        for cid, conv in (repo.get_many(ids, for_update=True) if ids else {}).items():
            before = [s.id for s in conv.signatures]
            if not retention.erase_party(conv, user_id):
                kept.append(cid)
                continue
            repo.save(conv, now, before=before)
            repo.erase_signatures(cid, user_id, retention.signature_roles_of(retention.side_of(conv, user_id)),
                                  retention.ANONYMOUS)
            repo.drop_document(cid)
            erased.append(cid)
        repo.drop_signature_codes(user_id)
    return {"erased": erased, "kept": kept}
