"""An anonymised account (identity's ``user.anonymized``): erase what we hold about the pupil, or what an
employer wrote; the application itself stays, for statistics (docs/privacy.md)."""
from __future__ import annotations

HANDLER = "applications.on_user_anonymized"


def on_user_anonymized(uow, envelope: dict) -> None:
    data = envelope["data"]
    with uow.begin() as repo:
        if not repo.claim(envelope, HANDLER):
            return
        if data.get("role") == "pupil":
            repo.erase_pupil(data["user_id"])
        else:
            repo.erase_author(data["user_id"])
