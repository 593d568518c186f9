"""Exports: the employer's CSV of their applications, and everything this service keeps about a person (GDPR
access right, ``GET /me/data``)."""
from __future__ import annotations

from common.errors import Forbidden

from .. import views
from ..domain import export
from ..domain import states as S
from ..domain import visibility


def export_csv(uow, actor: dict, filters: dict | None, limit: int = 20_000) -> dict:
    if (actor or {}).get("role") not in ("employer", "admin"):
        raise Forbidden("Seules les entreprises peuvent exporter leurs candidatures.")
    f = visibility.list_filters(filters)
    scope = visibility.list_scope(actor)
    with uow.read() as q:
        apps = [views.public(r) for r in q.export_rows(scope, f, limit)]
        hist = q.history([a["id"] for a in apps])
    for a in apps:
        a["history"] = hist[a["id"]]
    role = "employer" if actor.get("role") == "employer" else "admin"
    return {"filename": "candidatures.csv", "content_type": "text/csv; charset=utf-8",
            "content": export.to_csv(apps, role), "count": len(apps)}


def export_personal_data(uow, actor: dict) -> dict:
    """Everything this service keeps about the person ``actor`` is.

    A pupil: each of their applications in full (motivation, address, contacts, legal representative, the
    school snapshot) with its history, and the transfer links sent for them (addressee, dates; the token
    itself is kept hashed and is not personal data). Anyone: the history entries of applications they acted
    on (an employer's answers and messages, a staff member's actions), without the others' personal data.
    """
    uid = str((actor or {}).get("user_id") or "")
    if not uid:
        raise Forbidden("Connectez-vous pour exporter vos données.")
    with uow.read() as q:
        apps = q.pupil_applications(uid)
        apps.sort(key=lambda a: (a["submitted_at"], a["id"]))
        ids = [a["id"] for a in apps]
        hist = q.history(ids)
        transfers = q.transfer_links(ids)
        acted = q.acted_on(uid, ids)
    for a in apps:
        a["weeks"] = list(a.get("weeks") or ())
        a["state_label"] = S.label(a["state"], None)
        a["history"] = hist[a["id"]]
        a["transfers"] = transfers.get(a["id"], [])
    actions = [{k: v for k, v in r.items() if k != "actor_id"} for r in acted]
    return views.jsonable({"applications": apps, "actions": actions})
