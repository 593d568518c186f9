"""School-staff confirmation and the school's designated head (pure rules; see docs/school-staff.md).

An academic e-mail address proves that someone works for the académie, not that they run a given
school. A school-staff account therefore starts *unconfirmed*: it can log in and read, but not act
for the school (import pupils, issue activation codes, move pupils, invite or confirm colleagues,
register the school's signature image, fill, validate or sign agreements) until someone accountable
confirms it:

- the first head of a school (no confirmed head there yet) is confirmed by an admin (who acts for the
  académie's referent);
- later staff are confirmed by a confirmed head of the same school (or an admin), or are confirmed when
  they accept an invitation sent by a confirmed head (or an admin).

A school has at most one designated head: the first head an admin confirms becomes it; a change is
explicit (an admin, or the designated head handing over to another confirmed head), audited and
published as an event.

Records are plain dicts of the ``users`` table (``staff_confirmed_at`` set = confirmed)."""
from __future__ import annotations

from common.errors import Conflict, Forbidden, NotFound

from . import roles

NOT_CONFIRMED = ("Votre compte de personnel d'établissement n'est pas encore confirmé : un administrateur ou le "
                 "chef d'établissement doit le confirmer avant que vous puissiez agir pour l'établissement. "
                 "En attendant, vous pouvez consulter.")

# How a confirmation came about (the ``by`` of the audit trail and of the event).
BY_ADMIN = "admin"
BY_HEAD = "head"
BY_INVITATION = "invitation"
BY_MIGRATION = "migration"
BY_DEMO = "demo"

# Audit actions.
CONFIRMED = "confirmed"
HEAD_DESIGNATED = "head_designated"


def is_confirmed(user: dict | None) -> bool:
    return bool(user) and user.get("role") == roles.SCHOOL_STAFF and user.get("staff_confirmed_at") is not None


def confirmed_claim(user: dict) -> bool | None:
    """The ``staff_confirmed`` claim of the access token: a boolean for school staff, None for others."""
    if user.get("role") != roles.SCHOOL_STAFF:
        return None
    return user.get("staff_confirmed_at") is not None


def actor_may_act(actor: dict | None) -> bool:
    """From the token alone (gateway, other services): admins, and school staff whose token says
    ``staff_confirmed: true``. Other roles are not concerned by this rule."""
    if not actor:
        return False
    if actor.get("role") != roles.SCHOOL_STAFF:
        return True
    return actor.get("staff_confirmed") is True


def require_confirmed(user: dict | None) -> None:
    """``user``: the acting account's record (identity checks its own data, not the token's copy)."""
    if user and user.get("role") == roles.SCHOOL_STAFF and not is_confirmed(user):
        raise Forbidden(NOT_CONFIRMED, code="staff_not_confirmed")


def _is_admin(user: dict | None) -> bool:
    return bool(user) and user.get("role") == roles.ADMIN


def _check_staff_target(target: dict | None, uai: str) -> None:
    if target is None or target.get("role") != roles.SCHOOL_STAFF or target.get("school_uai") != uai \
            or target.get("status") in ("anonymized",):
        raise NotFound("Membre du personnel introuvable dans cet établissement.", code="staff_not_found")


def check_can_confirm(confirmer: dict, target: dict | None, uai: str, school_has_confirmed_head: bool) -> str:
    """May ``confirmer`` (the acting account's record) confirm ``target`` at school ``uai``?
    Returns how (BY_ADMIN or BY_HEAD); raises Forbidden, NotFound or Conflict."""
    _check_staff_target(target, uai)
    if _is_admin(confirmer):
        how = BY_ADMIN
    else:
        if confirmer.get("role") != roles.SCHOOL_STAFF or confirmer.get("school_uai") != uai:
            raise Forbidden("Seuls un administrateur et le chef d'établissement confirmé de cet établissement "
                            "peuvent confirmer ses personnels.", code="cannot_confirm_staff")
        require_confirmed(confirmer)
        if confirmer.get("function") != roles.HEAD:
            raise Forbidden("Seul le chef d'établissement (ou un administrateur) confirme les comptes des "
                            "personnels.", code="cannot_confirm_staff")
        if confirmer.get("id") == target.get("id"):
            raise Forbidden("Vous ne pouvez pas confirmer votre propre compte.", code="cannot_confirm_staff")
        how = BY_HEAD
    if target.get("status") != "active":
        raise Conflict("Ce compte n'est pas encore activé : la personne doit d'abord cliquer sur le lien reçu "
                       "par e-mail.", code="staff_not_active")
    if is_confirmed(target):
        raise Conflict("Ce compte est déjà confirmé.", code="staff_already_confirmed")
    if target.get("function") == roles.HEAD and not school_has_confirmed_head and how != BY_ADMIN:
        raise Forbidden("Le premier chef d'établissement est confirmé par un administrateur.",
                        code="cannot_confirm_staff")
    return how


def becomes_designated_head(target: dict, current_head_id: str | None) -> bool:
    """A head confirmed while the school has no designated head becomes it."""
    return target.get("function") == roles.HEAD and not current_head_id


def check_can_designate(actor_user: dict, target: dict | None, uai: str, current_head_id: str | None) -> None:
    """May ``actor_user`` make ``target`` the designated head of ``uai``? Admins may; so may the current
    designated head (handing over). The new head is a confirmed, active head of the school."""
    if not _is_admin(actor_user):
        if actor_user.get("role") != roles.SCHOOL_STAFF or actor_user.get("school_uai") != uai:
            raise Forbidden("Seuls un administrateur et le chef d'établissement désigné peuvent changer de chef "
                            "d'établissement.", code="cannot_designate_head")
        require_confirmed(actor_user)
        if actor_user.get("id") != current_head_id:
            raise Forbidden("Seuls un administrateur et le chef d'établissement désigné peuvent changer de chef "
                            "d'établissement.", code="cannot_designate_head")
    _check_staff_target(target, uai)
    if target.get("function") != roles.HEAD:
        raise Conflict("Le chef d'établissement désigné doit avoir la fonction « chef d'établissement ».",
                       code="not_a_head")
    if target.get("status") != "active" or not is_confirmed(target):
        raise Conflict("Le nouveau chef d'établissement doit avoir un compte actif et confirmé.",
                       code="staff_not_confirmed")
    if target.get("id") == current_head_id:
        raise Conflict("Cette personne est déjà le chef d'établissement désigné.", code="already_designated")


def check_can_invite(inviter: dict, uai: str, function: str) -> None:
    """Inviting acts for the school: a confirmed head or administrative staff of ``uai`` (or an admin).
    Only a head (or an admin) invites a head."""
    if _is_admin(inviter):
        return
    roles.require_can_invite({"role": inviter.get("role"), "school_uai": inviter.get("school_uai"),
                              "function": inviter.get("function")}, uai)
    require_confirmed(inviter)
    if function == roles.HEAD and inviter.get("function") != roles.HEAD:
        raise Forbidden("Seul le chef d'établissement (ou un administrateur) peut inviter un chef "
                        "d'établissement.", code="cannot_invite_head")


def confirmed_by_invitation(inviter: dict | None, uai: str) -> bool:
    """An invitation accepted confirms the account when it was sent by an admin or by a head of the
    school who is still confirmed at acceptance time."""
    if inviter is None:
        return False
    if _is_admin(inviter):
        return True
    return inviter.get("function") == roles.HEAD and inviter.get("school_uai") == uai and is_confirmed(inviter) \
        and inviter.get("status") == "active"
