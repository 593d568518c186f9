"""Employers' spaces: the caller's spaces, a space's members, invitations (sent, read, accepted by an employer
account or by a new person creating theirs), leaving, removing a member, switching the current space.
Rules: ``domain/spaces.py``; rows: ``repository/spaces.py`` (as ``ctx.repo.spaces``)."""
from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError

from common.errors import Conflict, FieldErrors, NotFound, Unauthorized, ValidationError
from common.validation import check_text

from ..domain import roles, spaces as rules, tokens
from ..domain.passwords import check_password
from .context import Context, acting_user, hand_out, require_user

INVITED_DETAIL = "L'invitation est envoyée : le lien, valable 7 jours, permet de rejoindre l'espace."
JOINED_DETAIL = ("Vous avez rejoint l'espace : renouvelez votre session (ou reconnectez-vous) pour y travailler.")


def _space_view(space: dict | None, space_id: str, owner: dict | None) -> dict:
    name = space["name"] if space else rules.personal_space_name(owner or {})
    return {"id": space_id, "name": name}


def _load(ctx: Context, conn, space_id: str, user_id: str) -> tuple[dict, str]:
    """The space (rows, or the implicit personal space) and the caller's role in it; 404 for a non-member."""
    role = rules.require_member(rules.membership(space_id, user_id, ctx.repo.spaces.member_role(conn, space_id,
                                                                                                user_id)))
    space = ctx.repo.spaces.get_space(conn, space_id)
    owner = ctx.repo.get_user(conn, space_id) if space is None else None
    return _space_view(space, space_id, owner), role


def _member_view(m: dict) -> dict:
    return {"user_id": m["user_id"], "role": m["role"], "first_name": m["first_name"], "last_name": m["last_name"],
            "email": m["email"], "job_title": m.get("job_title"),
            "joined_at": m["joined_at"].isoformat() if m.get("joined_at") else None}


def my_spaces(ctx: Context, actor: dict) -> dict:
    rules.require_employer(actor)
    with ctx.uow.read() as s:
        u = acting_user(ctx, s, actor)
        current = rules.current_space_id(u, ctx.repo.spaces.current_space(s, u["id"]))
        items = [{"id": r["id"], "name": r["name"], "role": r["role"]} for r in ctx.repo.spaces.spaces_of(s, u["id"])]
    if not any(i["id"] == u["id"] for i in items):
        items.insert(0, {"id": u["id"], "name": rules.personal_space_name(u), "role": rules.OWNER})
    for i in items:
        i["current"] = i["id"] == current
    return {"current_space_id": current, "items": items}


def get_space(ctx: Context, actor: dict, space_id: str) -> dict:
    """A space and its members (members only)."""
    rules.require_employer(actor)
    with ctx.uow.read() as s:
        u = acting_user(ctx, s, actor)
        space, role = _load(ctx, s, str(space_id), u["id"])
        members = [_member_view(m) for m in ctx.repo.spaces.members(s, space["id"])]
    if not members:   # a personal space not shared yet: its owner alone
        members = [{"user_id": u["id"], "role": rules.OWNER, "first_name": u["first_name"],
                    "last_name": u["last_name"], "email": u["email"], "job_title": u.get("job_title"),
                    "joined_at": u["created_at"].isoformat() if u.get("created_at") else None}]
    return {**space, "my_role": role, "members": members}


def invite(ctx: Context, actor: dict, space_id: str, email: str) -> dict:
    """The owner invites a colleague by e-mail (a new link voids the address's earlier one)."""
    rules.require_employer(actor)
    space_id = str(space_id)
    with ctx.uow.begin() as uow:
        c = uow.session
        u = acting_user(ctx, c, actor)
        ctx.repo.spaces.lock_space(c, space_id)
        space, role = _load(ctx, c, space_id, u["id"])
        rules.require_owner(role)
        clean = rules.clean_invitation(email, len(ctx.repo.spaces.members(c, space_id)))
        ctx.repo.spaces.ensure_space(c, space_id, space["name"], u["id"], ctx.now)
        t = tokens.new_token(tokens.INVITATION, ctx.now)
        invitation_id = ctx.repo.spaces.insert_invitation(c, space_id, clean, t.token_hash, u["id"], ctx.now,
                                                          ctx.now + rules.INVITATION_TTL)
    hand_out("space_invitation", clean, t.raw)
    inviter = " ".join(p for p in (u.get("first_name"), u.get("last_name")) if p)
    ctx.notify("space_invitation", {"email": clean}, {"token": t.raw, "space_name": space["name"],
                                                      "inviter_name": inviter}, f"space_invitation:{invitation_id}")
    return {"status": "invited", "invitation_id": invitation_id, "email": clean, "space_id": space_id,
            "expires_at": (ctx.now + rules.INVITATION_TTL).isoformat(), "detail": INVITED_DETAIL}


