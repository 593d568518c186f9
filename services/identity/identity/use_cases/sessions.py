"""Sessions: log in (password, then TOTP for admins), refresh (rotation, the two-tabs grace, reuse
detection), log out, and whether a session is still open. Domain errors are raised after the transaction
that records a failure has committed (lockout counters, reuse detection)."""
from __future__ import annotations

import logging

from common.errors import Forbidden, RateLimited, Unauthorized, ValidationError

from .. import settings, views
from ..domain import access_tokens, accounts, refresh as refresh_rules, roles, throttle, tokens, totp
from .context import Context, client_ip, is_uuid, rate, touch

log = logging.getLogger("identity")

GENERIC_LOGIN_ERROR = "Identifiant ou mot de passe incorrect."


def claims_of(ctx: Context, conn, user: dict) -> dict:
    school = ctx.repo.get_school(conn, user["school_uai"]) if user.get("school_uai") else None
    u = dict(user)
    if user.get("role") == roles.STATISTICIAN and user.get("stat_scope") == "academie":
        u["academie"] = user.get("stat_scope_code")
    if user.get("role") == roles.EMPLOYER:
        from .spaces import space_claim
        u["space_id"] = space_claim(ctx, conn, user)
    return access_tokens.build_claims(u, school)


def issue(ctx: Context, conn, user: dict, client: dict | None, family: dict | None = None) -> dict:
    """A new access token and refresh token: a new session (family), or the next pair of ``family``."""
    now = ctx.now
    if family is None:
        r = refresh_rules.new_refresh(now)
        ctx.repo.insert_family(conn, r.family_id, user["id"], now, (client or {}).get("ip"),
                               ((client or {}).get("user_agent") or "")[:300] or None)
    else:
        r = refresh_rules.new_refresh(now, family_id=family["id"], family_started_at=family["started_at"])
        ctx.repo.touch_family(conn, family["id"], now)
    ctx.repo.insert_refresh_token(conn, r.token_id, r.family_id, r.token_hash, now, r.expires_at)
    claims = claims_of(ctx, conn, user)
    k = ctx.keys.signing_key(now)
    access = access_tokens.issue_access_token(claims, k["private_pem"], k["kid"], now, session_id=r.family_id)
    return {"access_token": access, "token_type": "Bearer",
            "expires_in": int(access_tokens.ACCESS_TTL.total_seconds()),
            "refresh_token": r.raw, "refresh_expires_at": r.expires_at.isoformat(),
            "user": views.user_public(user), "claims": claims}


def _count_failure(ctx: Context, conn, key: str, ip: str) -> tuple[dict, throttle.LockState]:
    lock = ctx.repo.lock_row(conn, key, ctx.now)
    st = throttle.after_failure(throttle.LockState(lock["failed_count"], lock["locked_until"]), ctx.now)
    ctx.repo.save_lock(conn, key, st.failed_count, st.locked_until, ctx.now)
    ctx.repo.add_event(conn, f"login_fail:ip:{ip}", ctx.now)
    return lock, st


def login(ctx: Context, identifier: str, password: str, totp_code: str | None = None,
          client: dict | None = None) -> dict:
    ident = accounts.normalize_login_identifier(identifier)
    if not isinstance(password, str) or not password:
        raise ValidationError(errors={"password": ["Le mot de passe est obligatoire."]})
    if ident is None:
        raise ValidationError(errors={"identifier": ["Saisissez votre adresse e-mail ou votre numéro de mobile."]})
    ip = client_ip(client)
    ip_limit = settings.limit("login_failures_ip", settings.LOGIN_FAILURES_PER_IP)
    acct_limit = settings.limit("login_account", throttle.LOGIN_PER_ACCOUNT)
    err = None
    with ctx.uow.begin() as uow:
        c = uow.session
        try:
            # Failed attempts from this address (not counted here: counted on failure).
            rate(ctx, c, f"login_fail:ip:{ip}", ip_limit, count=False)
            user = ctx.repo.find_by_login(c, *ident)
            key = f"user:{user['id']}" if user else f"id:{ident[0]}:{ident[1]}"
            lock = ctx.repo.lock_row(c, key, ctx.now)
            state = throttle.LockState(lock["failed_count"], lock["locked_until"])
            if throttle.is_locked(state, ctx.now):
                raise RateLimited("Trop d'échecs de connexion : ce compte est bloqué pendant 15 minutes. "
                                  "Réessayez plus tard ou réinitialisez votre mot de passe.",
                                  code="account_locked", retry_after=throttle.lock_retry_after(state, ctx.now))
            rate(ctx, c, f"login:acct:{key}", acct_limit)
        except RateLimited as e:
            err = e
    if err:
        raise err
    if not ctx.passwords.verify(user["password_hash"] if user else None, password):
        with ctx.uow.begin() as uow:
            lock, st = _count_failure(ctx, uow.session, key, ip)
        if st.locked_until is not None and lock["locked_until"] != st.locked_until:
            log.warning("login locked for 15 minutes after repeated failures (%s, ip %s)",
                        key if key.startswith("user:") else "unknown identifier", ip)
        raise Unauthorized(GENERIC_LOGIN_ERROR, code="invalid_credentials")
    # The password is right: now the account's state may be told.
    if user["status"] != "active":
        blocked = accounts.LOGIN_BLOCKED_STATUSES.get(user["status"])
        if blocked is None:
            raise Unauthorized(GENERIC_LOGIN_ERROR, code="invalid_credentials")
        raise Forbidden(blocked, code=accounts.LOGIN_BLOCKED_CODES.get(user["status"], f"account_{user['status']}"))
    if user["role"] == roles.ADMIN:
        _check_totp(ctx, user, totp_code, key, ip)
    with ctx.uow.begin() as uow:
        c = uow.session
        ctx.repo.save_lock(c, key, 0, None, ctx.now)
        fresh = ctx.repo.get_user(c, user["id"], for_update=True)
        touch(ctx, c, user["id"], last_login_at=ctx.now, warned_at=None)   # a sign-in clears the idle warning
        if ctx.passwords.needs_rehash(fresh["password_hash"]):
            ctx.repo.update_user(c, user["id"], password_hash=ctx.passwords.hash(password))
        return issue(ctx, c, fresh, client)


