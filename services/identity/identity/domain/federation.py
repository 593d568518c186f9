"""National sign-in (ÉduConnect for pupils, FIM for school staff): what identity does with claims the
gateway has already validated (signature, issuer, audience, nonce: the gateway's OpenID Connect client).

Pure rules: the claim names and value mappings (the one home of them), reading the claims into a
decision, the memberships of staff in several schools, and the designated heads that follow FIM.
Nothing here reads a database or the clock; ``now`` is given where it matters.

Claim names follow the current platform (betagouv/monstagedeseconde) and the ÉduConnect / FIM
documentation: values may come as a string or as a list of strings (userinfo answers both ways)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from common.errors import Conflict, FieldErrors, Forbidden, ValidationError
from common.validation import normalize_email, check_email

from . import roles
from .pupil_records import INE_RE, grade_from_class, normalize_ine, parse_birth_date, parse_grade

EDUCONNECT = "educonnect"
FIM = "fim"
PROVIDERS = (EDUCONNECT, FIM)
PROVIDER_LABELS = {EDUCONNECT: "ÉduConnect", FIM: "l'authentification des personnels (FIM)"}

# -- ÉduConnect claims ------------------------------------------------------------------------------
SUBJECT = "sub"
EC_INE = "FrEduCtEleveINE"              # national pupil identifier (INE)
EC_UAI = "FrEduCtEleveUAI"              # the pupil's school
EC_AFFILIATION = "FrEduCtPersonAffiliation"   # eleve / eleve2d (pupil), resp2d (legal representative)
EC_LEVEL = "FrEduCtEleveNiveau"         # MEFSTAT4 level code ("2116": 3e) or its label
EC_CLASS = "FrEduCtEleveClasse"         # the class's name ("3B"); the grade is inferred from it when no level
EC_BIRTH_DATE = "FrEduCtDateNaissance"
FIRST_NAME = ("given_name", "prenom", "givenName")
LAST_NAME = ("family_name", "nom", "sn")

PUPIL_AFFILIATIONS = ("eleve", "eleve2d")
PARENT_AFFILIATIONS = ("resp2d", "resp1d", "responsable")

# MEFSTAT4 codes of the levels the platform handles (the current platform's Sygne list).
MEFSTAT4_GRADES = {"2115": roles.QUATRIEME, "2433": roles.QUATRIEME,     # 4e, 4e SEGPA
                   "2116": roles.TROISIEME, "2434": roles.TROISIEME,     # 3e, 3e SEGPA
                   "2211": roles.SECONDE}                                 # 2nde générale et technologique

# -- FIM claims (scopes openid profile email stage) ----------------------------------------------------
FIM_EMAIL = "email"
FIM_FUNCTION = "FrEduFonctAdm"          # DIR, ADF, ENS, ...
FIM_SCHOOL = "rne"                      # the main school
FIM_SCHOOLS_RESP = "FrEduRneResp"       # schools the person is responsible for ("0130001A$UAJ$..." or "X")
FIM_SCHOOLS = "FrEduRne"                # schools the person works in (same format)
FIM_NONE = "X"
FIM_SEPARATOR = "$"
FIM_FUNCTIONS = {"DIR": roles.HEAD, "ADF": roles.ADMIN_STAFF, "ENS": roles.TEACHER}   # others: roles.OTHER

# How a membership came about (school_memberships.source), how a confirmation did.
SOURCE_FIM = "fim"
SOURCE_PLATFORM = "platform"
BY_FEDERATION = "federation"

PARENT_REFUSED = ("Ce compte ÉduConnect est celui d'un responsable légal : c'est l'élève qui se connecte lui-même, "
                  "avec son propre compte ÉduConnect.")
NOT_A_PUPIL = "Seuls les élèves de 4e, 3e et 2de se connectent avec ÉduConnect."
GRADE_NOT_HANDLED = "Seuls les élèves de 4e, 3e et 2de peuvent se connecter à la plateforme."
ALREADY_LINKED = "Ce compte est déjà relié à une identité {provider}."
IDENTITY_TAKEN = "Cette identité {provider} est déjà reliée à un autre compte."


def unknown_school(uai: str | None) -> Forbidden:
    shown = f" (UAI {uai})" if uai else ""
    return Forbidden(f"Votre établissement{shown} n'est pas répertorié sur la plateforme : "
                     "demandez à votre établissement de contacter le référent de votre académie.",
                     code="federation_unknown_school")


def check_provider(provider) -> str:
    if provider not in PROVIDERS:
        raise ValidationError(errors={"provider": ["Fournisseur d'identité inconnu : educonnect ou fim."]})
    return provider


def first(claims: dict, name) -> str | None:
    """A claim's value as one stripped string (the first of a list), or None."""
    names = (name,) if isinstance(name, str) else name
    for n in names:
        v = claims.get(n)
        if isinstance(v, (list, tuple)):
            v = next((x for x in v if isinstance(x, str) and x.strip()), None)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def many(claims: dict, name: str) -> list[str]:
    v = claims.get(name)
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, (list, tuple)):
        return []
    return [x.strip() for x in v if isinstance(x, str) and x.strip()]


