"""School staff: invitations, confirmation and the designated head (docs/school-staff.md)."""
from __future__ import annotations

import uuid

from common.errors import Conflict, FieldErrors, ValidationError
from common.validation import check_email, check_mobile_phone, check_text, normalize_email, normalize_phone

from .. import views
from ..domain import accounts, federation as fed, roles, tokens
from ..domain import staff as staff_rules
from ..domain.academic import check_academic_email
from ..domain.passwords import check_password
from .backoffice import journal
from .context import Context, acting_user, hand_out, holder_of, is_uuid, mark_activated, new_token, require_school, \
    tell_identifier_owner


def audit(ctx: Context, conn, uai: str, user_id: str, action: str, how: str | None, by: dict | None,
          previous_user_id: str | None = None) -> None:
    ctx.repo.insert_audit(conn, school_uai=uai, user_id=user_id, action=action, how=how, at=ctx.now,
                          actor_id=(by or {}).get("id"), actor_role=(by or {}).get("role"),
                          previous_user_id=previous_user_id)


def designate(ctx: Context, conn, uow, uai: str, user_id: str, previous: str | None, by: dict | None) -> None:
    ctx.repo.upsert_head(conn, uai, user_id, ctx.now, (by or {}).get("id"))
    audit(ctx, conn, uai, user_id, staff_rules.HEAD_DESIGNATED, None, by, previous_user_id=previous)
    uow.emit("school.head_designated", {"school_uai": uai, "user_id": user_id, "previous_user_id": previous,
                                        "designated_by": (by or {}).get("id")})


def confirm(ctx: Context, conn, uow, target: dict, how: str, by: dict | None, membership: dict | None = None) -> bool:
    """Mark ``target`` confirmed, audit it, publish it; designate it head if the school has none.
    ``membership``: the target's membership of the school when another school is current for them (the
    confirmation is written there). Returns whether it became the designated head."""
    if membership is not None:
        ctx.repo.upsert_membership(conn, target["id"], {**membership, "confirmed_at": ctx.now,
                                                        "confirmed_by": (by or {}).get("id"), "confirmed_how": how},
                                   ctx.now)
    else:
        ctx.repo.update_user(conn, target["id"], staff_confirmed_at=ctx.now,
                             staff_confirmed_by=(by or {}).get("id"), staff_confirmed_how=how, updated_at=ctx.now)
    audit(ctx, conn, target["school_uai"], target["id"], staff_rules.CONFIRMED, how, by)
    uow.emit("staff.confirmed", {"user_id": target["id"], "school_uai": target["school_uai"],
                                 "function": target["function"], "how": how, "confirmed_by": (by or {}).get("id")})
    head = ctx.repo.designated_head(conn, target["school_uai"], for_update=True)
    if (how == staff_rules.BY_DEMO or (by or {}).get("role") == roles.ADMIN) and \
            staff_rules.becomes_designated_head(target, head["user_id"] if head else None):
        designate(ctx, conn, uow, target["school_uai"], target["id"], None, by)
        return True
    return False


def require_confirmed_staff(ctx: Context, actor: dict | None) -> None:
    """School staff act for their school only once confirmed (docs/school-staff.md)."""
    if actor and actor.get("role") == roles.SCHOOL_STAFF:
        with ctx.uow.read() as s:
            staff_rules.require_confirmed(acting_user(ctx, s, actor))


