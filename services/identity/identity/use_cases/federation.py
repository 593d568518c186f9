"""National sign-in: what identity does with the claims the gateway's OpenID Connect client validated
(ÉduConnect for pupils, FIM for school staff), and linking such an identity to an existing account.
Rules: ``domain.federation``; the schools of staff in several schools: ``use_cases.memberships``."""
from __future__ import annotations

import uuid

from common.errors import Conflict, Forbidden

from ..domain import accounts, federation as fed, roles
from ..domain import staff as staff_rules
from ..domain.pupil_records import pupil_key
from .context import Context, acting_user, mark_activated, touch
from .sessions import issue
from .staff import audit

ACCOUNT_CONFLICT = ("Cette adresse e-mail appartient déjà à un compte qui n'est pas un compte de personnel "
                    "d'établissement : connectez-vous avec votre mot de passe ou écrivez au support.")


def federated_sign_in(ctx: Context, provider: str, claims: dict, client: dict | None = None) -> dict:
    """Sign in with validated claims: the same answer as ``sessions.login`` (a new session)."""
    if fed.check_provider(provider) == fed.EDUCONNECT:
        return _pupil_sign_in(ctx, fed.read_educonnect(claims), client)
    return _staff_sign_in(ctx, fed.read_fim(claims), client)


def _blocked(user: dict) -> None:
    if user["status"] in ("disabled", "pending_validation"):
        raise Forbidden(accounts.LOGIN_BLOCKED_STATUSES[user["status"]], code=f"account_{user['status']}")


def _link(ctx: Context, conn, provider: str, subject: str, user_id: str) -> None:
    """Record the identity when neither it nor this account's link for the provider exists yet."""
    if ctx.repo.federated_user_id(conn, provider, subject) is None and \
            ctx.repo.federated_link_of(conn, user_id, provider) is None:
        ctx.repo.insert_federated(conn, provider, subject, user_id, ctx.now)


def _registered(uow, user_id: str, role: str, uai: str, function: str | None = None, grade: str | None = None):
    uow.emit("user.registered", {"user_id": user_id, "role": role, "school_uai": uai, "function": function})
    uow.emit("user.activated", {"user_id": user_id, "role": role, "school_uai": uai, "grade": grade})


# -- ÉduConnect ---------------------------------------------------------------------------------

def _find_pupil(ctx: Context, conn, p: fed.PupilIdentity) -> dict | None:
    """By the linked identity, else by INE, else an imported pupil of the school without INE whose names and
    birth date match."""
    uid = ctx.repo.federated_user_id(conn, fed.EDUCONNECT, p.subject)
    user = ctx.repo.get_user(conn, uid, for_update=True) if uid else None
    if user is None and p.ine:
        user = ctx.repo.pupil_by_ine(conn, p.ine, for_update=True)
    if user is None and p.birth_date and p.first_name and p.last_name:
        same = ctx.repo.pupil_by_key(conn, p.uai, pupil_key(p.last_name, p.first_name, p.birth_date))
        user = same if same and not same.get("ine") else None
    if user is not None and (user["status"] == "anonymized" or user["role"] != roles.PUPIL):
        return None
    return user


