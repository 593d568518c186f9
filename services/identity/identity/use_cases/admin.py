"""Administration: statisticians' validation, the admins' second factor, signing keys."""
from __future__ import annotations

import datetime as dt

from common.errors import Conflict, NotFound

from ..domain import access_tokens, keys as keys_domain, roles, totp
from .. import views
from .backoffice import journal
from .context import Context, is_uuid, touch


def validate_statistician(ctx: Context, actor: dict, user_id: str) -> dict:
    roles.require_admin(actor)
    with ctx.uow.begin() as uow:
        u = ctx.repo.get_user(uow.session, str(user_id), for_update=True) if is_uuid(user_id) else None
        if u is None or u["role"] != roles.STATISTICIAN:
            raise NotFound("Compte statisticien introuvable.", code="user_not_found")
        if u["status"] != "pending_validation":
            raise Conflict("Ce compte n'attend pas de validation.", code="not_pending_validation")
        touch(ctx, uow.session, u["id"], status="active")
        journal(ctx, uow.session, actor, "statistician.validate", "user", u["id"], None)
    return {"user_id": u["id"], "status": "active"}


def list_pending_statisticians(ctx: Context, actor: dict, page: int = 1, page_size: int = 50) -> dict:
    """Admins: statistician accounts waiting for a validation, oldest first (with their e-mail, to check the
    organisation they claim)."""
    roles.require_admin(actor)
    page = max(1, int(page or 1))
    page_size = max(1, min(int(page_size or 50), 200))
    with ctx.uow.read() as s:
        total, rows = ctx.queries.pending_statisticians(s, page, page_size)
    return {"items": [{**views.user_public(u), "email": u["email"]} for u in rows],
            "page": page, "page_size": page_size, "total": total}


def totp_setup(ctx: Context, actor: dict) -> dict:
    roles.require_admin(actor)
    secret = totp.new_secret()
    with ctx.uow.begin() as uow:
        u = ctx.repo.get_user(uow.session, actor["user_id"], for_update=True)
        if u is None:
            raise NotFound("Compte introuvable.")
        ctx.repo.update_user(uow.session, u["id"], totp_secret=secret, totp_last_step=None)
    return {"secret": secret, "provisioning_uri": totp.provisioning_uri(secret, u["email"] or u["id"])}


def get_jwks(ctx: Context) -> dict:
    published = keys_domain.select_keys_to_publish(ctx.keys.all(ctx.now), ctx.now, access_tokens.ACCESS_TTL)
    return keys_domain.build_jwks([(k["kid"], k["public_pem"]) for k in published])


def rotate_signing_key(ctx: Context, actor: dict | None, activate_in_seconds=0) -> dict:
    roles.require_admin(actor)
    activate_at = ctx.now + dt.timedelta(seconds=max(0, int(activate_in_seconds or 0)))
    with ctx.uow.begin() as uow:
        kid, current = ctx.keys.rotate(uow.session, ctx.now, activate_at)
        journal(ctx, uow.session, actor, "signing_key.rotate", "signing_key", kid, None,
                {"activated_at": activate_at, "retired": current["kid"] if current else None})
    ctx.keys.forget()
    return {"kid": kid, "activated_at": activate_at.isoformat(), "retired": current["kid"] if current else None}
