"""Changing one's own profile (pure rules; raise typed errors).

- name, function (school staff) and job title apply at once (``validate_profile_changes``);
- a new e-mail address or mobile number replaces the old one only once it is confirmed from the new one
  (a single-use link valid 24 hours for an address, a 6-digit code valid 15 minutes, 5 attempts, for a
  number); the old one is then told. Only hashes of the link's token and of the code are stored.
- a school-staff member who changes function must be confirmed again (a head's powers come with the
  function), and the designated head of a school cannot leave the function without handing over first.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from common.errors import Conflict, FieldErrors
from common.validation import check_email, check_mobile_phone, check_text, normalize_email, normalize_phone

from . import roles
from .academic import check_academic_email
from .throttle import Limit

EMAIL = "email"
PHONE = "phone"
KINDS = (EMAIL, PHONE)

TTL = {EMAIL: dt.timedelta(hours=24), PHONE: dt.timedelta(minutes=15)}
MAX_CODE_ATTEMPTS = 5
CHANGES_PER_ACCOUNT = Limit(5, dt.timedelta(hours=1))   # change requests of one kind, per account
CODE_DIGITS = 6

# What a change request answers, whether or not the new identifier is free (no account is revealed).
REQUESTED_DETAIL = {
    EMAIL: "Si cette adresse peut être utilisée, un lien de confirmation valable 24 heures vient de lui être "
           "envoyé. Votre adresse actuelle reste en vigueur jusqu'à la confirmation.",
    PHONE: "Si ce numéro peut être utilisé, un code de confirmation valable 15 minutes vient de lui être envoyé "
           "par SMS. Votre numéro actuel reste en vigueur jusqu'à la confirmation.",
}
CONFIRMED_DETAIL = {
    EMAIL: "Votre adresse e-mail est modifiée : utilisez-la désormais pour vous connecter.",
    PHONE: "Votre numéro de mobile est modifié.",
}
# Said when a confirmed identifier was taken meanwhile by another account (rare: both were free at request).
UNAVAILABLE = {EMAIL: "Cette adresse ne peut pas être utilisée : demandez le changement vers une autre adresse.",
               PHONE: "Ce numéro ne peut pas être utilisé : demandez le changement vers un autre numéro."}

# Outcomes of checking a pending change.
VALID, EXPIRED, USED, UNKNOWN, LOCKED, WRONG = "valid", "expired", "used", "unknown", "locked", "wrong"
MESSAGES = {
    EXPIRED: "Ce lien ou ce code a expiré : demandez à nouveau le changement.",
    USED: "Ce lien ou ce code a déjà été utilisé.",
    UNKNOWN: "Ce lien ou ce code est invalide.",
    LOCKED: "Trop d'essais : demandez un nouveau code.",
    WRONG: "Code incorrect.",
}

PROFILE_FIELDS = ("first_name", "last_name", "function", "job_title")


def validate_profile_changes(data: dict, user: dict) -> dict:
    """The fields of ``data`` the account may change, cleaned: {field: value} (only those given).
    ``function`` is a staff function for school staff; ``job_title`` is free text for the other adult
    roles. Pupils change none of them: their names are the school's record (class lists are matched on them)."""
    errs = FieldErrors()
    data = data if isinstance(data, dict) else {}
    out = {}
    unknown = sorted(k for k in data if k not in PROFILE_FIELDS)
    for k in unknown:
        errs.add(k, "Ce champ ne peut pas être modifié ici.")
    role = user.get("role")
    for f in ("first_name", "last_name"):
        if f in data and role == roles.PUPIL:
            errs.add(f, "Votre nom est celui que votre établissement a enregistré : demandez-lui de le corriger.")
        elif f in data:
            m = check_text(data[f], max_len=100) if isinstance(data[f], (str, type(None))) else "Texte attendu."
            if m:
                errs.add(f, m)
            else:
                out[f] = data[f].strip()
    if "function" in data:
        if role != roles.SCHOOL_STAFF:
            errs.add("function", "Seuls les personnels d'établissement ont une fonction.")
        elif data["function"] not in roles.STAFF_FUNCTIONS:
            errs.add("function", "Fonction invalide : chef d'établissement, professeur, CPE ou personnel administratif.")
        else:
            out["function"] = data["function"]
    if "job_title" in data:
        v = data["job_title"]
        if role in (roles.SCHOOL_STAFF, roles.PUPIL):
            errs.add("job_title", "Ce profil n'a pas d'intitulé de poste : indiquez votre fonction.")
        elif v is not None and not isinstance(v, str):
            errs.add("job_title", "Texte attendu.")
        else:
            m = check_text(v, min_len=2, max_len=100, required=role in (roles.EMPLOYER, roles.OPERATOR))
            if m:
                errs.add("job_title", m)
            else:
                out["job_title"] = (v or "").strip() or None
    errs.raise_if_any()
    if not out:
        errs.add("profile", "Indiquez au moins un champ à modifier.")
        errs.raise_if_any()
    return out


