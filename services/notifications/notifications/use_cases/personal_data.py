"""Personal data: what the service keeps about a person (``GET /me/data``) and its erasure
(``user.anonymized``)."""
from __future__ import annotations

import datetime as dt

from .. import views
from .access import user_of


def export(uow, actor, addresses=None) -> dict:
    """Everything this service keeps about the caller: the messages sent to them (to their account, or to one
    of ``addresses``, their e-mail and phone as identity knows them, for messages sent before they had an
    account) with what each said (template, subject, context; single-use secrets masked), their in-app
    notifications, their preferences and their pending reminders."""
    with uow.read() as q:
        user_id = user_of(actor)
        addrs = sorted({str(a).strip().lower() for a in (addresses or []) if a and str(a).strip()})[:10]
        return views.personal_data(q.personal_data(user_id, addrs))


def erase(repo, user_id: str, now: dt.datetime, role: str | None = None) -> dict:
    """Erase what this service holds about a user (identity erased them first), and their names and words
    from the messages others received about their applications and agreements."""
    return repo.erase_user(user_id, now, role)
