"""The caller's own profile: name, function and job title at once; a new e-mail address or mobile number once
confirmed from it (the old one is then told). Rules: ``domain/profile.py``."""
from __future__ import annotations

import logging

from common.errors import Conflict, NotFound, ValidationError

from .. import settings
from ..domain import profile, roles
from ..domain.profile import EMAIL, PHONE
from .accounts import get_me
from .context import Context, acting_user, hand_out, rate_committed, tell_identifier_owner, touch

log = logging.getLogger("identity")

# Secrets handed out (tests read them with ``last_secret(kind, key)``): key = the new e-mail address, or the
# account's id for a phone code.
SECRET_KIND = {EMAIL: "email_change", PHONE: "phone_change"}
TEMPLATES = {EMAIL: ("email_change_confirm", "email_changed_notice"),
             PHONE: ("phone_change_code", "phone_changed_notice")}
EVENTS = {EMAIL: "user.email_changed", PHONE: "user.phone_changed"}


UNAVAILABLE = "unavailable"


def _own_record(ctx: Context, conn, actor: dict, for_update: bool = False) -> dict:
    """The caller's active account (admins too: ``acting_user`` trusts their token, here their record is read)."""
    u = acting_user(ctx, conn, actor, for_update=for_update)
    if u["role"] == roles.ADMIN:
        u = ctx.repo.get_user(conn, actor["user_id"], for_update=for_update)
        if u is None:
            raise NotFound("Compte introuvable.", code="user_not_found")
    return u


def update_profile(ctx: Context, actor: dict, data: dict) -> dict:
    """PATCH /me: first_name, last_name, function (school staff), job_title; applied at once."""
    with ctx.uow.begin() as uow:
        c = uow.session
        u = _own_record(ctx, c, actor, for_update=True)
        clean = profile.validate_profile_changes(data, u)
        if "function" in clean:
            head = ctx.repo.designated_head(c, u["school_uai"]) if u.get("school_uai") else None
            clean.update(profile.function_change_effects(u, clean["function"],
                                                         bool(head) and head["user_id"] == u["id"]))
        touch(ctx, c, u["id"], **clean)
    return get_me(ctx, actor)


def request_change(ctx: Context, actor: dict, kind: str, value) -> dict:
    """POST /me/email {email}, POST /me/phone {phone}: the secret goes to the new identifier. The answer is the
    same when it belongs to another account (whose owner is told, as at registration)."""
    with ctx.uow.read() as s:
        u = _own_record(ctx, s, actor)
        school = ctx.repo.get_school(s, u["school_uai"]) if u.get("school_uai") else None
    new_value = profile.clean_new_identifier(kind, value, u, school)
    rate_committed(ctx, f"change:{kind}:{u['id']}", settings.limit("identifier_change", profile.CHANGES_PER_ACCOUNT))
    secret = profile.new_secret(kind)
    secret_hash = profile.hash_secret(kind, secret, u["id"])
    with ctx.uow.begin() as uow:
        c = uow.session
        owner = ctx.repo.identifier_owner(c, kind, new_value, except_id=u["id"])
        ctx.repo.void_changes(c, u["id"], kind, ctx.now)
        if owner is None:
            ctx.repo.insert_change(c, u["id"], kind, new_value, secret_hash, ctx.now,
                                   profile.expires_at(kind, ctx.now))
    if owner is not None:
        tell_identifier_owner(ctx, owner, kind)
    else:
        hand_out(SECRET_KIND[kind], new_value if kind == EMAIL else u["id"], secret)
        name = " ".join(p for p in (u.get("first_name"), u.get("last_name")) if p)
        ctx.notify(TEMPLATES[kind][0], {kind: new_value, "name": name},
                   {"token" if kind == EMAIL else "code": secret}, f"{SECRET_KIND[kind]}:{secret_hash[:32]}")
    return {"status": "accepted", "detail": profile.REQUESTED_DETAIL[kind]}


def confirm_email_change(ctx: Context, token: str, actor: dict | None = None) -> dict:
    """POST /me/email/confirm {token}: the link's token proves the new address; the old one is told."""
    if not isinstance(token, str) or not token.strip():
        raise ValidationError(errors={"token": ["Le jeton est obligatoire."]})
    return _confirm(ctx, EMAIL, token, actor,
                    lambda c: ctx.repo.change_by_hash(c, profile.hash_secret(EMAIL, token)))


def confirm_phone_change(ctx: Context, actor: dict, code: str) -> dict:
    """POST /me/phone/confirm {code}: the code the new number received (5 attempts)."""
    if not isinstance(code, str) or not code.strip().isdigit() or len(code.strip()) != profile.CODE_DIGITS:
        raise ValidationError(errors={"code": ["Saisissez le code à 6 chiffres reçu par SMS."]})
    with ctx.uow.read() as s:
        acting_user(ctx, s, actor)
    return _confirm(ctx, PHONE, code.strip(), actor,
                    lambda c: ctx.repo.pending_change(c, actor["user_id"], PHONE))


def _confirm(ctx: Context, kind: str, secret: str, actor: dict | None, find) -> dict:
    wrong = None
    with ctx.uow.begin() as uow:
        c = uow.session
        rec = find(c)
        status = profile.change_status(rec, kind, secret, ctx.now)
        if status == profile.WRONG:
            ctx.repo.count_attempt(c, rec["id"])
            wrong = status
        elif status != profile.VALID:
            pass
        else:
            u = ctx.repo.get_user(c, rec["user_id"], for_update=True)
            if u is None or u["status"] in ("anonymized", "disabled") or \
                    (actor and actor.get("user_id") and actor["user_id"] != u["id"]):
                status = profile.UNKNOWN
            elif ctx.repo.identifier_owner(c, kind, rec["new_value"], except_id=u["id"]) is not None:
                ctx.repo.mark_change_used(c, rec["id"], ctx.now)
                status = UNAVAILABLE
            else:
                old = u[kind]
                ctx.repo.void_changes(c, u["id"], kind, ctx.now)
                touch(ctx, c, u["id"], **{kind: rec["new_value"]})
                uow.emit(EVENTS[kind], {"user_id": u["id"]})
    if status == UNAVAILABLE:
        raise Conflict(profile.UNAVAILABLE[kind], code=f"{kind}_unavailable")
    if wrong:
        raise ValidationError(errors={"code": [profile.MESSAGES[wrong]]})
    if status == profile.UNKNOWN:
        raise NotFound(profile.MESSAGES[status], code="change_unknown")
    if status != profile.VALID:
        raise Conflict(profile.MESSAGES[status], code=f"change_{status}")
    notice = TEMPLATES[kind][1]
    key = f"{notice}:{rec['id']}"
    if old:
        ctx.notify(notice, {kind: old, "name": " ".join(p for p in (u["first_name"], u["last_name"]) if p)}, {}, key)
    else:   # no number before: the account's e-mail address is told
        ctx.notify(notice, {"user_id": u["id"]}, {}, key)
    return {"status": "changed", kind: rec["new_value"], "detail": profile.CONFIRMED_DETAIL[kind]}