def invite_colleague(ctx: Context, actor: dict, email: str, function: str, first_name: str | None = None,
                     last_name: str | None = None, school_uai: str | None = None) -> dict:
    uai = accounts.normalize_uai(school_uai or (actor or {}).get("school_uai"))
    roles.require_can_invite(actor, uai)
    with ctx.uow.read() as s:
        inviter = acting_user(ctx, s, actor)
    staff_rules.check_can_invite(inviter, uai, function)
    errs = FieldErrors()
    if check_email(email):
        errs.add("email", "Adresse e-mail invalide.")
    if function not in roles.STAFF_FUNCTIONS:
        errs.add("function", "Fonction invalide : chef d'établissement, professeur, CPE ou personnel administratif.")
    for f, v in (("first_name", first_name), ("last_name", last_name)):
        m = check_text(v, required=False, max_len=100)
        if m:
            errs.add(f, m)
    with ctx.uow.read() as s:
        school = require_school(ctx, s, uai)
    if not errs.errors.get("email"):
        m = check_academic_email(email, school["academie_name"])
        if m:
            errs.add("email", m)
    errs.raise_if_any()
    email = normalize_email(email)
    user_id = str(uuid.uuid4())
    now = ctx.now
    with ctx.uow.begin() as uow:
        c = uow.session
        if ctx.repo.email_taken(c, email):
            raise Conflict("Un compte existe déjà avec cette adresse.", code="email_taken")
        ctx.repo.insert_user(c, id=user_id, role=roles.SCHOOL_STAFF, status="invited", email=email,
                             first_name=(first_name or "").strip(), last_name=(last_name or "").strip(),
                             function=function, school_uai=uai, invited_by=actor.get("user_id"), created_at=now,
                             updated_at=now, last_activity_at=now)
        t = new_token(ctx, c, user_id, tokens.INVITATION)
        uow.emit("user.registered", {"user_id": user_id, "role": roles.SCHOOL_STAFF, "school_uai": uai,
                                     "function": function})
        by = ctx.repo.get_user(c, actor["user_id"]) if actor.get("user_id") else None
    hand_out(tokens.INVITATION, email, t.raw)
    inviter_name = f"{by['first_name']} {by['last_name']}".strip() if by else ""
    ctx.notify("colleague_invitation", {"email": email, "name": f"{first_name or ''} {last_name or ''}".strip()},
               {"token": t.raw, "school_uai": uai, "school_name": school["name"], "inviter_name": inviter_name},
               f"invitation:{t.token_hash[:32]}")
    return {"user_id": user_id, "status": "invited", "email": email, "function": function, "school_uai": uai,
            "expires_at": t.expires_at.isoformat()}


def accept_invitation(ctx: Context, token: str, first_name: str, last_name: str, password: str,
                      phone: str | None = None) -> dict:
    errs = FieldErrors()
    for f, v in (("first_name", first_name), ("last_name", last_name)):
        m = check_text(v, max_len=100)
        if m:
            errs.add(f, m)
    m = check_password(password)
    if m:
        errs.add("password", m)
    if phone:
        m = check_mobile_phone(phone)
        if m:
            errs.add("phone", m)
    errs.raise_if_any()
    pw_hash = ctx.passwords.hash(password)
    with ctx.uow.begin() as uow:
        c = uow.session
        u = holder_of(ctx, c, token, tokens.INVITATION, "invited", "Cette invitation a déjà été acceptée.")
        p = normalize_phone(phone) if phone else None
        owner_id = ctx.repo.identifier_owner(c, "phone", p, except_id=u["id"]) if p else None
        if owner_id:
            p = None   # not recorded, same answer; its owner is told below
        mark_activated(ctx, c, uow, u, password_hash=pw_hash, first_name=first_name.strip(),
                       last_name=last_name.strip(), phone=p)
        inviter = ctx.repo.get_user(c, u["invited_by"]) if is_uuid(u.get("invited_by")) else None
        confirmed = staff_rules.confirmed_by_invitation(inviter, u["school_uai"])
        if confirmed:
            confirm(ctx, c, uow, ctx.repo.get_user(c, u["id"]), staff_rules.BY_INVITATION, inviter)
    if owner_id:
        tell_identifier_owner(ctx, owner_id, "phone")
    detail = "Votre compte est activé : vous pouvez vous connecter."
    if not confirmed:
        detail += " Le chef d'établissement doit encore confirmer votre compte pour que vous puissiez agir " \
                  "au nom de l'établissement."
    return {"status": "active", "user_id": u["id"], "staff_confirmed": confirmed, "detail": detail}