def _claims(claims) -> dict:
    if not isinstance(claims, dict):
        raise ValidationError(errors={"claims": ["Les informations d'identité sont manquantes."]})
    return claims


def _subject(claims: dict, errs: FieldErrors) -> str | None:
    sub = first(claims, SUBJECT)
    if not sub or len(sub) > 255:
        errs.add(SUBJECT, "Identifiant de la personne (sub) manquant ou invalide.")
        return None
    return sub


def _name(claims: dict, names, max_len: int = 100) -> str | None:
    v = first(claims, names)
    return re.sub(r"\s+", " ", v)[:max_len] if v else None


# -- ÉduConnect: pupils ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PupilIdentity:
    subject: str
    ine: str | None
    uai: str
    grade: str | None
    class_name: str | None
    first_name: str | None
    last_name: str | None
    birth_date: dt.date | None


def affiliation_check(claims: dict) -> None:
    """Parents (legal representatives) are refused with their own message; other non-pupils too."""
    values = [v.lower() for v in many(claims, EC_AFFILIATION)]
    if any(v in PARENT_AFFILIATIONS for v in values):
        raise Forbidden(PARENT_REFUSED, code="federation_parent")
    if values and not any(v in PUPIL_AFFILIATIONS for v in values):
        raise Forbidden(NOT_A_PUPIL, code="federation_not_pupil")


def grade_of(level: str | None, class_name: str | None) -> str | None:
    """The grade from the MEFSTAT4 level (or its label: "3EME"), else from the class name."""
    if level:
        if level in MEFSTAT4_GRADES:
            return MEFSTAT4_GRADES[level]
        g, recognised = parse_grade(level)
        if recognised:
            return g
    return grade_from_class(class_name) if class_name else None


def read_educonnect(claims) -> PupilIdentity:
    """The pupil the validated ÉduConnect claims describe; raises Forbidden (parent) or ValidationError."""
    claims = _claims(claims)
    affiliation_check(claims)
    errs = FieldErrors()
    sub = _subject(claims, errs)
    ine = normalize_ine(first(claims, EC_INE) or "") or None
    if ine is not None and not INE_RE.match(ine):
        errs.add(EC_INE, "Identifiant national élève (INE) invalide.")
    uai = (first(claims, EC_UAI) or "").upper()
    if not re.fullmatch(r"[0-9]{7}[A-Z]", uai):
        errs.add(EC_UAI, "Établissement de l'élève (UAI) manquant ou invalide.")
    errs.raise_if_any()
    class_name = _name(claims, EC_CLASS, 40)
    level = first(claims, EC_LEVEL)
    birth = parse_birth_date(first(claims, EC_BIRTH_DATE) or "")
    return PupilIdentity(subject=sub, ine=ine, uai=uai, grade=grade_of(level, class_name), class_name=class_name,
                         first_name=_name(claims, FIRST_NAME), last_name=_name(claims, LAST_NAME), birth_date=birth)


