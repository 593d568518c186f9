"""Figures: applications by state and school category in the actor's scope, and the school's class summary."""
from __future__ import annotations

from common.errors import Forbidden

from ..domain import stats, visibility


def statistics(uow, actor: dict, filters: dict | None) -> dict:
    scope, where = stats.scope(actor, filters)
    with uow.read() as q:
        counts, pupils, months = q.stats_rows(where)
    out = stats.aggregate(counts, pupils, months)
    out["scope"] = scope
    return out


def class_summary(uow, clients, actor: dict) -> dict:
    """School staff: per class, how many pupils applied / confirmed, and who has no application yet."""
    if (actor or {}).get("role") != "school_staff" or not actor.get("school_uai"):
        raise Forbidden("Réservé aux équipes des établissements.")
    uai = actor["school_uai"]
    pupils = clients.identity.school_pupils(actor, uai)  # the roster is identity's
    with uow.read() as q:
        states = q.school_states(uai)
    classes = visibility.class_summary(pupils, states)
    return {"school_uai": uai, "classes": classes,
            "pupils": len(pupils), "with_application": sum(c["with_application"] for c in classes),
            "confirmed": sum(c["confirmed"] for c in classes)}