def _valid_invitation(ctx: Context, conn, token: str, for_update: bool = False) -> dict:
    if not isinstance(token, str) or not token.strip():
        raise ValidationError(errors={"token": ["Le jeton est obligatoire."]})
    inv = ctx.repo.spaces.invitation_by_hash(conn, tokens.hash_token(token.strip()), for_update=for_update)
    status = rules.invitation_status(inv, ctx.now)
    if status == "unknown":
        raise NotFound(rules.INVITATION_MESSAGES[status], code="invitation_unknown")
    if status != "valid":
        raise Conflict(rules.INVITATION_MESSAGES[status], code=f"invitation_{status}")
    return inv


def read_invitation(ctx: Context, token: str) -> dict:
    """What the invitation's landing page shows (the link is the proof: no account needed)."""
    with ctx.uow.read() as s:
        inv = _valid_invitation(ctx, s, token)
        space = ctx.repo.spaces.get_space(s, inv["space_id"])
        inviter = ctx.repo.get_user(s, inv["invited_by"])
        has_account = ctx.repo.identifier_owner(s, "email", inv["email"]) is not None
    return {"space_id": inv["space_id"], "space_name": space["name"] if space else "",
            "inviter_name": " ".join(p for p in ((inviter or {}).get("first_name"), (inviter or {}).get("last_name"))
                                     if p),
            "email": inv["email"], "expires_at": inv["expires_at"].isoformat(), "has_account": has_account}


def _join(ctx: Context, c, uow, inv: dict, user_id: str) -> None:
    ctx.repo.spaces.lock_space(c, inv["space_id"])
    ctx.repo.spaces.add_member(c, inv["space_id"], user_id, rules.MEMBER, ctx.now)
    ctx.repo.spaces.set_current_space(c, user_id, inv["space_id"])
    ctx.repo.spaces.mark_invitation_accepted(c, inv["id"], user_id, ctx.now)
    uow.emit("space.member_joined", {"space_id": inv["space_id"], "user_id": user_id})


def accept_invitation(ctx: Context, actor: dict, token: str) -> dict:
    """An employer account, logged in, joins the space; it becomes their current space."""
    require_user(actor)
    with ctx.uow.begin() as uow:
        c = uow.session
        u = acting_user(ctx, c, actor)
        rules.check_joiner(u, "")
        inv = _valid_invitation(ctx, c, token, for_update=True)
        if rules.membership(inv["space_id"], u["id"], ctx.repo.spaces.member_role(c, inv["space_id"], u["id"])):
            raise Conflict("Vous êtes déjà membre de cet espace.", code="already_member")
        _join(ctx, c, uow, inv, u["id"])
    return {"status": "joined", "space_id": inv["space_id"], "detail": JOINED_DETAIL}


