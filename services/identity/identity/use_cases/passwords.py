"""Passwords: a reset by e-mail (or SMS) link, and a change by the logged-in person. Both close every
session of the account."""
from __future__ import annotations

from common.errors import ValidationError

from .. import settings
from ..domain import accounts, throttle, tokens
from ..domain.passwords import check_password
from .context import Context, client_ip, hand_out, new_token, rate_committed, require_user, touch, use_token

RESET_ANSWER = {"status": "accepted",
                "detail": "Si un compte correspond à cette adresse, un e-mail vient de lui être envoyé."}
RESETTABLE_STATUSES = ("active", "pending_validation")


def request_password_reset(ctx: Context, email: str, client: dict | None = None) -> dict:
    ident = accounts.normalize_login_identifier(email)
    if ident is None:
        raise ValidationError(errors={"email": ["Saisissez votre adresse e-mail ou votre numéro de mobile."]})
    ip = client_ip(client)
    rate_committed(ctx, f"reset:ip:{ip}", settings.limit("reset_ip", throttle.RESET_PER_IP))
    rate_committed(ctx, f"reset:acct:{ident[1]}", settings.limit("reset_account", throttle.RESET_PER_ACCOUNT))
    # The same work whether or not an account can be reset (the answer's timing told them apart):
    # one token made, the same statements, one message handed to notifications — the link to
    # the account, or to the address (or number) given, that no active account uses it.
    with ctx.uow.begin() as uow:
        user = ctx.repo.find_by_login(uow.session, *ident)
        if user is None or user["status"] not in RESETTABLE_STATUSES:
            user = None
        t = new_token(ctx, uow.session, user["id"] if user else None, tokens.PASSWORD_RESET)
    if user is not None:
        hand_out(tokens.PASSWORD_RESET, ident[1], t.raw)
        ctx.notify("password_reset", {"user_id": user["id"]}, {"token": t.raw}, f"reset:{t.token_hash[:32]}")
    else:
        ctx.notify("password_reset_no_account", {ident[0]: ident[1]}, {}, f"reset:{t.token_hash[:32]}")
    return RESET_ANSWER


def confirm_password_reset(ctx: Context, token: str, password: str) -> dict:
    m = check_password(password)
    if m:
        raise ValidationError(errors={"password": [m]})
    pw_hash = ctx.passwords.hash(password)
    with ctx.uow.begin() as uow:
        c = uow.session
        rec = use_token(ctx, c, token, tokens.PASSWORD_RESET)
        ctx.repo.expire_tokens(c, rec["user_id"], tokens.PASSWORD_RESET, ctx.now)
        touch(ctx, c, rec["user_id"], password_hash=pw_hash)
        closed = ctx.repo.revoke_families(c, rec["user_id"], ctx.now, "password_reset")
        ctx.deny_sessions(closed)
        ctx.repo.save_lock(c, f"user:{rec['user_id']}", 0, None, ctx.now)
    return {"status": "password_changed", "revoked_sessions": len(closed),
            "detail": "Mot de passe modifié : toutes vos sessions ont été fermées. Connectez-vous à nouveau."}


def change_password(ctx: Context, actor: dict, current_password: str, new_password: str) -> dict:
    require_user(actor)
    m = check_password(new_password)
    if m:
        raise ValidationError(errors={"new_password": [m]})
    with ctx.uow.read() as s:
        u = ctx.repo.get_user(s, actor["user_id"])
    if u is None or not ctx.passwords.verify(u["password_hash"], current_password or ""):
        raise ValidationError(errors={"current_password": ["Mot de passe actuel incorrect."]})
    pw_hash = ctx.passwords.hash(new_password)
    with ctx.uow.begin() as uow:
        touch(ctx, uow.session, u["id"], password_hash=pw_hash)
        closed = ctx.repo.revoke_families(uow.session, u["id"], ctx.now, "password_change")
        ctx.deny_sessions(closed)
    return {"status": "password_changed", "revoked_sessions": len(closed)}