def check_new_pupil(p: PupilIdentity, school: dict) -> None:
    """An unknown pupil of a known school is created from the claims: names, INE and a grade the school has."""
    errs = FieldErrors()
    if not p.ine:
        errs.add(EC_INE, "Identifiant national élève (INE) manquant.")
    if not p.first_name:
        errs.add("given_name", "Prénom manquant.")
    if not p.last_name:
        errs.add("family_name", "Nom manquant.")
    errs.raise_if_any()
    if p.grade is None or not roles.grade_allowed_in(p.grade, school.get("kind")):
        raise Forbidden(GRADE_NOT_HANDLED, code="federation_grade_not_handled")


def pupil_updates(user: dict, p: PupilIdentity, school: dict) -> dict:
    """What a known pupil's record takes from fresh claims (school, class, grade, INE): the national
    directory is the authority on them."""
    out = {}
    if p.uai != user.get("school_uai"):
        out["school_uai"] = p.uai
    if p.class_name and p.class_name != user.get("class_name"):
        out["class_name"] = p.class_name
    if p.grade and p.grade != user.get("grade") and roles.grade_allowed_in(p.grade, school.get("kind")):
        out["grade"] = p.grade
    if p.ine and not user.get("ine"):
        out["ine"] = p.ine
    return out


# -- FIM: school staff ----------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffIdentity:
    subject: str
    email: str
    first_name: str | None
    last_name: str | None
    function: str
    uais: tuple[str, ...]          # the main school (rne) first, then the others, without duplicates


def function_of(code: str | None) -> str:
    return FIM_FUNCTIONS.get((code or "").strip().upper(), roles.OTHER)


def _uai_of(value: str) -> str | None:
    v = value.split(FIM_SEPARATOR)[0].strip().upper()
    return v if re.fullmatch(r"[0-9]{7}[A-Z]", v) else None


def read_fim(claims) -> StaffIdentity:
    claims = _claims(claims)
    errs = FieldErrors()
    sub = _subject(claims, errs)
    email = first(claims, FIM_EMAIL)
    if check_email(email):
        errs.add(FIM_EMAIL, "Adresse e-mail manquante ou invalide.")
    uais = []
    for v in [first(claims, FIM_SCHOOL) or ""] + many(claims, FIM_SCHOOLS_RESP) + many(claims, FIM_SCHOOLS):
        u = _uai_of(v) if v and v != FIM_NONE else None
        if u and u not in uais:
            uais.append(u)
    if not uais:
        errs.add(FIM_SCHOOL, "Établissement (rne) manquant ou invalide.")
    errs.raise_if_any()
    return StaffIdentity(subject=sub, email=normalize_email(email), first_name=_name(claims, FIRST_NAME),
                         last_name=_name(claims, LAST_NAME), function=function_of(first(claims, FIM_FUNCTION)),
                         uais=tuple(uais))


def check_new_staff(s: StaffIdentity) -> None:
    """An account is created from FIM's claims: they must name the person."""
    errs = FieldErrors()
    if not s.first_name:
        errs.add("given_name", "Prénom manquant.")
    if not s.last_name:
        errs.add("family_name", "Nom manquant.")
    errs.raise_if_any()


def known_uais(staff: StaffIdentity, known: set[str]) -> list[str]:
    """The person's schools that the directory knows, main first; none: refused."""
    out = [u for u in staff.uais if u in known]
    if not out:
        raise unknown_school(staff.uais[0])
    return out


@dataclass
class MembershipPlan:
    upserts: list[dict] = field(default_factory=list)   # {"school_uai", "function", "source", confirmation...}
    removed: list[str] = field(default_factory=list)    # school_uai of FIM memberships FIM no longer lists
    current_uai: str | None = None


