"""Retention: inactive accounts are warned, then anonymised (``domain.anonymisation``); old rate-limit events
and the detailed reports of old pupil imports are forgotten. Deleting one's own account (on request, below)
ends the same way (``anonymize``: one home for what anonymising means)."""
from __future__ import annotations

import datetime as dt
import logging

from common.clock import paris_date
from common.errors import Conflict, Forbidden, ValidationError

from .. import views
from ..domain import anonymisation, roles, throttle
from .context import Context, acting_user, rate_committed

log = logging.getLogger("identity.anonymisation")


def anonymize_inactive_now(ctx: Context, actor: dict | None) -> dict:
    """The admins' command; the service's timer runs ``anonymize_inactive`` itself."""
    roles.require_admin(actor)
    return anonymize_inactive(ctx)


def anonymize_inactive(ctx: Context, limit: int = 500) -> dict:
    """The idle timer: accounts within ``WARNING_NOTICE`` of their threshold are warned (e-mail with the date);
    those warned at least that long ago and still idle are anonymised (``anonymisation.idle_step``)."""
    with ctx.uow.read() as s:
        candidates = ctx.queries.inactive_accounts(s, anonymisation.inactivity_cutoffs(ctx.now), limit)
    warned, done = [], []
    for u in candidates:
        step = anonymisation.idle_step(u["role"], u["last_activity_at"], u.get("warned_at"), ctx.now)
        if step == anonymisation.WARN:
            if warn(ctx, u):
                warned.append(u["id"])
        elif step == anonymisation.ANONYMISE:
            if u["email"]:   # told before, by the notifications service; no row is locked meanwhile
                ctx.notify("anonymisation_notice", {"email": u["email"], "name": _name(u)}, {},
                           f"anonymisation:{u['id']}")
            anonymize(ctx, u["id"])
            done.append(u["id"])
    return {"warned": len(warned), "anonymized": len(done), "user_ids": done, "warned_ids": warned}


def _name(u: dict) -> str:
    return f"{u['first_name']} {u['last_name']}".strip()


def warn(ctx: Context, u: dict) -> bool:
    """Warn an idle account of the date of its anonymisation (e-mail, when it has an address), then record
    ``warned_at`` if it is still idle and unwarned (a sign-in meanwhile wins)."""
    on = anonymisation.anonymised_on(u["role"], u["last_activity_at"], ctx.now)
    if u["email"]:   # to the account (not the address): erased with it if it is anonymised
        ctx.notify("anonymisation_warning", {"user_id": u["id"]}, {"anonymised_on": paris_date(on).isoformat()},
                   f"anonymisation-warning:{u['id']}:{u['last_activity_at'].isoformat()}")
    with ctx.uow.begin() as uow:
        fresh = ctx.repo.get_user(uow.session, u["id"], for_update=True)
        if (fresh is None or fresh["status"] == "anonymized" or fresh["last_activity_at"] != u["last_activity_at"]
                or anonymisation.is_warned(fresh["last_activity_at"], fresh.get("warned_at"))):
            return False
        ctx.repo.update_user(uow.session, u["id"], warned_at=ctx.now)
    return True


def anonymize(ctx: Context, user_id: str, reason: str = "inactivity") -> None:
    with ctx.uow.begin() as uow:
        c = uow.session
        u = ctx.repo.get_user(c, user_id, for_update=True)
        if u is None or u["status"] == "anonymized":
            return
        ctx.repo.update_user(c, u["id"], status="anonymized", anonymized_at=ctx.now, updated_at=ctx.now,
                             class_name=None, organisation_name=None, pupil_key=f"anonymized:{u['id']}",
                             **anonymisation.anonymised_fields(u["id"]))
        ctx.repo.revoke_families(c, u["id"], ctx.now, "anonymized")
        ctx.deny_sessions(ctx.repo.family_ids_of(c, u["id"]))
        ctx.repo.delete_user_secrets(c, u["id"])
        ctx.repo.delete_federation_rows(c, u["id"])
        ctx.repo.update_user(c, u["id"], warned_at=None)
        uow.emit("user.anonymized", {"user_id": u["id"], "role": u["role"], "school_uai": u["school_uai"],
                                     "reason": reason})