def _pupil_sign_in(ctx: Context, p: fed.PupilIdentity, client: dict | None) -> dict:
    now = ctx.now
    with ctx.uow.begin() as uow:
        c = uow.session
        ctx.repo.serialise_identity(c, fed.EDUCONNECT, p.subject)
        school = ctx.repo.get_school(c, p.uai)
        if school is None:
            raise fed.unknown_school(p.uai)
        user = _find_pupil(ctx, c, p)
        if user is None:
            fed.check_new_pupil(p, school)
            if ctx.repo.ine_taken(c, p.ine):
                raise Conflict(fed.IDENTITY_TAKEN.format(provider="ÉduConnect"), code="federation_already_linked")
            key = pupil_key(p.last_name, p.first_name, p.birth_date) if p.birth_date else None
            if key and ctx.repo.pupil_by_key(c, p.uai, key):
                key = None   # a namesake born the same day: the new record keeps no natural key
            uid = str(uuid.uuid4())
            ctx.repo.insert_user(c, id=uid, role=roles.PUPIL, status="active", first_name=p.first_name,
                                 last_name=p.last_name, school_uai=p.uai, grade=p.grade, class_name=p.class_name,
                                 birth_date=p.birth_date, ine=p.ine, pupil_key=key, created_at=now,
                                 updated_at=now, activated_at=now, last_activity_at=now)
            _registered(uow, uid, roles.PUPIL, p.uai, grade=p.grade)
            user = ctx.repo.get_user(c, uid)
        else:
            _blocked(user)
            changes = fed.pupil_updates(user, p, school)
            if "ine" in changes and ctx.repo.ine_taken(c, changes["ine"], except_id=user["id"]):
                del changes["ine"]
            if "school_uai" in changes and user.get("pupil_key"):
                namesake = ctx.repo.pupil_by_key(c, p.uai, user["pupil_key"])
                if namesake and namesake["id"] != user["id"]:
                    changes["pupil_key"] = None   # the natural key is unique per school
            if changes:
                ctx.repo.update_user(c, user["id"], **changes)
            if user["status"] != "active":   # imported, code not used yet: ÉduConnect activates the account
                mark_activated(ctx, c, uow, ctx.repo.get_user(c, user["id"]))
        _link(ctx, c, fed.EDUCONNECT, p.subject, user["id"])
        touch(ctx, c, user["id"], last_login_at=now)
        return issue(ctx, c, ctx.repo.get_user(c, user["id"]), client)


# -- FIM ----------------------------------------------------------------------------------------

def _find_staff(ctx: Context, conn, s: fed.StaffIdentity) -> dict | None:
    """By the linked identity, else by the academic e-mail address FIM vouches for."""
    uid = ctx.repo.federated_user_id(conn, fed.FIM, s.subject)
    if uid is None:
        uid = ctx.repo.identifier_owner(conn, "email", s.email)
    user = ctx.repo.get_user(conn, uid, for_update=True) if uid else None
    if user is not None and user["role"] != roles.SCHOOL_STAFF:
        raise Conflict(ACCOUNT_CONFLICT, code="federation_account_conflict")
    if user is not None and user["status"] == "anonymized":
        raise Conflict(ACCOUNT_CONFLICT, code="federation_account_conflict")
    return user


def _staff_sign_in(ctx: Context, s: fed.StaffIdentity, client: dict | None) -> dict:
    now = ctx.now
    with ctx.uow.begin() as uow:
        c = uow.session
        ctx.repo.serialise_identity(c, fed.FIM, s.subject)
        uais = fed.known_uais(s, ctx.repo.known_school_uais(c, list(s.uais)))
        user = _find_staff(ctx, c, s)
        if user is None:
            fed.check_new_staff(s)
            uid = str(uuid.uuid4())
            ctx.repo.insert_user(c, id=uid, role=roles.SCHOOL_STAFF, status="active", email=s.email,
                                 first_name=s.first_name, last_name=s.last_name, function=s.function,
                                 school_uai=uais[0], created_at=now, updated_at=now, activated_at=now,
                                 last_activity_at=now)
            _registered(uow, uid, roles.SCHOOL_STAFF, uais[0], function=s.function)
            user = ctx.repo.get_user(c, uid, for_update=True)
            existing = []
        else:
            _blocked(user)
            if user["status"] != "active":   # invited or not activated: FIM vouches for the address
                mark_activated(ctx, c, uow, user)
            existing = _memberships_with_current(ctx, c, user)
        _link(ctx, c, fed.FIM, s.subject, user["id"])
        _sync_memberships(ctx, c, uow, user, s, uais, existing)
        touch(ctx, c, user["id"], last_login_at=now)
        return issue(ctx, c, ctx.repo.get_user(c, user["id"]), client)


def _memberships_with_current(ctx: Context, conn, user: dict) -> list[dict]:
    """The person's memberships, the current school's as the account row holds it."""
    rows = ctx.repo.memberships_of(conn, user["id"])
    if not user.get("school_uai") or not user.get("function"):
        return rows
    old = next((m for m in rows if m["school_uai"] == user["school_uai"]), None)
    current = {**fed.current_membership(user), "source": (old or {}).get("source") or fed.SOURCE_PLATFORM}
    return [m for m in rows if m is not old] + [current]


