"""The context every use case takes, and the small steps several of them share."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from common import seams
from common.errors import Conflict, NotFound, RateLimited, Unauthorized, ValidationError

from .. import closed_sessions, queries, repository
from ..domain import roles, throttle, tokens


@dataclass
class Context:
    uow: Any                         # repository.UnitOfWork: begin() one transaction (.session, .emit), read()
    now: dt.datetime                 # the service clock's time for this call
    notifications: Any = None        # clients.Notifications (send_message), None: nothing is sent
    conventions: Any = None          # clients.Conventions (deletion_hold), None: nothing holds a deletion
    keys: Any = None                 # repository.keys.KeyStore: signing keys
    passwords: Any = None            # hashing.Passwords
    repo: Any = repository           # write side (tests: testkit.identity.FakeRepository)
    queries: Any = queries           # read side
    deny_sessions: Callable = closed_sessions.deny   # closed sessions, told to the gateways (Redis)

    def notify(self, template: str, to: dict, context: dict, key: str) -> None:
        if self.notifications is not None:
            self.notifications.send_message(template, to, context, key)


NO_USER = "00000000-0000-0000-0000-000000000000"   # matches no account


def hand_out(kind: str, key: str, secret: str) -> None:
    """A secret (token, code) leaves identity for a person (tests may listen: common.seams)."""
    seams.secret_handed_out(kind, key, secret)


def is_uuid(v) -> bool:
    try:
        uuid.UUID(str(v))
        return True
    except (ValueError, TypeError, AttributeError):
        return False


def require_user(actor) -> None:
    if not actor or not actor.get("user_id"):
        raise Unauthorized("Authentification requise : connectez-vous.", code="missing_token")


def client_ip(client: dict | None) -> str:
    return (client or {}).get("ip") or "unknown"


def acting_user(ctx: Context, conn, actor: dict | None, for_update: bool = False) -> dict:
    """The acting account's record (identity checks its own data, not the token's copy of it).
    Admins are trusted from the token's role."""
    require_user(actor)
    if actor.get("role") == roles.ADMIN:
        return {"id": actor["user_id"], "role": roles.ADMIN}
    u = ctx.repo.get_user(conn, actor["user_id"], for_update=for_update) if is_uuid(actor["user_id"]) else None
    if u is None or u["status"] != "active":
        raise Unauthorized("Session expirée ou révoquée : reconnectez-vous.", code="account_inactive")
    return u


def require_school(ctx: Context, conn, uai: str) -> dict:
    school = ctx.repo.get_school(conn, uai)
    if school is None:
        raise NotFound("Établissement introuvable.", code="school_not_found")
    return school


def rate(ctx: Context, conn, bucket: str, limit: throttle.Limit, count: bool = True) -> None:
    d = throttle.sliding_window(ctx.repo.window_events(conn, bucket, throttle.window_start(ctx.now, limit)),
                                ctx.now, limit)
    if not d.allowed:
        raise RateLimited("Trop de tentatives. Réessayez dans quelques instants.", retry_after=d.retry_after)
    if count:
        ctx.repo.add_event(conn, bucket, ctx.now)


def rate_committed(ctx: Context, bucket: str, limit: throttle.Limit) -> None:
    """Count an attempt in its own transaction (kept even if the request then fails)."""
    err = None
    with ctx.uow.begin() as uow:
        try:
            rate(ctx, uow.session, bucket, limit)
        except RateLimited as e:
            err = e
    if err:
        raise err


def touch(ctx: Context, conn, user_id: str, **extra) -> None:
    ctx.repo.update_user(conn, user_id, last_activity_at=ctx.now, updated_at=ctx.now, **extra)


def new_token(ctx: Context, conn, user_id: str | None, kind: str) -> tokens.NewToken:
    """A one-time token for ``user_id``. Without a user (a reset asked for an unknown address) the
    same work is done and nothing is stored."""
    ctx.repo.expire_tokens(conn, user_id or NO_USER, kind, ctx.now)
    t = tokens.new_token(kind, ctx.now)
    if user_id:
        ctx.repo.insert_token(conn, user_id, kind, t.token_hash, ctx.now, t.expires_at)
    return t


def use_token(ctx: Context, conn, raw: str, kind: str) -> dict:
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError(errors={"token": ["Le jeton est obligatoire."]})
    rec = ctx.repo.find_token(conn, tokens.hash_token(raw.strip()))
    status = tokens.token_status(rec, raw.strip(), kind, ctx.now)
    if status == tokens.UNKNOWN:
        raise NotFound(tokens.MESSAGES[status], code="token_unknown")
    if status != tokens.VALID:
        raise Conflict(tokens.MESSAGES[status], code=f"token_{status}")
    ctx.repo.mark_token_used(conn, rec["id"], ctx.now)
    return rec


def holder_of(ctx: Context, conn, raw: str, kind: str, waiting_status: str, already_message: str) -> dict:
    """The account a one-time token (activation, invitation) was made for, locked; the token is used up.
    ``Conflict`` when the account no longer waits for it."""
    rec = use_token(ctx, conn, raw, kind)
    u = ctx.repo.get_user(conn, rec["user_id"], for_update=True)
    if u["status"] != waiting_status:
        raise Conflict(already_message, code="already_active")
    return u


def mark_activated(ctx: Context, conn, uow, u: dict, status: str = "active", **values) -> None:
    """The account is activated (``values``: what the person gave on the way); ``user.activated`` is published."""
    touch(ctx, conn, u["id"], status=status, activated_at=ctx.now, **values)
    uow.emit("user.activated", {"user_id": u["id"], "role": u["role"], "school_uai": u["school_uai"],
                                "grade": u["grade"]})


def tell_identifier_owner(ctx: Context, owner_id: str, kind: str) -> None:
    """Someone gave an e-mail address or a mobile number that already belongs to an account: the
    answer to them is the same as for a free one, and the owner is told by message."""
    ctx.notify("identifier_in_use", {"user_id": owner_id}, {"identifier": kind},
               f"identifier_in_use:{owner_id}:{kind}:{ctx.now.strftime('%Y%m%d%H')}")
