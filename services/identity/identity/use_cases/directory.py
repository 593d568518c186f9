"""What other services ask identity about people: users, contacts, a school's staff, a pupil's teachers."""
from __future__ import annotations

from common.errors import NotFound

from .. import views
from ..domain import accounts, roles
from ..domain import staff as staff_rules
from ..domain.teachers import teachers_of_pupil
from .context import Context, is_uuid


def _user(ctx: Context, user_id) -> dict:
    with ctx.uow.read() as s:
        u = ctx.repo.get_user(s, str(user_id)) if is_uuid(user_id) else None
    if u is None:
        raise NotFound("Utilisateur introuvable.", code="user_not_found")
    return u


def get_user(ctx: Context, user_id: str) -> dict:
    u = _user(ctx, user_id)
    out = views.user_public(u)
    if u["role"] == roles.PUPIL and u["status"] != "anonymized":   # the register's guardians (agreements' prefill)
        from .register import guardians_of
        with ctx.uow.read() as s:
            out["legal_representatives"] = guardians_of(ctx, s, u["id"])
    return out


def get_users(ctx: Context, user_ids) -> dict:
    ids = [str(i) for i in (user_ids or []) if is_uuid(i)][:500]
    if not ids:
        return {"items": []}
    with ctx.uow.read() as s:
        rows = ctx.queries.users_by_ids(s, ids)
    by = {r["id"]: views.user_public(r) for r in rows}
    return {"items": [by[i] for i in ids if i in by]}


def get_contact(ctx: Context, user_id: str) -> dict:
    return views.contact(_user(ctx, user_id))


def list_school_staff(ctx: Context, uai: str, functions=None) -> dict:
    uai = accounts.normalize_uai(uai)
    with ctx.uow.read() as s:
        rows = ctx.queries.active_school_staff(s, uai, functions)
        head = ctx.repo.designated_head(s, uai)
    head_id = head["user_id"] if head else None
    items = [{"user_id": u["id"], "function": u["function"], "first_name": u["first_name"],
              "last_name": u["last_name"], "confirmed": staff_rules.is_confirmed(u),
              "designated_head": u["id"] == head_id} for u in rows]
    items.sort(key=lambda x: not x["designated_head"])   # the designated head first (stable otherwise)
    return {"items": items, "designated_head_id": head_id}


def get_pupil_teachers(ctx: Context, pupil_id: str) -> dict:
    """Teachers to tell about a pupil (``domain.teachers``)."""
    with ctx.uow.read() as s:
        u = ctx.repo.get_user(s, str(pupil_id)) if is_uuid(pupil_id) else None
        if u is None or u["role"] != roles.PUPIL:
            raise NotFound("Élève introuvable.", code="pupil_not_found")
        if not u["school_uai"]:
            return {"items": [], "matched_class": False}
        teachers = ctx.queries.active_school_staff(s, u["school_uai"], [roles.TEACHER])
    chosen, matched = teachers_of_pupil(u["class_name"], teachers)
    return {"items": [{"user_id": t["id"], "function": t["function"], "first_name": t["first_name"],
                       "last_name": t["last_name"]} for t in chosen], "matched_class": matched}
