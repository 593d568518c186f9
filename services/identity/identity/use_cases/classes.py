"""A school's classes, managed by its staff (docs/school-staff.md, "Classes"): list, create, rename (the pupils
of the class and the staff following it follow), delete (refused while pupils remain), and move pupils between
classes in bulk. Whoever may move a pupil (``pupils.move_pupil``: confirmed staff of the school, admins) may
manage the classes. Every command is naturally idempotent (names are the keys)."""
from __future__ import annotations

from common.errors import ValidationError

from .. import views
from ..domain import accounts, classes as rules, roles
from ..domain import staff as staff_rules
from .context import Context, acting_user, is_uuid, require_school


def list_classes(ctx: Context, actor: dict, uai: str) -> dict:
    """The school's classes with their number of pupils (names its pupils carry from an import included)."""
    uai = accounts.normalize_uai(uai)
    roles.require_staff_of(actor, uai)
    with ctx.uow.read() as s:
        school = require_school(ctx, s, uai)
        rows, counts = ctx.queries.school_classes(s, uai)
    by_name = {r["name"]: r for r in rows}
    # a name only pupils carry (an import): the grade its name tells
    return {"school_uai": uai, "items": [views.school_class(
        by_name.get(n) or {"grade": rules.inferred_grade(n, school["kind"])}, n, counts.get(n, 0))
        for n in sorted(set(by_name) | set(counts))]}


def _manage(ctx: Context, c, actor: dict, uai: str) -> tuple[dict, dict, set]:
    """(the school, its class rows by name, every class name: rows and names pupils carry), classes locked."""
    rules.require_can_manage(actor, uai)
    school = require_school(ctx, c, uai)
    if actor.get("role") == roles.SCHOOL_STAFF:
        staff_rules.require_confirmed(acting_user(ctx, c, actor))
    ctx.repo.serialise_classes(c, uai)
    rows = {r["name"]: r for r in ctx.repo.live_classes(c, uai)}
    return school, rows, set(rows) | set(ctx.repo.pupil_class_names(c, uai))


def _answer(ctx: Context, c, uai: str, name: str, **extra) -> dict:
    row = next((r for r in ctx.repo.live_classes(c, uai) if r["name"] == name), None)
    return {**views.school_class(row, name, ctx.repo.count_pupils_in_class(c, uai, name)), **extra}


def create_class(ctx: Context, actor: dict, uai: str, name: str, grade: str | None = None) -> dict:
    uai = accounts.normalize_uai(uai)
    name = rules.clean_name(name)
    with ctx.uow.begin() as uow:
        c = uow.session
        school, rows, _ = _manage(ctx, c, actor, uai)
        g = rules.class_grade(name, grade, school["kind"])
        created = name not in rows
        if created:
            ctx.repo.insert_class(c, uai, name, g, ctx.now)
        return _answer(ctx, c, uai, name, created=created)


def _follow(ctx: Context, c, uai: str, old: str, new: str | None) -> int:
    """The staff following ``old`` follow ``new`` (None: the class is gone); how many changed."""
    followers = ctx.repo.staff_following(c, uai, old)
    for f in followers:
        ctx.repo.update_user(c, f["id"], classes=rules.renamed_followed(f["classes"], old, new), updated_at=ctx.now)
    return len(followers)


def rename_class(ctx: Context, actor: dict, uai: str, name: str, new_name: str, grade: str | None = None) -> dict:
    """Rename a class: its pupils and the staff following it follow; ``grade`` (optional) changes the class's
    grade and its pupils'. Renaming again once done answers the same."""
    uai = accounts.normalize_uai(uai)
    old = rules.clean_name(name)
    new = rules.clean_name(new_name, "new_name")
    with ctx.uow.begin() as uow:
        c = uow.session
        school, rows, names = _manage(ctx, c, actor, uai)
        if old not in names and new in names:
            return _answer(ctx, c, uai, new, renamed_pupils=0, renamed_for_staff=0)
        rules.check_rename(old, new, names)
        g = rules.class_grade(new, grade, school["kind"]) if grade else (rows.get(old) or {}).get("grade")
        if old in rows:
            ctx.repo.update_class(c, rows[old]["id"], ctx.now, name=new, grade=g)
        else:
            ctx.repo.insert_class(c, uai, new, g or rules.inferred_grade(new, school["kind"]), ctx.now)
        pupils = ctx.repo.rename_pupils_class(c, uai, old, new, g if grade else None, ctx.now)
        staff = _follow(ctx, c, uai, old, new) if new != old else 0
        return _answer(ctx, c, uai, new, renamed_pupils=pupils, renamed_for_staff=staff)


def delete_class(ctx: Context, actor: dict, uai: str, name: str) -> dict:
    """Delete an empty class (refused while pupils remain: move them first); the staff following it stop."""
    uai = accounts.normalize_uai(uai)
    name = rules.clean_name(name)
    with ctx.uow.begin() as uow:
        c = uow.session
        _, rows, names = _manage(ctx, c, actor, uai)
        if name not in names:
            return {"name": name, "deleted": False}
        rules.check_delete(name, ctx.repo.count_pupils_in_class(c, uai, name))
        if name in rows:
            ctx.repo.update_class(c, rows[name]["id"], ctx.now, archived_at=ctx.now)
        _follow(ctx, c, uai, name, None)
    return {"name": name, "deleted": True}


def move_pupils(ctx: Context, actor: dict, uai: str, pupil_ids, class_name: str) -> dict:
    """Move several pupils of the school to one of its classes (they take the class's grade when it has one)."""
    uai = accounts.normalize_uai(uai)
    ids, name = rules.check_move(pupil_ids, class_name)
    if any(not is_uuid(i) for i in ids):
        raise ValidationError(errors={"pupil_ids": ["Identifiant d'élève invalide."]})
    with ctx.uow.begin() as uow:
        c = uow.session
        school, rows, names = _manage(ctx, c, actor, uai)
        if name not in names:
            raise ValidationError(errors={"class_name": [f"La classe « {name} » n'existe pas dans l'établissement : "
                                                         "créez-la d'abord."]})
        pupils = [p for p in ctx.repo.pupils_by_ids(c, ids) if p["school_uai"] == uai]
        missing = len(ids) - len(pupils)
        if missing:
            raise ValidationError(errors={"pupil_ids": [f"{missing} élève{'s' if missing > 1 else ''} introuvable"
                                                        f"{'s' if missing > 1 else ''} dans cet établissement."]})
        grade = (rows.get(name) or {}).get("grade") or rules.inferred_grade(name, school["kind"])
        ctx.repo.move_pupils(c, ids, name, grade, ctx.now)
    return {"school_uai": uai, "class_name": name, "moved": len(ids), "pupil_ids": ids}
