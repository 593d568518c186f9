"""Roles, school staff functions, grades and the permission rules built on them."""
from __future__ import annotations

from common.errors import Forbidden

EMPLOYER = "employer"
OPERATOR = "operator"
SCHOOL_STAFF = "school_staff"
PUPIL = "pupil"
STATISTICIAN = "statistician"
ADMIN = "admin"

ROLES = (EMPLOYER, OPERATOR, SCHOOL_STAFF, PUPIL, STATISTICIAN, ADMIN)

# Roles that may create their own account through /auth/register.
SELF_REGISTRATION_ROLES = (EMPLOYER, OPERATOR, SCHOOL_STAFF, STATISTICIAN)

HEAD = "head"
TEACHER = "teacher"
CPE = "cpe"
ADMIN_STAFF = "admin_staff"
STAFF_FUNCTIONS = (HEAD, TEACHER, CPE, ADMIN_STAFF)   # the functions one registers or invites with
OTHER = "other"                                       # other staff known through FIM (domain.federation)
ALL_STAFF_FUNCTIONS = STAFF_FUNCTIONS + (OTHER,)

FUNCTION_LABELS = {
    HEAD: "Chef d'établissement",
    TEACHER: "Professeur",
    CPE: "Conseiller principal d'éducation",
    ADMIN_STAFF: "Personnel administratif",
    OTHER: "Autre personnel",
}

ROLE_LABELS = {
    EMPLOYER: "Employeur",
    OPERATOR: "Opérateur",
    SCHOOL_STAFF: "Personnel d'établissement",
    PUPIL: "Élève",
    STATISTICIAN: "Statisticien",
    ADMIN: "Administrateur",
}

# Grades the platform handles (4e and 3e in collège, 2nde in lycée).
QUATRIEME = "quatrieme"
TROISIEME = "troisieme"
SECONDE = "seconde"
GRADES = (QUATRIEME, TROISIEME, SECONDE)
GRADES_BY_SCHOOL_KIND = {"college": (QUATRIEME, TROISIEME), "lycee": (SECONDE,)}
GRADE_LABELS = {QUATRIEME: "4e", TROISIEME: "3e", SECONDE: "2nde"}

# Statisticians see aggregated data over one scope.
STAT_SCOPES = ("departement", "academie", "region", "national")

# Functions allowed to invite colleagues of their school.
INVITING_FUNCTIONS = (HEAD, ADMIN_STAFF)


def is_staff_of(actor: dict | None, uai: str) -> bool:
    return bool(actor) and actor.get("role") == SCHOOL_STAFF and actor.get("school_uai") == uai


def require_staff_of(actor: dict | None, uai: str) -> None:
    """School staff of ``uai`` (any function) or an admin; everyone else gets 403."""
    if actor and actor.get("role") == ADMIN:
        return
    if not is_staff_of(actor, uai):
        raise Forbidden("Seul le personnel de cet établissement peut accéder à ses élèves.")


def require_can_invite(actor: dict | None, uai: str) -> None:
    if actor and actor.get("role") == ADMIN:
        return
    if not is_staff_of(actor, uai) or actor.get("function") not in INVITING_FUNCTIONS:
        raise Forbidden("Seuls le chef d'établissement et le personnel administratif peuvent inviter des collègues.")


def require_admin(actor: dict | None) -> None:
    if not actor or actor.get("role") != ADMIN:
        raise Forbidden("Action réservée aux administrateurs.")


def grade_allowed_in(grade: str, school_kind: str | None) -> bool:
    if school_kind not in GRADES_BY_SCHOOL_KIND:
        return grade in GRADES
    return grade in GRADES_BY_SCHOOL_KIND[school_kind]
