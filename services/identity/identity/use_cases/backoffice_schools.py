"""Back-office for admins, schools: create one missing from the ministry's directory (a new lycée), correct one
(name, address, REP / REP+ / QPV flags, commune), change its designated head. Each action takes a reason and
is journalled in its transaction; ``school.created`` / ``school.updated`` are published."""
from __future__ import annotations

from common.errors import Conflict, NotFound

from .. import communes, views
from ..domain import accounts, audit, roles, school_records
from ..domain import staff as staff_rules
from .backoffice import journal
from .context import Context, acting_user, is_uuid, require_school
from .staff import designate


def _places(data: dict) -> tuple[dict | None, dict | None]:
    c = communes.commune(data.get("commune_insee")) if data.get("commune_insee") else None
    return c, communes.departement((c or {}).get("dep_code"))


def create_school(ctx: Context, actor: dict, data: dict, reason: str) -> dict:
    """Naturally idempotent: the same school again is answered as it is (no second journal entry)."""
    roles.require_admin(actor)
    reason = audit.check_reason(reason)
    data = dict(data or {})
    rec = school_records.validate_school(data, *_places(data), current=None)
    with ctx.uow.begin() as uow:
        c = uow.session
        existing = ctx.repo.school_for_update(c, rec["uai"])
        if existing is not None:
            if school_records.changed_fields(existing, rec):
                raise Conflict("Un établissement porte déjà cet UAI : corrigez-le plutôt que de le créer.",
                               code="school_exists")
            return {**views.school_public(existing), "created": False}
        ctx.repo.insert_school(c, rec)
        journal(ctx, c, actor, "school.create", "school", rec["uai"], reason,
                {k: rec.get(k) for k in ("name", "kind", "commune_insee", "education_prioritaire", "qpv")})
        uow.emit("school.created", {"uai": rec["uai"]})
        fresh = ctx.repo.get_school(c, rec["uai"])
    return {**views.school_public(fresh), "created": True}


def update_school(ctx: Context, actor: dict, uai: str, data: dict, reason: str) -> dict:
    """Correct the fields given (naturally idempotent: nothing changed, nothing journalled)."""
    roles.require_admin(actor)
    reason = audit.check_reason(reason)
    uai = accounts.normalize_uai(uai)
    data = {k: v for k, v in dict(data or {}).items() if k != "uai"}
    with ctx.uow.begin() as uow:
        c = uow.session
        current = ctx.repo.school_for_update(c, uai)
        if current is None:
            raise NotFound("Établissement introuvable.", code="school_not_found")
        rec = school_records.validate_school(data, *_places(data), current=current)
        changes = school_records.changed_fields(current, rec)
        if changes:
            ctx.repo.update_school(c, uai, rec)
            journal(ctx, c, actor, "school.update", "school", uai, reason, {"changes": changes})
            uow.emit("school.updated", {"uai": uai})
        fresh = ctx.repo.get_school(c, uai)
    return {**views.school_public(fresh), "changed": sorted(changes)}


def change_head(ctx: Context, actor: dict, uai: str, user_id: str, reason: str) -> dict:
    """The admin's path to ``designate_head`` (docs/school-staff.md): the same rules, plus the reason and the
    journal."""
    roles.require_admin(actor)
    reason = audit.check_reason(reason)
    uai = accounts.normalize_uai(uai)
    with ctx.uow.begin() as uow:
        c = uow.session
        require_school(ctx, c, uai)
        ctx.repo.serialise_school_staff(c, uai)
        by = acting_user(ctx, c, actor)
        head = ctx.repo.designated_head(c, uai, for_update=True)
        previous = head["user_id"] if head else None
        target = ctx.repo.get_user(c, str(user_id)) if is_uuid(user_id) else None
        changed = target is None or target["id"] != previous   # already the head: nothing to do (idempotent)
        if changed:
            staff_rules.check_can_designate(by, target, uai, previous)
            designate(ctx, c, uow, uai, target["id"], previous, by)
            journal(ctx, c, actor, "school.designate_head", "school", uai, reason,
                    {"user_id": target["id"], "previous_user_id": previous})
    return {"school_uai": uai, "user_id": target["id"], "previous_user_id": previous if changed else None,
            "changed": changed}
