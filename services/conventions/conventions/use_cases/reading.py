"""Reading: one convention, the role-scoped list, counts by state, the personal-data export."""
from __future__ import annotations

from common import scopes
from common.errors import ValidationError

from .. import views
from ..domain import states as S
from ..domain.convention import SIGNATURE_ROLES, check_can_view, visible_filter
from . import load, need_actor

MAX_PAGE = 100


def get(uow, actor, convention_id) -> dict:
    actor = need_actor(actor)
    with uow.begin() as repo:
        conv = load(repo, convention_id)
    check_can_view(conv, actor)
    return views.view(conv, actor)


def list_conventions(uow, actor, filters=None) -> dict:
    """Role-scoped list. filters: state (str or list), class_name, missing_signature (a role or "any"),
    q (pupil name), page, per_page."""
    actor = need_actor(actor)
    filters = filters or {}
    visible = visible_filter(actor)
    states = filters.get("state")
    if states:
        states = [states] if isinstance(states, str) else list(states)
        bad = [x for x in states if x not in S.STATES]
        if bad:
            raise ValidationError(errors={"state": [f"État inconnu : {', '.join(bad)}."]})
    missing = filters.get("missing_signature")
    roles = None
    if missing:
        roles = list(SIGNATURE_ROLES) if missing == "any" else [missing]
        if any(r not in SIGNATURE_ROLES for r in roles):
            raise ValidationError(errors={"missing_signature": ["Rôle de signature inconnu."]})
    page = max(1, int(filters.get("page") or 1))
    per_page = min(MAX_PAGE, max(1, int(filters.get("per_page") or 30)))
    with uow.read() as q:
        total, convs, by_state = q.page(visible, states=states, class_name=filters.get("class_name"),
                                        q=filters.get("q"), missing_roles=roles, page=page, per_page=per_page)
    return {"items": [views.view(conv, actor, summary=True) for conv in convs],
            "page": page, "per_page": per_page, "total": total, "counts": by_state}


def stats(uow, actor, filters=None) -> dict:
    """Counts by state in the actor's scope (common.scopes: school staff their school, statisticians the
    scope of their account, admins national, each narrowed with school_uai/departement/academie/region
    inside it; employers their own conventions), by grade if asked; by class for school staff."""
    actor = need_actor(actor)
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    unknown = set(filters) - set(scopes.PARAMS) - {"grade"}
    if unknown:
        raise ValidationError(errors={k: ["Filtre inconnu."] for k in sorted(unknown)})
    role = actor.get("role")
    if role == "employer":
        equalities = [visible_filter(actor)]   # the conventions of their space
        scope = {"kind": "employer", "code": actor["user_id"]}
    else:
        sc = scopes.of_actor(actor, {k: v for k, v in filters.items() if k in scopes.PARAMS})
        equalities = list(sc.filters())
        scope = sc.as_dict()
    if filters.get("grade"):
        equalities.append(("grade", filters["grade"]))
        scope["grade"] = filters["grade"]
    with uow.read() as q:
        found, by_class = q.counts(equalities, by_class=(role == "school_staff"))
    counts = {st: 0 for st in S.STATES}
    counts.update(found)
    return {"counts": counts, "total": sum(counts.values()), "by_class": by_class, "scope": scope}


def export_personal_data(uow, actor) -> dict:
    """Everything this service keeps about the caller (``GET /me/data``): queries.personal_data."""
    actor = need_actor(actor)
    with uow.read() as q:
        return q.personal_data(str(actor["user_id"]))
