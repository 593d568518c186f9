"""A school's classes, managed by its staff: names, grades, renaming (pupils and the staff following the class
follow), deleting (refused while pupils remain) and moving pupils in bulk (docs/school-staff.md)."""
from __future__ import annotations

from common.errors import Conflict, FieldErrors, Forbidden, ValidationError
from common.validation import check_text

from . import roles
from .pupil_records import grade_from_class

NAME_MAX = 40
MOVE_MAX = 500


def clean_name(value, field: str = "name") -> str:
    m = check_text(value, max_len=NAME_MAX)
    if m:
        raise ValidationError(errors={field: [m if m != "Ce champ est obligatoire." else
                                              "Indiquez le nom de la classe (40 caractères au plus)."]})
    return " ".join(value.split())


def class_grade(name: str, grade: str | None, school_kind: str | None) -> str | None:
    """The class's grade: the one given, else the one its name tells ("3A" -> troisieme), else None.
    ``ValidationError`` when it does not exist in the school's kind."""
    g = grade if grade not in (None, "") else grade_from_class(name)
    if grade not in (None, "") and grade not in roles.GRADES:
        raise ValidationError(errors={"grade": ["Niveau invalide : quatrieme, troisieme ou seconde."]})
    if g is not None and not roles.grade_allowed_in(g, school_kind):
        raise ValidationError(errors={"grade": ["Ce niveau n'existe pas dans cet établissement."]})
    return g


def inferred_grade(name: str, school_kind: str | None) -> str | None:
    """The grade a class's name tells, when the school has it (else None)."""
    g = grade_from_class(name)
    return g if g is not None and roles.grade_allowed_in(g, school_kind) else None


def require_can_manage(actor: dict | None, uai: str) -> None:
    """Who may move pupils today may manage the classes: the school's staff (any function) and admins; the
    staff member must also be confirmed (checked on the account: ``staff.require_confirmed``)."""
    if actor and actor.get("role") == roles.ADMIN:
        return
    if not roles.is_staff_of(actor, uai):
        raise Forbidden("Seul le personnel de cet établissement peut gérer ses classes.")


def check_rename(old: str, new: str, existing: set[str]) -> None:
    if old not in existing:
        raise Conflict("Cette classe n'existe pas (ou plus) dans l'établissement.", code="class_not_found")
    if new != old and new in existing:
        raise Conflict(f"La classe « {new} » existe déjà : choisissez un autre nom.", code="class_exists")


def check_delete(name: str, pupils: int) -> None:
    """A class with pupils is not deleted: they would be left without a class (move them first)."""
    if pupils:
        raise Conflict(f"La classe « {name} » compte encore {pupils} élève{'s' if pupils > 1 else ''} : "
                       "déplacez-les d'abord vers une autre classe, puis supprimez-la.", code="class_not_empty")


def renamed_followed(followed, old: str, new: str | None) -> list[str] | None:
    """A staff member's followed classes once ``old`` is renamed ``new`` (None: deleted); None when unchanged."""
    followed = list(followed or [])
    if old not in followed:
        return None
    out = {c for c in followed if c != old}
    if new:
        out.add(new)
    return sorted(out)


def check_move(pupil_ids, class_name) -> tuple[list[str], str]:
    errs = FieldErrors()
    ids = []
    if not isinstance(pupil_ids, list) or not pupil_ids or len(pupil_ids) > MOVE_MAX:
        errs.add("pupil_ids", f"Sélectionnez de 1 à {MOVE_MAX} élèves.")
    else:
        ids = sorted({str(p) for p in pupil_ids})
    try:
        name = clean_name(class_name, "class_name")
    except ValidationError as e:
        for m in e.errors["class_name"]:
            errs.add("class_name", m)
        name = None
    errs.raise_if_any()
    return ids, name
