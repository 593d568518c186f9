"""Validation of registration, invitation and profile input (pure; raises ValidationError)."""
from __future__ import annotations

from common.errors import FieldErrors
from common.validation import check_email, check_mobile_phone, check_text, normalize_email, normalize_phone

from . import roles
from .academic import check_academic_email
from .passwords import check_password

UAI_LEN = 8


def normalize_uai(value) -> str:
    return (value or "").strip().upper() if isinstance(value, str) else ""


def validate_registration(data: dict, school: dict | None = None) -> dict:
    """Check a self-registration. ``school``: the school record of ``school_uai`` when the
    caller found one ({"uai", "academie_name", "status"}), else None.

    Returns the cleaned values: role, first_name, last_name, email, phone (E.164 or None),
    function (staff function or None), job_title (employers/operators), school_uai,
    organisation_name, stat_scope, stat_scope_code. The password is checked, not returned.
    """
    errs = FieldErrors()
    data = data or {}
    role = data.get("role")
    if role not in roles.SELF_REGISTRATION_ROLES:
        errs.add("role", "Profil invalide : choisissez employeur, opérateur, personnel d'établissement ou statisticien.")
    for f, label_max in (("first_name", 100), ("last_name", 100)):
        m = check_text(data.get(f), max_len=label_max)
        if m:
            errs.add(f, m)
    email = data.get("email")
    m = check_email(email)
    if m:
        errs.add("email", m)
        email = None
    else:
        email = normalize_email(email)
    phone = data.get("phone")
    if phone not in (None, ""):
        m = check_mobile_phone(phone)
        if m:
            errs.add("phone", m)
            phone = None
        else:
            phone = normalize_phone(phone)
    else:
        phone = None
    m = check_password(data.get("password"))
    if m:
        errs.add("password", m)

    out = {"role": role, "first_name": (data.get("first_name") or "").strip() or None,
           "last_name": (data.get("last_name") or "").strip() or None, "email": email, "phone": phone,
           "function": None, "job_title": None, "school_uai": None, "organisation_name": None,
           "stat_scope": None, "stat_scope_code": None}

    if role == roles.SCHOOL_STAFF:
        function = data.get("function")
        if function not in roles.STAFF_FUNCTIONS:
            errs.add("function", "Fonction invalide : chef d'établissement, professeur, CPE ou personnel administratif.")
        out["function"] = function
        uai = normalize_uai(data.get("school_uai"))
        if not uai:
            errs.add("school_uai", "Choisissez votre établissement.")
        elif school is None:
            errs.add("school_uai", "Établissement inconnu.")
        else:
            out["school_uai"] = uai
            if school.get("status") == "A FERMER":
                errs.add("school_uai", "Cet établissement est en cours de fermeture.")
            if email:
                m = check_academic_email(email, school.get("academie_name"))
                if m:
                    errs.add("email", m)
    elif role in (roles.EMPLOYER, roles.OPERATOR):
        m = check_text(data.get("function"), min_len=2, max_len=100)
        if m:
            errs.add("function", m)
        out["job_title"] = (data.get("function") or "").strip() or None
        org = data.get("organisation_name")
        if role == roles.OPERATOR:
            m = check_text(org, min_len=2, max_len=200)
            if m:
                errs.add("organisation_name", m)
        out["organisation_name"] = (org or "").strip() or None if isinstance(org, str) else None
    elif role == roles.STATISTICIAN:
        scope = data.get("stat_scope")
        code = data.get("stat_scope_code")
        if scope not in roles.STAT_SCOPES:
            errs.add("stat_scope", "Périmètre invalide : département, académie, région ou national.")
        elif scope != "national" and not (isinstance(code, str) and code.strip()):
            errs.add("stat_scope_code", "Indiquez le code du périmètre (département, académie ou région).")
        elif scope != "national" and not _known_scope_code(scope, code.strip()):
            errs.add("stat_scope_code", "Code inconnu : indiquez le code officiel (par exemple 13 pour le "
                                        "département des Bouches-du-Rhône, 02 pour l'académie d'Aix-Marseille, "
                                        "93 pour la région Provence-Alpes-Côte d'Azur).")
        out["stat_scope"] = scope
        out["stat_scope_code"] = code.strip() if isinstance(code, str) and scope != "national" else None
        m = check_text(data.get("function"), required=False, max_len=100)
        if m:
            errs.add("function", m)
        out["job_title"] = (data.get("function") or "").strip() or None if isinstance(data.get("function"), str) else None
    errs.raise_if_any()
    return out


def initial_status(role: str) -> str:
    """Accounts start 'pending_activation' (e-mail link). Statisticians then wait for an admin
    ('pending_validation') before they can log in."""
    return "pending_activation"


def status_after_activation(role: str) -> str:
    return "pending_validation" if role == roles.STATISTICIAN else "active"


LOGIN_BLOCKED_STATUSES = {
    "pending_activation": "Votre compte n'est pas encore activé : cliquez sur le lien reçu par e-mail.",
    "pending_validation": "Votre compte attend la validation d'un administrateur.",
    "disabled": "Ce compte est désactivé.",
    "locked": "Ce compte a été verrouillé par un administrateur de la plateforme. Contactez l'assistance pour "
              "en connaître la raison.",   # domain.account_locks
    "anonymized": None,   # behaves as unknown
}


# error codes of blocked statuses other than "account_<status>" ("account_locked" is the 15-minute lockout)
LOGIN_BLOCKED_CODES = {"locked": "account_locked_by_admin"}


def looks_like_email(identifier: str) -> bool:
    return isinstance(identifier, str) and "@" in identifier


def normalize_login_identifier(identifier) -> tuple[str, str] | None:
    """("email", value) or ("phone", E.164) or None."""
    if not isinstance(identifier, str) or not identifier.strip():
        return None
    if looks_like_email(identifier):
        return ("email", normalize_email(identifier))
    p = normalize_phone(identifier)
    return ("phone", p) if p else None


def _known_scope_code(kind: str, code: str) -> bool:
    """Whether ``code`` is a code (not a name) of a ``kind`` of the reference data (common.scopes)."""
    from common import scopes

    return any(d.get(kind) == code for d in scopes.departement_table().values())