def _sync_memberships(ctx: Context, conn, uow, user: dict, s: fed.StaffIdentity, uais: list[str],
                      existing: list[dict]) -> None:
    plan = fed.plan_memberships(existing, s, uais, user.get("school_uai") if existing else None, ctx.now)
    current = next((m for m in existing if m["school_uai"] == user.get("school_uai")), None)
    if current is not None:   # the current school's row, saved as the account row holds it
        ctx.repo.upsert_membership(conn, user["id"], current, ctx.now)
    for m in plan.upserts:
        ctx.repo.upsert_membership(conn, user["id"], m, ctx.now)
        if m["confirmed_how"] == fed.BY_FEDERATION and m["confirmed_at"] == ctx.now:
            audit(ctx, conn, m["school_uai"], user["id"], staff_rules.CONFIRMED, fed.BY_FEDERATION, None)
            uow.emit("staff.confirmed", {"user_id": user["id"], "school_uai": m["school_uai"],
                                         "function": m["function"], "how": fed.BY_FEDERATION,
                                         "confirmed_by": None})
    ctx.repo.delete_memberships(conn, user["id"], plan.removed)
    now_current = next(m for m in ctx.repo.memberships_of(conn, user["id"])
                       if m["school_uai"] == plan.current_uai)
    ctx.repo.update_user(conn, user["id"], updated_at=ctx.now, **fed.user_fields_of(now_current))
    _follow_heads(ctx, conn, uow, user["id"], s, uais)


def _follow_heads(ctx: Context, conn, uow, user_id: str, s: fed.StaffIdentity, uais: list[str]) -> None:
    """A DIR of a school becomes its designated head (audited and published like any designation)."""
    if s.function != roles.HEAD:
        return
    for uai in sorted(uais):   # one order for everybody: the advisory locks never cross
        ctx.repo.serialise_school_staff(conn, uai)
    heads = {u: (ctx.repo.designated_head(conn, u, for_update=True) or {}).get("user_id") for u in uais}
    for uai, previous in fed.heads_to_designate(s, user_id, uais, heads):
        ctx.repo.upsert_head(conn, uai, user_id, ctx.now, None)
        audit(ctx, conn, uai, user_id, staff_rules.HEAD_DESIGNATED, fed.BY_FEDERATION, None,
              previous_user_id=previous)
        uow.emit("school.head_designated", {"school_uai": uai, "user_id": user_id, "previous_user_id": previous,
                                            "designated_by": None})


# -- linking --------------------------------------------------------------------------------------

def link_federated_identity(ctx: Context, actor: dict, provider: str, claims: dict) -> dict:
    """A signed-in account (a pupil created from the code sheet; a staff member) links its national identity
    once; it then signs in either way. ``Conflict`` (federation_already_linked) when the account already has
    one for this provider or the identity belongs to another account."""
    provider = fed.check_provider(provider)
    ident = fed.read_educonnect(claims) if provider == fed.EDUCONNECT else fed.read_fim(claims)
    with ctx.uow.begin() as uow:
        c = uow.session
        ctx.repo.serialise_identity(c, provider, ident.subject)
        user = acting_user(ctx, c, actor, for_update=True)
        owner = ctx.repo.federated_user_id(c, provider, ident.subject)
        ine = getattr(ident, "ine", None)
        if owner is None and ine:
            other = ctx.repo.pupil_by_ine(c, ine)
            owner = other["id"] if other and other["id"] != user["id"] else None
        fed.check_link(user, provider, ctx.repo.federated_link_of(c, user["id"], provider), owner)
        if ine and not user.get("ine"):
            ctx.repo.update_user(c, user["id"], ine=ine, updated_at=ctx.now)
        if not ctx.repo.insert_federated(c, provider, ident.subject, user["id"], ctx.now):
            raise Conflict(fed.IDENTITY_TAKEN.format(provider=fed.PROVIDER_LABELS[provider]),
                           code="federation_already_linked")
    return {"linked": True, "provider": provider}