def function_change_effects(user: dict, new_function: str | None, is_designated_head: bool) -> dict:
    """What changing a staff member's function also changes: {} when it does not change; the confirmation
    is withdrawn otherwise. The designated head must hand over before leaving the function (Conflict)."""
    if new_function is None or new_function == user.get("function"):
        return {}
    if is_designated_head:
        raise Conflict("Vous êtes le chef d'établissement désigné : désignez d'abord votre successeur avant de "
                       "changer de fonction.", code="designated_head")
    return {"staff_confirmed_at": None, "staff_confirmed_by": None, "staff_confirmed_how": None}


def clean_new_identifier(kind: str, value, user: dict, school: dict | None = None) -> str:
    """The new e-mail address (lower case) or mobile number (E.164); ValidationError field by field.
    School staff keep an academic address of their school's académie."""
    errs = FieldErrors()
    if kind == EMAIL:
        m = check_email(value)
        if m:
            errs.add("email", m)
        else:
            value = normalize_email(value)
            if user.get("role") == roles.SCHOOL_STAFF:
                m = check_academic_email(value, (school or {}).get("academie_name"))
                if m:
                    errs.add("email", m)
            if not errs and value == user.get("email"):
                errs.add("email", "C'est déjà votre adresse e-mail.")
    else:
        m = check_mobile_phone(value)
        if m:
            errs.add("phone", m)
        else:
            value = normalize_phone(value)
            if value == user.get("phone"):
                errs.add("phone", "C'est déjà votre numéro de mobile.")
    errs.raise_if_any()
    return value


def new_secret(kind: str) -> str:
    """The link's token (e-mail) or the code (phone) sent to the new identifier; never stored."""
    if kind == EMAIL:
        return secrets.token_urlsafe(32)
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_secret(kind: str, secret: str, user_id: str = "") -> str:
    """SHA-256 of the secret. A code is short: it is hashed with the account it belongs to (looked up by
    account, never by hash)."""
    salt = f"{kind}:{user_id}:" if kind == PHONE else f"{kind}:"
    return hashlib.sha256((salt + str(secret).strip()).encode("utf-8")).hexdigest()


def expires_at(kind: str, now: dt.datetime) -> dt.datetime:
    return now + TTL[kind]


def change_status(record: dict | None, kind: str, secret, now: dt.datetime) -> str:
    """A pending change ``record`` ({"kind", "user_id", "secret_hash", "expires_at", "used_at", "attempts"})
    checked against the secret given: VALID, or why not (UNKNOWN, USED, EXPIRED, LOCKED, WRONG)."""
    if record is None or record.get("kind") != kind or not isinstance(secret, str) or not secret.strip():
        return UNKNOWN
    if record.get("used_at") is not None:
        return USED
    if now >= record["expires_at"]:
        return EXPIRED
    if kind == PHONE and (record.get("attempts") or 0) >= MAX_CODE_ATTEMPTS:
        return LOCKED
    if not hmac.compare_digest(hash_secret(kind, secret, record.get("user_id", "")), record["secret_hash"]):
        return WRONG if kind == PHONE else UNKNOWN
    return VALID
