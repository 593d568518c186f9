"""Accounts: registration, activation (and a new link), the profile, the caller's personal data and the
classes a staff member follows."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError

from common.errors import Forbidden, NotFound, ValidationError
from common.validation import check_email, normalize_email

from .. import settings, views
from ..domain import accounts, roles, throttle, tokens
from ..domain import staff as staff_rules
from .context import Context, client_ip, hand_out, holder_of, mark_activated, new_token, rate_committed, \
    require_user, tell_identifier_owner

log = logging.getLogger("identity")

REGISTERED_ANSWER = {"status": "pending_activation",
                     "detail": "Compte créé : cliquez sur le lien envoyé par e-mail pour l'activer (valable 7 jours)."}
RESEND_ANSWER = {"status": "accepted",
                 "detail": "Si un compte en attente d'activation correspond à cette adresse, un nouveau lien lui a "
                           "été envoyé."}


def _send_activation(ctx: Context, email: str, user_id: str, raw: str) -> None:
    hand_out(tokens.ACTIVATION, email, raw)
    ctx.notify("account_activation", {"user_id": user_id}, {"token": raw}, f"activation:{tokens.hash_token(raw)[:32]}")


def register(ctx: Context, data: dict, client: dict | None = None) -> dict:
    data = dict(data or {})
    with ctx.uow.read() as s:
        school = ctx.repo.get_school(s, accounts.normalize_uai(data.get("school_uai"))) \
            if data.get("role") == roles.SCHOOL_STAFF and data.get("school_uai") else None
    clean = accounts.validate_registration(data, school)
    # Budgets (per e-mail address, per client address as a backstop) are counted by the gateway.
    pw_hash = ctx.passwords.hash(data["password"])
    user_id = str(uuid.uuid4())
    raw, target = None, user_id
    told = []   # (owner id, "email" | "phone"): accounts whose identifier was given again
    now = ctx.now
    try:
        with ctx.uow.begin() as uow:
            c = uow.session
            owner = ctx.repo.identifier_owner(c, "email", clean["email"])
            existing = ctx.repo.get_user(c, owner) if owner else None
            phone_owner = ctx.repo.identifier_owner(c, "phone", clean["phone"]) if clean["phone"] else None
            if phone_owner is not None and (existing is None or phone_owner != existing["id"]):
                # Same answer as a free number: the account is created without it (the person adds a
                # number later from the profile) and the number's owner is told.
                told.append((phone_owner, "phone"))
                clean["phone"] = None
            if existing is not None:
                # Same answer as a new account: registration must not reveal who has an account.
                # A pending account gets a fresh activation link (the first one may be lost);
                # an active one is told that someone tried to register with its address.
                target = existing["id"]
                if existing["status"] == "pending_activation":
                    raw = new_token(ctx, c, existing["id"], tokens.ACTIVATION).raw
                else:
                    told.append((existing["id"], "email"))
            else:
                ctx.repo.insert_user(
                    c, id=user_id, role=clean["role"], status=accounts.initial_status(clean["role"]),
                    email=clean["email"], phone=clean["phone"], password_hash=pw_hash,
                    first_name=clean["first_name"], last_name=clean["last_name"], function=clean["function"],
                    job_title=clean["job_title"], organisation_name=clean["organisation_name"],
                    school_uai=clean["school_uai"], stat_scope=clean["stat_scope"],
                    stat_scope_code=clean["stat_scope_code"], created_at=now, updated_at=now, last_activity_at=now)
                raw = new_token(ctx, c, user_id, tokens.ACTIVATION).raw
                uow.emit("user.registered", {"user_id": user_id, "role": clean["role"],
                                             "school_uai": clean["school_uai"], "function": clean["function"]})
    except IntegrityError:   # the same e-mail or phone registered concurrently
        log.info("concurrent registration with the same e-mail or phone")
        return REGISTERED_ANSWER
    for owner_id, kind in told:
        tell_identifier_owner(ctx, owner_id, kind)
    if raw:
        _send_activation(ctx, clean["email"], target, raw)
    return REGISTERED_ANSWER


def activate(ctx: Context, token: str) -> dict:
    with ctx.uow.begin() as uow:
        c = uow.session
        u = holder_of(ctx, c, token, tokens.ACTIVATION, "pending_activation", "Ce compte est déjà activé.")
        status = accounts.status_after_activation(u["role"])
        mark_activated(ctx, c, uow, u, status=status)
    detail = "Votre compte est activé : vous pouvez vous connecter." if status == "active" else \
        "Votre adresse est confirmée ; un administrateur doit encore valider votre compte."
    if u["role"] == roles.SCHOOL_STAFF and not staff_rules.is_confirmed(u):
        detail += (" Pour agir au nom de l'établissement, votre compte doit encore être confirmé par un "
                   "administrateur (premier chef d'établissement) ou par le chef d'établissement.")
    return {"status": status, "user_id": u["id"], "detail": detail}


def resend_activation(ctx: Context, email: str, client: dict | None = None) -> dict:
    if check_email(email):
        raise ValidationError(errors={"email": ["Adresse e-mail invalide."]})
    email = normalize_email(email)
    ip = client_ip(client)
    rate_committed(ctx, f"resend:ip:{ip}", settings.limit("resend_ip", throttle.RESET_PER_IP))
    rate_committed(ctx, f"resend:acct:{email}", settings.limit("resend_account", throttle.RESET_PER_ACCOUNT))
    raw = None
    with ctx.uow.begin() as uow:
        u = ctx.repo.find_by_login(uow.session, "email", email)
        if u is not None and u["status"] == "pending_activation":
            raw = new_token(ctx, uow.session, u["id"], tokens.ACTIVATION).raw
    if raw:
        _send_activation(ctx, email, u["id"], raw)
    return RESEND_ANSWER


def get_me(ctx: Context, actor: dict) -> dict:
    require_user(actor)
    with ctx.uow.read() as s:
        u = ctx.repo.get_user(s, actor["user_id"])
        if u is None or u["status"] == "anonymized":
            raise NotFound("Compte introuvable.", code="user_not_found")
        school = ctx.repo.get_school(s, u["school_uai"]) if u["school_uai"] else None
        head = ctx.repo.designated_head(s, u["school_uai"]) \
            if u["role"] == roles.SCHOOL_STAFF and u["school_uai"] else None
    out = views.user_public(u)
    out.update({"email": u["email"], "phone": u["phone"], "school": views.school_public(school),
                "totp_enabled": bool(u.get("totp_secret"))})
    if u["role"] == roles.SCHOOL_STAFF:
        out["classes"] = u.get("classes") or []
        out["designated_head"] = bool(head) and head["user_id"] == u["id"]
    if u["role"] == roles.PUPIL:
        out["birth_date"] = views.iso(u["birth_date"])
    return out


def get_my_data(ctx: Context, actor: dict) -> dict:
    """Everything identity holds about the caller (GDPR right of access)."""
    require_user(actor)
    with ctx.uow.read() as s:
        u = ctx.repo.get_user(s, actor["user_id"])
        if u is None:
            raise NotFound("Compte introuvable.", code="user_not_found")
        school = ctx.repo.get_school(s, u["school_uai"]) if u["school_uai"] else None
        records = ctx.queries.personal_records(s, u["id"])
        guardians = ctx.repo.guardians_of(s, [u["id"]]).get(u["id"], []) if u["role"] == roles.PUPIL else None
    out = views.personal_data(u, school, records, ctx.now)
    if guardians is not None:   # the national register's legal guardians (use_cases.register)
        out["legal_representatives"] = [views.guardian(g) for g in guardians]
    return out


def set_my_classes(ctx: Context, actor: dict, classes) -> dict:
    """School staff: the classes they follow (for "the pupil's teacher" messages)."""
    require_user(actor)
    if actor.get("role") != roles.SCHOOL_STAFF:
        raise Forbidden("Réservé au personnel d'établissement.")
    if not isinstance(classes, list) or len(classes) > 50 or any(
            not isinstance(c, str) or not c.strip() or len(c.strip()) > 40 for c in classes):
        raise ValidationError(errors={"classes": ["Une liste d'au plus 50 noms de classe (40 caractères maximum)."]})
    clean = sorted({c.strip() for c in classes})
    with ctx.uow.begin() as uow:
        ctx.repo.update_user(uow.session, actor["user_id"], classes=clean, updated_at=ctx.now)
    return {"classes": clean}
