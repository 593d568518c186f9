"""The convention aggregate and its transitions (pure: no I/O, ``now`` is given).

Every operation checks who acts (the gateway's ``actor`` dict), mutates the
``Convention`` and returns the events to publish as ``[(type, data), ...]``.
Errors are the typed errors of ``common.errors`` with French messages.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import uuid

from common.errors import Conflict, Forbidden, NotFound, ValidationError

from . import printed
from . import states as S
from .fields import EMPLOYER, SCHOOL, check_ownership, normalize, validate_party
from .hashing import content_hash
from .representative import full_name, is_account_of

# Signature roles: the four parties. Either legal representative fills the last one.
EMPLOYER_ROLE = "employer"
HEAD_ROLE = "head_of_school"
PUPIL_ROLE = "pupil"
LEGAL_REP_ROLE = "legal_representative"
SIGNATURE_ROLES = (EMPLOYER_ROLE, HEAD_ROLE, PUPIL_ROLE, LEGAL_REP_ROLE)
ROLE_LABELS = {EMPLOYER_ROLE: "Représentant de l'organisme d'accueil", HEAD_ROLE: "Chef d'établissement",
               PUPIL_ROLE: "Élève", LEGAL_REP_ROLE: "Représentant légal de l'élève"}
SIGNATURE_METHODS = {"code", "image", "typed_name", "session", "link"}

# school staff functions allowed to validate / reopen (the head signs; administration prepares)
VALIDATING_FUNCTIONS = {"head", "admin_staff"}


@dataclasses.dataclass
class Signature:
    role: str
    signer_key: str  # "user:<uuid>" or "legal_representative:<index>": nobody signs twice
    signer_name: str
    method: str
    signed_at: dt.datetime
    document_hash: str
    signer_user_id: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["signed_at"] = self.signed_at.isoformat()
        return d


@dataclasses.dataclass
class Convention:
    id: str
    application_id: str
    grade: str
    school_uai: str
    pupil_user_id: str
    employer_user_id: str
    offer_id: str | None = None
    # the employer space the offer belongs to (identity's spaces): every member acts as the employer; before
    # spaces (and by default) the creator's personal space, whose id is their user id
    space_id: str | None = None
    organisation_id: str | None = None
    weeks: list = dataclasses.field(default_factory=list)
    prefill: dict = dataclasses.field(default_factory=dict)  # pupil, school, organisation, offer, period
    employer: dict = dataclasses.field(default_factory=dict)  # fields owned by the employer
    school: dict = dataclasses.field(default_factory=dict)  # fields owned by the school
    state: str = S.DRAFT
    employer_completed_at: dt.datetime | None = None
    school_completed_at: dt.datetime | None = None
    validated_at: dt.datetime | None = None
    signed_by_all_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None
    frozen: dict | None = None  # the content as validated (what is rendered and signed)
    document_hash: str | None = None
    signatures: list = dataclasses.field(default_factory=list)

    # -- content --------------------------------------------------------------------------
    def __post_init__(self):
        if not self.space_id:
            self.space_id = self.employer_user_id

    def content(self) -> dict:
        """The data the document is made of (hashed and rendered)."""
        return copy.deepcopy({
            "convention_id": self.id,
            "application_id": self.application_id,
            "grade": self.grade,
            "weeks": list(self.weeks),
            "prefill": self.prefill,
            "employer": self.employer,
            "school": self.school,
        })

    def current_hash(self) -> str:
        return content_hash(self.content())

    def signature_for(self, role: str) -> Signature | None:
        return next((s for s in self.signatures if s.role == role), None)

    def missing_roles(self) -> list[str]:
        return [r for r in SIGNATURE_ROLES if self.signature_for(r) is None]

    def ids(self) -> dict:
        return {"convention_id": self.id, "application_id": self.application_id}


# -- who is acting ------------------------------------------------------------------------

def employer_space(actor: dict | None) -> str | None:
    """The space an employer acts in: the token's ``space_id``, else their personal space (their user id)."""
    a = actor or {}
    if a.get("role") != "employer" or not a.get("user_id"):
        return None
    return str(a.get("space_id") or a["user_id"])


def party_of(conv: Convention, actor: dict | None) -> str | None:
    """'employer', 'school', 'pupil', 'admin' or None for an actor on this convention."""
    if not actor:
        return None
    role = actor.get("role")
    if role == "employer" and employer_space(actor) == conv.space_id:
        return EMPLOYER
    if role == "school_staff" and actor.get("school_uai") and actor.get("school_uai") == conv.school_uai:
        return SCHOOL
    if role == "pupil" and actor.get("user_id") and actor.get("user_id") == conv.pupil_user_id:
        return "pupil"
    if role == "admin":
        return "admin"
    return None