def join_with_new_account(ctx: Context, token: str, first_name: str, last_name: str, password: str,
                          job_title: str | None = None) -> dict:
    """A person without an account creates their employer account from the invitation (the link, sent to the
    address, proves it: the account is active at once) and joins the space."""
    errs = FieldErrors()
    for f, v in (("first_name", first_name), ("last_name", last_name)):
        m = check_text(v, max_len=100)
        if m:
            errs.add(f, m)
    m = check_text(job_title, min_len=2, max_len=100)
    if m:
        errs.add("job_title", m)
    m = check_password(password)
    if m:
        errs.add("password", m)
    errs.raise_if_any()
    pw_hash = ctx.passwords.hash(password)
    user_id = str(uuid.uuid4())
    now = ctx.now
    try:
        with ctx.uow.begin() as uow:
            c = uow.session
            inv = _valid_invitation(ctx, c, token, for_update=True)
            if ctx.repo.identifier_owner(c, "email", inv["email"]) is not None:
                raise Conflict("Un compte existe déjà avec cette adresse : connectez-vous pour accepter "
                               "l'invitation.", code="account_exists")
            ctx.repo.insert_user(c, id=user_id, role=roles.EMPLOYER, status="active", email=inv["email"], phone=None,
                                 password_hash=pw_hash, first_name=first_name.strip(), last_name=last_name.strip(),
                                 function=None, job_title=job_title.strip(), organisation_name=None, school_uai=None,
                                 stat_scope=None, stat_scope_code=None, invited_by=inv["invited_by"], created_at=now,
                                 updated_at=now, last_activity_at=now, activated_at=now)
            uow.emit("user.registered", {"user_id": user_id, "role": roles.EMPLOYER, "school_uai": None,
                                         "function": None})
            uow.emit("user.activated", {"user_id": user_id, "role": roles.EMPLOYER, "school_uai": None,
                                        "grade": None})
            _join(ctx, c, uow, inv, user_id)
    except IntegrityError:   # the same address registered at the same moment
        raise Conflict("Un compte existe déjà avec cette adresse : connectez-vous pour accepter l'invitation.",
                       code="account_exists") from None
    return {"status": "joined", "space_id": inv["space_id"], "user_id": user_id,
            "detail": "Votre compte est créé et vous avez rejoint l'espace : vous pouvez vous connecter."}


def remove_member(ctx: Context, actor: dict, space_id: str, user_id: str) -> dict:
    """A member leaves (``user_id`` is the caller) or the owner removes one; a removed member's sessions are
    closed (their tokens carried the space)."""
    rules.require_employer(actor)
    space_id, user_id = str(space_id), str(user_id)
    closed = []
    with ctx.uow.begin() as uow:
        c = uow.session
        u = acting_user(ctx, c, actor)
        ctx.repo.spaces.lock_space(c, space_id)
        my_role = rules.membership(space_id, u["id"], ctx.repo.spaces.member_role(c, space_id, u["id"]))
        target_role = rules.membership(space_id, user_id, ctx.repo.spaces.member_role(c, space_id, user_id)) \
            if my_role else None
        rules.check_removal(u["id"], my_role, user_id, target_role)
        ctx.repo.spaces.remove_member(c, space_id, user_id)
        if user_id != u["id"]:
            closed = ctx.repo.revoke_families(c, user_id, ctx.now, "space_removed")
        uow.emit("space.member_left", {"space_id": space_id, "user_id": user_id})
    if closed:
        ctx.deny_sessions(closed)
    return {"status": "removed", "space_id": space_id, "user_id": user_id}


def switch_space(ctx: Context, actor: dict, space_id: str) -> dict:
    """The caller's current space becomes ``space_id`` (one of theirs); the next token carries it."""
    rules.require_employer(actor)
    space_id = str(space_id)
    with ctx.uow.begin() as uow:
        c = uow.session
        u = acting_user(ctx, c, actor)
        _load(ctx, c, space_id, u["id"])
        ctx.repo.spaces.set_current_space(c, u["id"], None if space_id == u["id"] else space_id)
    return {"status": "switched", "current_space_id": space_id}


def space_members(ctx: Context, space_id: str) -> dict:
    """For other services (notifications: messages meant for « the employer » go to the space's members):
    ``{"items": [{"user_id", "role"}]}``; empty for a space not shared yet."""
    with ctx.uow.read() as s:
        items = [{"user_id": m["user_id"], "role": m["role"]} for m in ctx.repo.spaces.members(s, str(space_id))]
    return {"items": items}


def space_claim(ctx: Context, conn, user: dict) -> str | None:
    """The ``space_id`` claim of ``user``'s next access token."""
    if user.get("role") != roles.EMPLOYER:
        return None
    if not isinstance(user.get("id"), str):
        raise Unauthorized("Compte invalide.")
    return rules.current_space_id(user, ctx.repo.spaces.current_space(conn, user["id"]))
