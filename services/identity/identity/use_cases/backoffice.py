"""Back-office for admins: find an account and see it (state, role, school, open sessions, last login; never a
password hash, TOTP secret, code or token), lock and unlock it, send a new activation link, end its sessions,
and read the administration journal. Every action takes a reason and is journalled (``admin_actions``) in the
transaction that does it."""
from __future__ import annotations

from common.errors import Conflict, NotFound

from .. import views
from ..domain import account_locks, audit, refresh as refresh_rules, roles, tokens, user_search
from .accounts import _send_activation
from .context import Context, is_uuid, new_token


def journal(ctx: Context, conn, actor: dict | None, action: str, target_kind: str, target_id: str,
            reason: str | None, details: dict | None = None) -> None:
    """Write the journal entry of an admin action (inside the action's transaction)."""
    ctx.repo.insert_admin_action(conn, audit.record((actor or {}).get("user_id"), action, target_kind, target_id,
                                                    reason, details, ctx.now))


def paging(page, page_size, default: int = 50, most: int = 200) -> tuple[int, int]:
    return max(1, int(page or 1)), max(1, min(int(page_size or default), most))


def search_users(ctx: Context, actor: dict, q: str, role: str | None = None, page: int = 1,
                 page_size: int = 50) -> dict:
    roles.require_admin(actor)
    query = user_search.parse_query(q)
    role = user_search.check_role(role)
    page, page_size = paging(page, page_size)
    with ctx.uow.read() as s:
        total, rows = ctx.queries.search_users(s, query, role, page, page_size)
    return {"items": [views.admin_user_summary(u) for u in rows], "page": page, "page_size": page_size,
            "total": total, "query_kind": query.kind}


def _user(ctx: Context, conn, user_id, for_update: bool = False) -> dict:
    u = ctx.repo.get_user(conn, str(user_id), for_update=for_update) if is_uuid(user_id) else None
    if u is None or u["status"] == "anonymized":
        raise NotFound("Compte introuvable.", code="user_not_found")
    return u


def get_user(ctx: Context, actor: dict, user_id: str) -> dict:
    roles.require_admin(actor)
    with ctx.uow.read() as s:
        u = _user(ctx, s, user_id)
        school = ctx.repo.get_school(s, u["school_uai"]) if u.get("school_uai") else None
        sessions = ctx.queries.open_sessions(s, u["id"], ctx.now - refresh_rules.REFRESH_TTL)
        headed = ctx.queries.headed_schools(s, u["id"])
        _, history = ctx.queries.admin_actions_page(s, {"target_id": u["id"]}, 1, 20)
    return {**views.admin_user(u, school, sessions, headed), "journal": [views.admin_action(r) for r in history]}


def lock_user(ctx: Context, actor: dict, user_id: str, reason: str) -> dict:
    """Lock the account (naturally idempotent: an account already locked stays so, nothing is journalled)."""
    roles.require_admin(actor)
    reason = audit.check_reason(reason)
    closed = []
    with ctx.uow.begin() as uow:
        c = uow.session
        u = _user(ctx, c, user_id, for_update=True)
        changed = account_locks.check_lockable(u, actor.get("user_id"))
        if changed:
            ctx.repo.update_user(c, u["id"], status=account_locks.LOCKED, updated_at=ctx.now)
            closed = ctx.repo.revoke_families(c, u["id"], ctx.now, "locked")
            ctx.deny_sessions(closed)
            journal(ctx, c, actor, "user.lock", "user", u["id"], reason,
                    {"previous_status": u["status"], "ended_sessions": len(closed)})
            uow.emit("user.locked", {"user_id": u["id"]})
    return {"user_id": u["id"], "status": account_locks.LOCKED, "changed": changed, "ended_sessions": len(closed)}


def unlock_user(ctx: Context, actor: dict, user_id: str, reason: str) -> dict:
    """Give a locked account back the status it had (naturally idempotent)."""
    roles.require_admin(actor)
    reason = audit.check_reason(reason)
    with ctx.uow.begin() as uow:
        c = uow.session
        u = _user(ctx, c, user_id, for_update=True)
        status, changed = u["status"], u["status"] == account_locks.LOCKED
        if changed:
            last = ctx.repo.last_admin_action(c, u["id"], "user.lock")
            status = account_locks.status_after_unlock(((last or {}).get("details") or {}).get("previous_status"))
            ctx.repo.update_user(c, u["id"], status=status, updated_at=ctx.now)
            journal(ctx, c, actor, "user.unlock", "user", u["id"], reason, {"status": status})
            uow.emit("user.unlocked", {"user_id": u["id"]})
    return {"user_id": u["id"], "status": status, "changed": changed}


def resend_activation(ctx: Context, actor: dict, user_id: str, reason: str, idempotency_key: str | None = None) -> dict:
    """A new activation link to an account still waiting for its activation (the former link stops working).
    The same ``idempotency_key`` again sends nothing more."""
    roles.require_admin(actor)
    reason = audit.check_reason(reason)
    answer = {"status": "sent", "detail": "Un nouveau lien d'activation a été envoyé à l'adresse e-mail du compte."}
    with ctx.uow.begin() as uow:
        c = uow.session
        u = _user(ctx, c, user_id, for_update=True)
        if idempotency_key and ctx.repo.admin_action_by_key(c, u["id"], "user.resend_activation", idempotency_key):
            return {"user_id": u["id"], **answer}
        if u["status"] != "pending_activation" or not u.get("email"):
            raise Conflict("Ce compte n'attend pas d'activation par e-mail.", code="not_pending_activation")
        raw = new_token(ctx, c, u["id"], tokens.ACTIVATION).raw
        journal(ctx, c, actor, "user.resend_activation", "user", u["id"], reason,
                {"idempotency_key": idempotency_key} if idempotency_key else None)
    _send_activation(ctx, u["email"], u["id"], raw)
    return {"user_id": u["id"], **answer}


def end_sessions(ctx: Context, actor: dict, user_id: str, reason: str) -> dict:
    """End every session of the account (naturally idempotent: none left, nothing journalled)."""
    roles.require_admin(actor)
    reason = audit.check_reason(reason)
    with ctx.uow.begin() as uow:
        c = uow.session
        u = _user(ctx, c, user_id, for_update=True)
        closed = ctx.repo.revoke_families(c, u["id"], ctx.now, "admin")
        if closed:
            ctx.deny_sessions(closed)
            journal(ctx, c, actor, "user.end_sessions", "user", u["id"], reason, {"ended_sessions": len(closed)})
    return {"user_id": u["id"], "ended_sessions": len(closed)}


def list_admin_actions(ctx: Context, actor: dict, action: str | None = None, target_id: str | None = None,
                       actor_id: str | None = None, page: int = 1, page_size: int = 50) -> dict:
    roles.require_admin(actor)
    filters = audit.check_filters(action=action, target_id=target_id, actor_id=actor_id)
    page, page_size = paging(page, page_size)
    with ctx.uow.read() as s:
        total, rows = ctx.queries.admin_actions_page(s, filters, page, page_size)
    return {"items": [views.admin_action(r) for r in rows], "page": page, "page_size": page_size, "total": total}