def visible_filter(actor: dict) -> tuple[str, str] | None:
    """The conventions an actor sees, as one (attribute, value) equality on the convention (the list's SQL
    builds its WHERE from it; ``party_of`` agrees: a test checks both): None for admins (all), Forbidden for
    roles that see none."""
    role = actor.get("role")
    if role == "employer":
        return "space_id", employer_space(actor)
    if role == "school_staff":
        if not actor.get("school_uai"):
            raise Forbidden("Votre compte n'est rattaché à aucun établissement.")
        return "school_uai", actor["school_uai"]
    if role == "pupil":
        return "pupil_user_id", actor["user_id"]
    if role == "admin":
        return None
    raise Forbidden("Vous n'avez pas accès aux conventions.")


def signature_role_of(actor: dict) -> str:
    """The signature role a logged-in actor signs as (the legal representative signs through a link)."""
    role = {"employer": EMPLOYER_ROLE, "school_staff": HEAD_ROLE, "pupil": PUPIL_ROLE}.get(actor.get("role"))
    if role is None:
        raise Forbidden("Vous ne pouvez pas signer de convention.")
    return role


def check_can_view(conv: Convention, actor: dict) -> str:
    party = party_of(conv, actor)
    if party is None:
        # do not reveal that it exists
        raise NotFound("Convention introuvable.")
    return party


def require_confirmed_staff(actor: dict | None) -> None:
    """School staff act for their school only once identity confirmed their account (token claim
    ``staff_confirmed``, docs/school-staff.md); until then they can only read."""
    if actor and actor.get("role") == "school_staff" and actor.get("staff_confirmed") is not True:
        raise Forbidden("Votre compte de personnel d'établissement n'est pas encore confirmé : un administrateur ou "
                        "le chef d'établissement doit le confirmer avant que vous puissiez agir pour "
                        "l'établissement. En attendant, vous pouvez consulter.", code="staff_not_confirmed")


def _require_party(conv: Convention, actor: dict, *allowed: str) -> str:
    party = check_can_view(conv, actor)
    if party not in allowed:
        raise Forbidden("Vous ne pouvez pas effectuer cette action sur cette convention.")
    if party == SCHOOL:
        require_confirmed_staff(actor)
    return party


def _not_cancelled(conv: Convention):
    if conv.state == S.CANCELLED:
        raise Conflict("Cette convention a été annulée.", code="convention_cancelled")


# -- filling ------------------------------------------------------------------------------

def update(conv: Convention, actor: dict, changes: dict, now: dt.datetime) -> list:
    """Save a draft of the acting party's fields. An employer cannot write the school's fields
    (and conversely): the whole request is refused with 403 and the offending fields."""
    party = _require_party(conv, actor, EMPLOYER, SCHOOL)
    if not isinstance(changes, dict) or not changes:
        raise ValidationError("Aucune modification transmise.")
    foreign, unknown = check_ownership(party, changes)
    if foreign:
        raise Forbidden("Certains champs ne peuvent être remplis que par l'autre partie.", errors=foreign,
                        code="field_not_owned")
    if unknown:
        raise ValidationError(errors=unknown)
    _not_cancelled(conv)
    editable = S.EMPLOYER_EDITABLE if party == EMPLOYER else S.SCHOOL_EDITABLE
    if conv.state not in editable:
        if conv.state in S.FROZEN:
            raise Conflict("La convention est validée : l'établissement doit la rouvrir pour la modifier.",
                           code="convention_frozen")
        raise Conflict("L'établissement a commencé à remplir la convention : vos informations ne sont plus "
                       "modifiables.", code="convention_locked")
    changes = normalize(changes)
    errors = validate_party(party, changes, now, complete=False)
    if errors:
        raise ValidationError(errors=errors)
    if party == EMPLOYER:
        conv.employer = {**conv.employer, **changes}
        conv.employer_completed_at = None
        if conv.state in (S.DRAFT, S.COMPLETED_BY_EMPLOYER):
            conv.state = S.STARTED_BY_EMPLOYER
    else:
        conv.school = {**conv.school, **changes}
        conv.school_completed_at = None
        if conv.state == S.COMPLETED_BY_EMPLOYER:
            conv.state = S.STARTED_BY_SCHOOL
    return []