def _check_totp(ctx: Context, user: dict, code, key: str, ip: str) -> None:
    if not user.get("totp_secret"):
        raise Forbidden("Le second facteur (TOTP) de ce compte administrateur n'est pas configuré.",
                        code="totp_not_configured")
    if not code:
        raise Unauthorized("Saisissez le code à 6 chiffres de votre application d'authentification.",
                           code="totp_required")
    with ctx.uow.begin() as uow:
        c = uow.session
        u = ctx.repo.get_user(c, user["id"], for_update=True)
        step = totp.verify(u["totp_secret"], str(code), ctx.now, u.get("totp_last_step"))
        if step is None:
            _count_failure(ctx, c, key, ip)
        else:
            ctx.repo.update_user(c, u["id"], totp_last_step=step)
    if step is None:
        raise Unauthorized("Code de vérification incorrect.", code="totp_invalid")


def refresh(ctx: Context, refresh_token: str, client: dict | None = None) -> dict:
    if not isinstance(refresh_token, str) or not refresh_token:
        raise ValidationError(errors={"refresh_token": ["Le jeton de renouvellement est obligatoire."]})
    err = None
    out = None
    with ctx.uow.begin() as uow:
        c = uow.session
        # the token's row is locked: two tabs refreshing at once are served one after the other
        t, fam = ctx.repo.find_refresh(c, tokens.hash_token(refresh_token))
        decision = refresh_rules.refresh_decision(t, fam, ctx.now)
        if decision == refresh_rules.GRACE:
            # the same token again within seconds (another tab, a retried request): the same new pair
            out = refresh_rules.open_successor(refresh_token, t["successor"])
            if out is None:
                decision = refresh_rules.REUSE
        if decision == refresh_rules.REUSE:
            ctx.repo.revoke_family(c, fam["id"], ctx.now, "reuse")
            ctx.deny_sessions([fam["id"]])
            log.warning("refresh token reuse detected; family %s revoked", fam["id"])
            err = Unauthorized("Session révoquée : reconnectez-vous.", code="refresh_reused")
        elif decision == refresh_rules.GRACE:
            pass
        elif decision != refresh_rules.ROTATE:
            err = Unauthorized("Session expirée ou révoquée : reconnectez-vous.", code=f"refresh_{decision}")
        else:
            user = ctx.repo.get_user(c, fam["user_id"])
            if user is None or user["status"] != "active":
                err = Unauthorized("Session expirée ou révoquée : reconnectez-vous.", code="refresh_revoked")
            else:
                touch(ctx, c, user["id"])
                out = issue(ctx, c, user, client, family=fam)
                ctx.repo.mark_refresh_used(c, t["id"], ctx.now, refresh_rules.seal_successor(refresh_token, out))
    if err:
        raise err
    return out


def session_active(ctx: Context, session_id: str) -> dict:
    """Is this session (refresh family, claim ``sid``) still open? The gateway asks when Redis,
    where closed sessions are listed, does not answer."""
    if not is_uuid(session_id):
        return {"active": False}
    with ctx.uow.read() as s:
        row = ctx.queries.session_state(s, str(session_id))
    return {"active": row is not None and row["revoked_at"] is None and row["status"] == "active"}


def logout(ctx: Context, refresh_token: str | None = None, actor: dict | None = None,
           all_sessions: bool = False) -> dict:
    revoked = 0
    with ctx.uow.begin() as uow:
        c = uow.session
        if refresh_token:
            t, fam = ctx.repo.find_refresh(c, tokens.hash_token(refresh_token))
            if fam is not None and fam["revoked_at"] is None and \
                    (actor is None or actor.get("user_id") == fam["user_id"]):
                revoked += ctx.repo.revoke_family(c, fam["id"], ctx.now, "logout")
                ctx.deny_sessions([fam["id"]])
        if all_sessions and actor and actor.get("user_id"):
            closed = ctx.repo.revoke_families(c, actor["user_id"], ctx.now, "logout_all")
            ctx.deny_sessions(closed)
            revoked += len(closed)
    return {"status": "logged_out", "revoked_sessions": revoked}
