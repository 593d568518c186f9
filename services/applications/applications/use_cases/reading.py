"""Reading applications: one, and the lists (with the employer's tabs)."""
from __future__ import annotations

from common.errors import NotFound

from .. import views
from ..domain import states as S
from ..domain import visibility


def get_application(uow, application_id: str, actor: dict | None, now) -> dict:
    """One application with its history, as ``actor`` may read it (None: the service itself)."""
    with uow.read() as q:
        row = q.get(application_id)
        if row is None:
            raise NotFound("Candidature introuvable.")
        if actor is not None:
            visibility.check_view(actor, views.public(row))
        return views.application(row, actor, now, q.history([row["id"]])[row["id"]])


def list_applications(uow, actor: dict, filters: dict | None, now) -> dict:
    f = visibility.list_filters(filters)
    scope = visibility.list_scope(actor)
    with uow.read() as q:
        total, rows, by_state = q.page(scope, f)
    items = [views.application(r, actor, now) for r in rows]
    tabs = {tab: sum(by_state.get(st, 0) for st in states) for tab, states in S.TABS.items()}
    return {"items": items, "page": f["page"], "per_page": f["per_page"], "total": total, "tabs": tabs}
