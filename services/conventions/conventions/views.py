"""The JSON answers of the conventions RPCs (shaping only: the rules are the domain's)."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib

from common.weeks import period_of_weeks

from .domain import states as S
from .domain.convention import (EMPLOYER_ROLE, HEAD_ROLE, LEGAL_REP_ROLE, PUPIL_ROLE, ROLE_LABELS,
                                SIGNATURE_ROLES, VALIDATING_FUNCTIONS, Convention, Signature, party_of)
from .domain.fields import EMPLOYER, OWNED, SCHOOL


def _iso(v):
    return v.isoformat() if isinstance(v, (dt.datetime, dt.date)) else v


def allowed_actions(conv: Convention, actor: dict | None) -> list[str]:
    party = party_of(conv, actor) if actor else None
    st = conv.state
    out = []
    if st == S.CANCELLED or party is None:
        return out
    if party == SCHOOL and actor.get("staff_confirmed") is not True:
        return out   # unconfirmed school staff can only read
    signable = st in S.SIGNABLE
    if party == EMPLOYER:
        if st in S.EMPLOYER_EDITABLE:
            out.append("update")
        if st in (S.DRAFT, S.STARTED_BY_EMPLOYER):
            out.append("complete")
        if signable and conv.signature_for(EMPLOYER_ROLE) is None:
            out.append("sign")
    elif party == SCHOOL:
        if st in S.SCHOOL_EDITABLE:
            out += ["update", "complete"]
        if actor.get("function") in VALIDATING_FUNCTIONS:
            if st in S.VALIDATABLE:
                out.append("validate")
            if st in S.REOPENABLE:
                out.append("reopen")
        if signable and actor.get("function") == "head" and conv.signature_for(HEAD_ROLE) is None:
            out.append("sign")
        if signable and conv.signature_for(LEGAL_REP_ROLE) is None:
            out.append("resend_link")
    elif party == "pupil":
        if signable and conv.signature_for(PUPIL_ROLE) is None:
            out.append("sign")
        if signable and conv.signature_for(LEGAL_REP_ROLE) is None:
            out.append("resend_link")
    return out


def signature_view(s: Signature, *, full: bool) -> dict:
    out = {"id": s.id, "role": s.role, "role_label": ROLE_LABELS.get(s.role), "signer_name": s.signer_name,
           "method": s.method, "signed_at": _iso(s.signed_at), "document_hash": s.document_hash}
    if full:
        out.update(ip=s.ip, user_agent=s.user_agent, signer_user_id=s.signer_user_id)
    return out


def _names(prefill: dict) -> dict:
    pupil = prefill.get("pupil") or {}
    return {"pupil_name": " ".join(x for x in (pupil.get("first_name"), pupil.get("last_name")) if x) or None,
            "organisation_name": (prefill.get("organisation") or {}).get("name"),
            "offer_title": (prefill.get("offer") or {}).get("title")}


def view(conv: Convention, actor: dict | None = None, *, summary: bool = False) -> dict:
    party = party_of(conv, actor) if actor else None
    out = {
        "id": conv.id, "application_id": conv.application_id, "offer_id": conv.offer_id,
        "organisation_id": conv.organisation_id, "school_uai": conv.school_uai,
        "pupil_user_id": conv.pupil_user_id, "employer_user_id": conv.employer_user_id, "grade": conv.grade,
        "weeks": conv.weeks, "period": conv.prefill.get("period") or period_of_weeks(conv.weeks),
        **_names(conv.prefill), "class_name": (conv.prefill.get("pupil") or {}).get("class_name"),
        "state": conv.state, "state_label": S.LABELS.get(conv.state),
        "document_hash": conv.document_hash,
        "employer_completed_at": _iso(conv.employer_completed_at),
        "school_completed_at": _iso(conv.school_completed_at), "validated_at": _iso(conv.validated_at),
        "signed_by_all_at": _iso(conv.signed_by_all_at), "cancelled_at": _iso(conv.cancelled_at),
        "signatures": [signature_view(s, full=(party == "admin")) for s in conv.signatures],
        "missing_signatures": conv.missing_roles() if conv.state in S.SIGNABLE or conv.state in S.FROZEN
        else list(SIGNATURE_ROLES),
        "allowed_actions": allowed_actions(conv, actor),
    }
    if not summary:
        out.update(prefill=conv.prefill, employer=conv.employer, school=conv.school,
                   editable_fields=sorted(OWNED[party]) if party in OWNED
                   and "update" in out["allowed_actions"] else [])
    return out


def public_view(conv: Convention, rep_index: int) -> dict:
    """What the legal representative sees through the link (the frozen content)."""
    content = conv.frozen
    rep = (content["school"].get("legal_representatives") or [])[rep_index]
    return {"convention_id": conv.id, "state": conv.state, "state_label": S.LABELS[conv.state],
            "document_hash": conv.document_hash, "grade": conv.grade,
            "pupil_name": _names(content["prefill"])["pupil_name"] or "",
            "organisation_name": _names(content["prefill"])["organisation_name"],
            "offer_title": _names(content["prefill"])["offer_title"],
            "period": content["prefill"].get("period"), "representative_name": rep.get("name"),
            "signatures": [{"role": s.role, "signed_at": s.signed_at.isoformat()} for s in conv.signatures]}


def pdf_view(conv: Convention, pdf: bytes) -> dict:
    return {"filename": f"convention-{conv.id}.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(pdf).decode("ascii"), "document_hash": conv.document_hash,
            "state": conv.state, "final": conv.state == S.SIGNED_BY_ALL, "size": len(pdf),
            "sha256": hashlib.sha256(pdf).hexdigest()}


def school_signature_view(school_uai: str, stored: dict | None) -> dict:
    if stored is None:
        return {"school_uai": school_uai, "registered": False}
    return {"school_uai": school_uai, "registered": True, "mime": stored["mime"], "size": len(stored["image"]),
            "sha256": stored["sha256"], "uploaded_at": _iso(stored["uploaded_at"])}