def plan_memberships(existing: list[dict], staff: StaffIdentity, uais: list[str], current_uai: str | None,
                     now: dt.datetime) -> MembershipPlan:
    """Synchronise a person's memberships with what FIM says at sign-in.

    ``existing``: the person's membership rows ({"school_uai", "function", "source", "confirmed_at",
    "confirmed_by", "confirmed_how"}); ``uais``: the known schools FIM lists (main first).
    Every listed school gets a FIM membership with FIM's function; a head is confirmed at once
    (``confirmed_how`` = "federation"); a confirmation already given is kept unless the function changed.
    FIM memberships no longer listed go; memberships made on the platform stay. The current school is
    kept when still a membership, else it becomes FIM's main school."""
    plan = MembershipPlan()
    by_uai = {m["school_uai"]: m for m in existing}
    for uai in uais:
        old = by_uai.get(uai) or {}
        row = {"school_uai": uai, "function": staff.function, "source": SOURCE_FIM,
               "confirmed_at": old.get("confirmed_at"), "confirmed_by": old.get("confirmed_by"),
               "confirmed_how": old.get("confirmed_how")}
        if old and old.get("function") != staff.function:
            row.update(confirmed_at=None, confirmed_by=None, confirmed_how=None)
        if staff.function == roles.HEAD and row["confirmed_at"] is None:
            row.update(confirmed_at=now, confirmed_by=None, confirmed_how=BY_FEDERATION)
        if row != {k: old.get(k) for k in row}:
            plan.upserts.append(row)
    plan.removed = [m["school_uai"] for m in existing
                    if m.get("source") == SOURCE_FIM and m["school_uai"] not in uais]
    kept = (set(by_uai) - set(plan.removed)) | set(uais)
    plan.current_uai = current_uai if current_uai in kept else uais[0]
    return plan


def heads_to_designate(staff: StaffIdentity, user_id: str, uais: list[str],
                       current_heads: dict[str, str | None]) -> list[tuple[str, str | None]]:
    """The designated head of a school follows FIM: a DIR of a school becomes its designated head.
    Returns [(uai, previous head's id or None)] for the schools where that changes."""
    if staff.function != roles.HEAD:
        return []
    return [(u, current_heads.get(u)) for u in uais if current_heads.get(u) != user_id]


# -- staff in several schools ---------------------------------------------------------------------

def current_membership(user: dict) -> dict:
    """The membership the account row holds (its current school): ``users`` keeps the function and the
    confirmation of the current school."""
    return {"school_uai": user.get("school_uai"), "function": user.get("function"),
            "confirmed_at": user.get("staff_confirmed_at"), "confirmed_by": user.get("staff_confirmed_by"),
            "confirmed_how": user.get("staff_confirmed_how")}


def check_can_switch(user: dict, memberships: list[dict], uai: str) -> dict:
    """The membership of ``uai`` the person switches to; 403 when it is not one of theirs."""
    if user.get("role") != roles.SCHOOL_STAFF:
        raise Forbidden("Seuls les personnels d'établissement changent d'établissement.", code="not_school_staff")
    target = next((m for m in memberships if m["school_uai"] == uai), None)
    if target is None and uai != user.get("school_uai"):
        raise Forbidden("Vous n'êtes pas rattaché(e) à cet établissement.", code="not_a_member")
    return target or current_membership(user)


def user_fields_of(m: dict) -> dict:
    """The ``users`` columns that follow the current school."""
    return {"school_uai": m["school_uai"], "function": m["function"], "staff_confirmed_at": m.get("confirmed_at"),
            "staff_confirmed_by": m.get("confirmed_by"), "staff_confirmed_how": m.get("confirmed_how")}


# -- linking ---------------------------------------------------------------------------------------

def check_link(user: dict, provider: str, already: dict | None, owner_id: str | None) -> None:
    """``already``: this account's link for ``provider``; ``owner_id``: the account the identity is
    linked to (None: free). Once only, and one account per identity."""
    label = PROVIDER_LABELS[provider]
    expected = roles.PUPIL if provider == EDUCONNECT else roles.SCHOOL_STAFF
    if user.get("role") != expected:
        raise Forbidden("ÉduConnect est réservé aux élèves, FIM aux personnels d'établissement.",
                        code="federation_wrong_role")
    if already is not None:
        raise Conflict(ALREADY_LINKED.format(provider=label), code="federation_already_linked")
    if owner_id is not None and owner_id != user.get("id"):
        raise Conflict(IDENTITY_TAKEN.format(provider=label), code="federation_already_linked")