def complete(conv: Convention, actor: dict, now: dt.datetime) -> list:
    """The acting party declares its part complete: every one of its fields is checked."""
    party = _require_party(conv, actor, EMPLOYER, SCHOOL)
    _not_cancelled(conv)
    if party == EMPLOYER:
        if conv.state not in (S.DRAFT, S.STARTED_BY_EMPLOYER):
            raise Conflict("Vos informations ont déjà été transmises à l'établissement.", code="already_completed")
        errors = validate_party(EMPLOYER, conv.employer, now, complete=True)
        if errors:
            raise ValidationError("Complétez ou corrigez les champs signalés avant de transmettre la convention.",
                                  errors)
        conv.state = S.COMPLETED_BY_EMPLOYER
        conv.employer_completed_at = now
        return [("convention.completed_by_employer", conv.ids())]
    if conv.state not in S.SCHOOL_EDITABLE:
        raise Conflict("La convention est déjà validée.", code="convention_frozen")
    errors = validate_party(SCHOOL, conv.school, now, complete=True)
    if errors:
        raise ValidationError("Complétez ou corrigez les champs signalés.", errors)
    conv.school_completed_at = now
    if conv.state == S.COMPLETED_BY_EMPLOYER:
        conv.state = S.STARTED_BY_SCHOOL
    return []


def _require_validator(conv: Convention, actor: dict):
    _require_party(conv, actor, SCHOOL)
    if actor.get("function") not in VALIDATING_FUNCTIONS:
        raise Forbidden("Seuls le chef d'établissement et le personnel administratif peuvent valider ou rouvrir "
                        "une convention.")


_KEEP = object()


def validate(conv: Convention, actor: dict, now: dt.datetime, *, representative=_KEEP) -> list:
    """The school validates: both parties' fields are checked, the head of school printed as the school's
    representative is set (``representative``: see ``choose_representative``, None when unknown; the service
    always gives it, omitted keeps the pre-filled one), no printed value may still be a placeholder
    (``printed.placeholders``), then the content is frozen and hashed and signatures open."""
    _require_validator(conv, actor)
    _not_cancelled(conv)
    if conv.state in S.FROZEN:
        raise Conflict("La convention est déjà validée.", code="already_validated")
    if conv.state not in S.VALIDATABLE:
        raise Conflict("L'organisme d'accueil n'a pas encore complété la convention.", code="employer_not_completed")
    school = dict(conv.prefill.get("school") or {})
    if representative is not _KEEP:
        school.update(head_name=(representative or {}).get("name"),
                      head_user_id=(representative or {}).get("user_id"))
    prefill = {**conv.prefill, "school": school}
    errors = {**validate_party(EMPLOYER, conv.employer, now, complete=True),
              **validate_party(SCHOOL, conv.school, now, complete=True)}
    for path, messages in printed.placeholders({**conv.content(), "prefill": prefill}).items():
        errors.setdefault(path, []).extend(messages)
    if errors:
        raise ValidationError("Complétez ou corrigez les champs signalés avant de valider la convention.", errors)
    conv.prefill = prefill
    conv.frozen = conv.content()
    conv.document_hash = content_hash(conv.frozen)
    conv.validated_at = now
    conv.school_completed_at = conv.school_completed_at or now
    conv.state = S.VALIDATED
    conv.signatures = []
    return [("convention.validated", {**conv.ids(), "document_hash": conv.document_hash})]


def reopen(conv: Convention, actor: dict, now: dt.datetime, *, to: str = SCHOOL) -> list:
    """The school reopens a validated agreement before it is signed by all; what was signed is discarded.
    ``to='employer'`` hands it back to the employer as well."""
    _require_validator(conv, actor)
    _not_cancelled(conv)
    if conv.state == S.SIGNED_BY_ALL:
        raise Conflict("La convention est signée par toutes les parties : elle ne peut plus être rouverte.",
                       code="already_signed")
    if conv.state not in S.REOPENABLE:
        raise Conflict("Seule une convention validée peut être rouverte.", code="not_validated")
    if to not in (SCHOOL, EMPLOYER):
        raise ValidationError(errors={"to": ["Choix invalide : « school » ou « employer »."]})
    discarded = len(conv.signatures)
    conv.signatures = []
    conv.frozen = None
    conv.document_hash = None
    conv.validated_at = None
    conv.school_completed_at = None
    if to == EMPLOYER:
        conv.employer_completed_at = None
        conv.state = S.STARTED_BY_EMPLOYER
    else:
        conv.state = S.STARTED_BY_SCHOOL
    return [("convention.reopened", {**conv.ids(), "to": to, "discarded_signatures": discarded})]


def cancel(conv: Convention, now: dt.datetime, reason: str | None = None) -> list:
    """Cancelled with its application (idempotent)."""
    if conv.state == S.CANCELLED:
        return []
    conv.state = S.CANCELLED
    conv.cancelled_at = now
    conv.cancel_reason = reason
    return [("convention.cancelled", {**conv.ids(), "reason": reason})]