def prune(ctx: Context) -> dict:
    """Housekeeping: forget rate-limit events older than EVENT_RETENTION, and the detailed reports of
    pupil imports older than IMPORT_REPORT_RETENTION (rejected rows hold names and birth dates);
    the summary (counts) stays."""
    with ctx.uow.begin() as uow:
        events = ctx.repo.prune_events(uow.session, ctx.now - throttle.EVENT_RETENTION)
        reports = ctx.repo.purge_import_reports(uow.session, ctx.now - anonymisation.IMPORT_REPORT_RETENTION,
                                                ctx.now)
    return {"rate_events": events, "import_reports": reports}


# -- deleting one's own account ------------------------------------------------------------------------------
def _deletable(ctx: Context, actor: dict | None) -> dict:
    with ctx.uow.read() as s:
        u = acting_user(ctx, s, actor)
    if not anonymisation.may_delete_own_account(u["role"]):
        raise Forbidden("Un compte administrateur ne peut pas être supprimé de cette façon.",
                        code="deletion_not_allowed")
    return u


def _hold(ctx: Context, user_id: str) -> dict:
    """The agreements in progress that hold the deletion (asked of conventions; no row is locked)."""
    hold = ctx.conventions.deletion_hold(user_id) if ctx.conventions is not None else {"held": False}
    until = hold.get("held_until")
    return {"held": bool(hold.get("held")), "held_until": until,
            "message": anonymisation.deletion_held_message(dt.date.fromisoformat(until) if until else None)
            if hold.get("held") else None}


def request_deletion(ctx: Context, actor: dict | None) -> dict:
    """First step of « Supprimer mon compte »: tells whether an agreement in progress holds it (and until when),
    else that the password must be entered again to confirm (nothing changes yet)."""
    u = _deletable(ctx, actor)
    hold = _hold(ctx, u["id"])
    return views.deletion_status(hold, anonymisation.DELETION_CONFIRM_WITH)


def confirm_deletion(ctx: Context, actor: dict | None, password) -> dict:
    """Second step: the password again; unless an agreement in progress holds it (409 ``deletion_held`` with
    the date), the account is anonymised at once, like an idle one (``anonymize``). Calling it again after
    success answers 401: the sessions are closed."""
    if not isinstance(password, str) or not password:
        raise ValidationError(errors={"password": ["Saisissez votre mot de passe pour confirmer la suppression."]})
    u = _deletable(ctx, actor)
    rate_committed(ctx, f"deletion:{u['id']}", throttle.Limit(anonymisation.DELETION_PER_ACCOUNT_ATTEMPTS,
                                                                anonymisation.DELETION_ATTEMPTS_WINDOW))
    if not ctx.passwords.verify(u["password_hash"], password):
        raise ValidationError(errors={"password": ["Mot de passe incorrect."]})
    hold = _hold(ctx, u["id"])
    if hold["held"]:
        raise Conflict(hold["message"], code="deletion_held", extra={"held_until": hold["held_until"]})
    if u["email"]:
        ctx.notify("account_deleted", {"email": u["email"], "name": _name(u)}, {}, f"account-deleted:{u['id']}")
    anonymize(ctx, u["id"], reason="request")
    return {"deleted": True, "user_id": u["id"]}


def timer_tick(make_ctx) -> None:
    """The idle-accounts timer: warn, anonymise, prune; a failure is logged and the next run retries."""
    try:
        out = anonymize_inactive(make_ctx())
        if out["anonymized"] or out["warned"]:
            log.info("idle accounts: %d warned, %d anonymised", out["warned"], out["anonymized"])
        prune(make_ctx())
    except Exception:
        log.exception("anonymisation run failed; next run will retry")