def confirm_staff(ctx: Context, actor: dict, uai: str, user_id: str) -> dict:
    """An admin, or a confirmed head of ``uai``, confirms a school-staff account of ``uai``."""
    uai = accounts.normalize_uai(uai)
    with ctx.uow.begin() as uow:
        c = uow.session
        require_school(ctx, c, uai)
        ctx.repo.serialise_school_staff(c, uai)   # one change at a time
        confirmer = acting_user(ctx, c, actor)
        target, member = staff_at(ctx, c, user_id, uai, for_update=True)
        how = staff_rules.check_can_confirm(confirmer, target, uai, ctx.repo.has_confirmed_head(c, uai))
        designated = confirm(ctx, c, uow, target, how, confirmer, membership=member)
        if how == staff_rules.BY_ADMIN:   # the administration journal
            journal(ctx, c, actor, "staff.confirm", "user", target["id"], None,
                    {"school_uai": uai, "designated_head": designated})
        fresh, _ = staff_at(ctx, c, target["id"], uai)
    return {**views.staff_member(fresh, fresh["id"] if designated else None), "designated_now": designated}


def staff_at(ctx: Context, conn, user_id, uai: str, for_update: bool = False) -> tuple[dict | None, dict | None]:
    """(the account as a member of ``uai``, its membership row when another school is current for it): a
    staff member of several schools is confirmed or designated at each with their function there."""
    target = ctx.repo.get_user(conn, str(user_id), for_update=for_update) if is_uuid(user_id) else None
    if target is None or target.get("role") != roles.SCHOOL_STAFF or target.get("school_uai") == uai:
        return target, None
    member = next((m for m in ctx.repo.memberships_of(conn, target["id"]) if m["school_uai"] == uai), None)
    return ({**target, **fed.user_fields_of(member)}, member) if member else (target, None)


def designate_head(ctx: Context, actor: dict, uai: str, user_id: str) -> dict:
    """Make ``user_id`` the designated head of ``uai`` (an admin, or the current designated head)."""
    uai = accounts.normalize_uai(uai)
    with ctx.uow.begin() as uow:
        c = uow.session
        require_school(ctx, c, uai)
        ctx.repo.serialise_school_staff(c, uai)
        by = acting_user(ctx, c, actor)
        head = ctx.repo.designated_head(c, uai, for_update=True)
        previous = head["user_id"] if head else None
        target, _ = staff_at(ctx, c, user_id, uai)
        staff_rules.check_can_designate(by, target, uai, previous)
        designate(ctx, c, uow, uai, target["id"], previous, by)
    return {"school_uai": uai, "user_id": target["id"], "previous_user_id": previous,
            "designated_at": ctx.now.isoformat()}


def list_staff(ctx: Context, actor: dict, uai: str) -> dict:
    """The school's staff with their confirmation state, the designated head and the audit trail
    (staff of the school, confirmed or not, and admins)."""
    uai = accounts.normalize_uai(uai)
    roles.require_staff_of(actor, uai)
    with ctx.uow.read() as s:
        require_school(ctx, s, uai)
        rows = ctx.queries.staff_of_school(s, uai)
        head = ctx.repo.designated_head(s, uai)
        history = ctx.queries.staff_history(s, uai)
    head_id = head["user_id"] if head else None
    return {"school_uai": uai, "designated_head_id": head_id,
            "items": [views.staff_member(u, head_id) for u in rows],
            "history": [views.staff_event(h) for h in history]}


def list_unconfirmed_staff(ctx: Context, actor: dict, school_uai: str | None = None, academie: str | None = None,
                           function: str | None = None, page: int = 1, page_size: int = 50) -> dict:
    """Admins: active school-staff accounts waiting for a confirmation, oldest first."""
    roles.require_admin(actor)
    if function is not None and function not in roles.STAFF_FUNCTIONS:
        raise ValidationError(errors={"function": ["Fonction invalide : head, teacher, cpe ou admin_staff."]})
    page = max(1, int(page or 1))
    page_size = max(1, min(int(page_size or 50), 200))
    with ctx.uow.read() as s:
        total, rows, with_head = ctx.queries.unconfirmed_staff(
            s, accounts.normalize_uai(school_uai) if school_uai else None, academie, function, page, page_size)
    return {"items": [{**views.staff_member(u, None), "school_name": u["school_name"],
                       "academie_name": u["academie_name"],
                       "school_has_designated_head": u["school_uai"] in with_head} for u in rows],
            "page": page, "page_size": page_size, "total": total}
