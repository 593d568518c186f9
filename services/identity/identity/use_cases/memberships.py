"""School staff in several schools: the schools a person belongs to, and switching the current one
(``users.school_uai``, the token's ``school_uai``). Rules: ``domain.federation``."""
from __future__ import annotations

from common.errors import Forbidden

from .. import views
from ..domain import accounts, federation as fed, roles
from .context import Context, acting_user, touch
from .sessions import issue


def _staff(ctx: Context, conn, actor: dict, for_update: bool = False) -> dict:
    user = acting_user(ctx, conn, actor, for_update=for_update)
    if user.get("role") != roles.SCHOOL_STAFF:
        raise Forbidden("Réservé aux personnels d'établissement.", code="not_school_staff")
    return user


def memberships(ctx: Context, conn, user: dict) -> list[dict]:
    """Every school of the person; the current one as the account row holds it (first)."""
    rows = [m for m in ctx.repo.memberships_of(conn, user["id"]) if m["school_uai"] != user.get("school_uai")]
    own = next((m for m in ctx.repo.memberships_of(conn, user["id"]) if m["school_uai"] == user.get("school_uai")),
               None)
    current = {**fed.current_membership(user), "source": (own or {}).get("source") or fed.SOURCE_PLATFORM}
    return ([current] if user.get("school_uai") else []) + rows


def list_my_schools(ctx: Context, actor: dict) -> dict:
    with ctx.uow.read() as s:
        user = _staff(ctx, s, actor)
        items = []
        for m in memberships(ctx, s, user):
            head = ctx.repo.designated_head(s, m["school_uai"])
            items.append(views.membership(m, ctx.repo.get_school(s, m["school_uai"]),
                                          current=m["school_uai"] == user.get("school_uai"),
                                          designated_head=bool(head) and head["user_id"] == user["id"]))
    return {"current_uai": user.get("school_uai"), "items": items}


def switch_school(ctx: Context, actor: dict, uai: str, client: dict | None = None) -> dict:
    """Make ``uai`` the current school (403 when it is not one of the person's); answers fresh tokens
    (a new session) whose ``school_uai``, ``function`` and ``staff_confirmed`` are the new school's."""
    uai = accounts.normalize_uai(uai)
    with ctx.uow.begin() as uow:
        c = uow.session
        user = _staff(ctx, c, actor, for_update=True)
        rows = ctx.repo.memberships_of(c, user["id"])
        target = fed.check_can_switch(user, rows, uai)
        if uai != user.get("school_uai"):
            own = next((m for m in rows if m["school_uai"] == user.get("school_uai")), None)
            if user.get("school_uai") and user.get("function"):   # saved as the account row holds it
                ctx.repo.upsert_membership(c, user["id"], {
                    **fed.current_membership(user), "source": (own or {}).get("source") or fed.SOURCE_PLATFORM},
                    ctx.now)
            ctx.repo.update_user(c, user["id"], updated_at=ctx.now, **fed.user_fields_of(target))
        touch(ctx, c, user["id"])
        return issue(ctx, c, ctx.repo.get_user(c, user["id"]), client)