# -- signatures -----------------------------------------------------------------------------

def signer_for_actor(conv: Convention, actor: dict, role: str, *, typed_name: str | None = None,
                     account: dict | None = None) -> dict:
    """Check that a logged-in actor may sign as ``role``; return the signer identity. The head of school
    signs under the name of the signing account (``account``, as identity knows it), never another head's;
    a typed name must be that account's name."""
    party = check_can_view(conv, actor)
    uid = actor.get("user_id")
    if role == EMPLOYER_ROLE and party == EMPLOYER:
        name = (conv.employer.get("representative") or {}).get("name") or typed_name or ""
        return {"key": f"user:{uid}", "user_id": uid, "name": name}
    if role == HEAD_ROLE and party == SCHOOL:
        require_confirmed_staff(actor)
        if actor.get("function") != "head":
            raise Forbidden("Seul le chef d'établissement signe au nom de l'établissement.")
        if not is_account_of(account, actor):
            raise Forbidden("Votre compte n'a pas pu être vérifié : la signature n'est pas enregistrée.",
                            code="signer_unknown")
        name = full_name(account)
        if typed_name is not None and typed_name.strip() and not check_typed_name(name, typed_name):
            raise ValidationError(errors={"typed_name": ["Saisissez le prénom et le nom de votre compte pour "
                                                         "signer."]}, code="name_mismatch")
        return {"key": f"user:{uid}", "user_id": uid, "name": name}
    if role == PUPIL_ROLE and party == "pupil":
        pupil = conv.prefill.get("pupil") or {}
        name = " ".join(x for x in (pupil.get("first_name"), pupil.get("last_name")) if x)
        return {"key": f"user:{uid}", "user_id": uid, "name": name}
    raise Forbidden("Vous ne pouvez pas signer cette convention à ce titre.")


def sign(conv: Convention, *, role: str, signer: dict, document_hash: str | None, now: dt.datetime,
         method: str, ip: str | None = None, user_agent: str | None = None) -> list:
    """Record a signature. Refused when: not open for signature, the role already signed,
    this signer already signed, or the document the signer saw (``document_hash``) or the
    current content differs from the frozen one."""
    if role not in SIGNATURE_ROLES:
        raise ValidationError(errors={"role": ["Rôle de signature inconnu."]})
    if method not in SIGNATURE_METHODS:
        raise ValidationError(errors={"method": ["Mode de signature inconnu."]})
    _not_cancelled(conv)
    if conv.state == S.SIGNED_BY_ALL:
        raise Conflict("La convention est déjà signée par toutes les parties.", code="already_signed")
    if conv.state not in S.SIGNABLE:
        raise Conflict("La convention n'est pas encore validée par l'établissement : elle ne peut pas être signée.",
                       code="not_validated")
    if not document_hash:
        raise ValidationError(errors={"document_hash": ["Indiquez l'empreinte du document que vous signez."]})
    if document_hash != conv.document_hash or conv.current_hash() != conv.document_hash:
        raise Conflict("Le document a changé depuis que vous l'avez consulté : relisez la nouvelle version avant "
                       "de signer.", code="document_changed")
    if conv.signature_for(role) is not None:
        raise Conflict("Cette partie a déjà signé la convention.", code="already_signed_role")
    if any(s.signer_key == signer["key"] for s in conv.signatures):
        raise Conflict("Vous avez déjà signé cette convention.", code="already_signed_signer")
    if not (signer.get("name") or "").strip():
        raise ValidationError(errors={"name": ["Indiquez le nom du signataire."]})
    sig = Signature(role=role, signer_key=signer["key"], signer_name=signer["name"].strip(), method=method,
                    signed_at=now, document_hash=conv.document_hash, signer_user_id=signer.get("user_id"),
                    ip=ip, user_agent=(user_agent or "")[:300] or None)
    conv.signatures.append(sig)
    events = [("convention.signed", {**conv.ids(), "role": role, "signature_id": sig.id})]
    if not conv.missing_roles():
        conv.state = S.SIGNED_BY_ALL
        conv.signed_by_all_at = now
        events.append(("convention.signed_by_all", {**conv.ids(), "document_hash": conv.document_hash}))
    else:
        conv.state = S.SIGNATURES_STARTED
    return events


def check_typed_name(expected: str, typed: str) -> bool:
    """A legal representative signs by typing their full name: compare without case, accents, extra spaces."""
    from common.validation import fold
    norm = lambda s: " ".join(fold(s or "").replace("-", " ").split())  # noqa: E731
    return bool(norm(typed)) and norm(expected) == norm(typed)
