"""An anonymised person (identity's ``user.anonymized``): their offers stay, without the fields that identify a
person (``domain.personal_data``). Idempotent: inbox claim."""
from __future__ import annotations

import datetime as dt

from ..domain import personal_data

HANDLER = "offers.on_user_anonymized"


def on_user_anonymized(uow, envelope: dict, now: dt.datetime) -> list[str]:
    user_id = str(envelope["data"]["user_id"])
    changed = []
    with uow.begin() as repo:
        if not repo.claim(envelope, HANDLER):
            return []
        for offer in repo.offers_of_person(user_id):
            values = personal_data.erased_columns(offer)
            if values:
                repo.change(offer["id"], {**values, "updated_at": now})
                changed.append(offer["id"])
    return changed
