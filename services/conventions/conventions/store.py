"""Rows <-> domain objects, and the JSON views the RPCs return."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select, update

from common.weeks import period_of_weeks

from .domain import states as S
from .domain.convention import ROLE_LABELS, SIGNATURE_ROLES, Convention, Signature, party_of
from .domain.fields import OWNED
from .models import conventions, signatures


def _iso(v):
    return v.isoformat() if isinstance(v, (dt.datetime, dt.date)) else v


def from_row(row, sig_rows) -> Convention:
    conv = Convention(
        id=row.id, application_id=row.application_id, grade=row.grade, school_uai=row.school_uai,
        pupil_user_id=row.pupil_user_id, employer_user_id=row.employer_user_id, offer_id=row.offer_id,
        organisation_id=row.organisation_id, weeks=list(row.weeks or []), prefill=dict(row.prefill or {}),
        employer=dict(row.employer_fields or {}), school=dict(row.school_fields or {}), state=row.state,
        employer_completed_at=row.employer_completed_at, school_completed_at=row.school_completed_at,
        validated_at=row.validated_at, signed_by_all_at=row.signed_by_all_at, cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason, frozen=row.frozen, document_hash=row.document_hash,
    )
    conv.signatures = [Signature(id=s.id, role=s.role, signer_key=s.signer_key, signer_name=s.signer_name,
                                 method=s.method, signed_at=s.signed_at, document_hash=s.document_hash,
                                 signer_user_id=s.signer_user_id, ip=s.ip, user_agent=s.user_agent)
                       for s in sig_rows]
    return conv


def load(session, convention_id: str, *, for_update: bool = False) -> Convention | None:
    q = select(conventions).where(conventions.c.id == str(convention_id))
    if for_update:
        q = q.with_for_update()
    row = session.execute(q).first()
    if row is None:
        return None
    sigs = session.execute(select(signatures).where(signatures.c.convention_id == row.id,
                                                    signatures.c.discarded_at.is_(None))
                           .order_by(signatures.c.signed_at)).all()
    return from_row(row, sigs)


def load_many(session, ids: list[str], *, for_update: bool = False) -> dict[str, Convention]:
    q = select(conventions).where(conventions.c.id.in_([str(i) for i in ids])).order_by(conventions.c.id)
    if for_update:
        q = q.with_for_update()
    rows = session.execute(q).all()
    sigs = session.execute(select(signatures).where(signatures.c.convention_id.in_([r.id for r in rows]),
                                                    signatures.c.discarded_at.is_(None))
                           .order_by(signatures.c.signed_at)).all() if rows else []
    by_conv: dict[str, list] = {}
    for s in sigs:
        by_conv.setdefault(s.convention_id, []).append(s)
    return {r.id: from_row(r, by_conv.get(r.id, [])) for r in rows}


def _columns(conv: Convention) -> dict:
    pupil = conv.prefill.get("pupil") or {}
    return dict(
        application_id=conv.application_id, offer_id=conv.offer_id, organisation_id=conv.organisation_id,
        school_uai=conv.school_uai, pupil_user_id=conv.pupil_user_id, employer_user_id=conv.employer_user_id,
        grade=conv.grade, weeks=conv.weeks, state=conv.state, prefill=conv.prefill,
        employer_fields=conv.employer, school_fields=conv.school, frozen=conv.frozen,
        document_hash=conv.document_hash, employer_completed_at=conv.employer_completed_at,
        school_completed_at=conv.school_completed_at, validated_at=conv.validated_at,
        signed_by_all_at=conv.signed_by_all_at, cancelled_at=conv.cancelled_at, cancel_reason=conv.cancel_reason,
        class_name=(pupil.get("class_name") or None),
        pupil_name=(" ".join(x for x in (pupil.get("last_name"), pupil.get("first_name")) if x) or None),
    )


def location_columns(school: dict | None, application: dict | None) -> dict:
    """The school's location codes (common.scopes), set once when the convention is created: from identity's
    school, else from the application (which stores them too)."""
    from common import scopes

    loc = scopes.location(school) if school else {}
    app = application or {}
    return {k: loc.get(k) or app.get(k) for k in ("academie_code", "departement_code", "region_code")}


def insert_convention(session, conv: Convention, now: dt.datetime, location: dict | None = None) -> None:
    session.execute(insert(conventions).values(id=conv.id, created_at=now, updated_at=now, **_columns(conv),
                                               **(location or {})))


def save(session, conv: Convention, now: dt.datetime, *, before: list[str] | None = None) -> None:
    """Write the convention back. ``before``: ids of the signatures in force when it was loaded;
    those no longer in ``conv.signatures`` are marked discarded, new ones inserted."""
    session.execute(update(conventions).where(conventions.c.id == conv.id)
                    .values(updated_at=now, **_columns(conv)))
    before = set(before or [])
    now_ids = {s.id for s in conv.signatures}
    gone = before - now_ids
    if gone:
        session.execute(update(signatures).where(signatures.c.id.in_(gone)).values(discarded_at=now))
    for s in conv.signatures:
        if s.id not in before:
            session.execute(insert(signatures).values(
                id=s.id, convention_id=conv.id, role=s.role, signer_key=s.signer_key,
                signer_user_id=s.signer_user_id, signer_name=s.signer_name[:200], method=s.method,
                signed_at=s.signed_at, ip=(s.ip or None) and s.ip[:64], user_agent=s.user_agent,
                document_hash=s.document_hash))


# -- views -----------------------------------------------------------------------------------

def allowed_actions(conv: Convention, actor: dict | None) -> list[str]:
    party = party_of(conv, actor) if actor else None
    st = conv.state
    out = []
    if st == S.CANCELLED or party is None:
        return out
    if party == "school" and actor.get("staff_confirmed") is not True:
        return out   # unconfirmed school staff can only read
    if party == "employer":
        if st in S.EMPLOYER_EDITABLE:
            out.append("update")
        if st in (S.DRAFT, S.STARTED_BY_EMPLOYER):
            out.append("complete")
        if st in S.SIGNABLE and conv.signature_for("employer") is None:
            out.append("sign")
    elif party == "school":
        if st in S.SCHOOL_EDITABLE:
            out += ["update", "complete"]
        if actor.get("function") in ("head", "admin_staff"):
            if st in S.VALIDATABLE:
                out.append("validate")
            if st in S.REOPENABLE:
                out.append("reopen")
        if st in S.SIGNABLE and actor.get("function") == "head" and conv.signature_for("head_of_school") is None:
            out.append("sign")
        if st in S.SIGNABLE and conv.signature_for("legal_representative") is None:
            out.append("resend_link")
    elif party == "pupil":
        if st in S.SIGNABLE and conv.signature_for("pupil") is None:
            out.append("sign")
        if st in S.SIGNABLE and conv.signature_for("legal_representative") is None:
            out.append("resend_link")
    return out


def signature_view(s: Signature, *, full: bool) -> dict:
    out = {"id": s.id, "role": s.role, "role_label": ROLE_LABELS.get(s.role), "signer_name": s.signer_name,
           "method": s.method, "signed_at": _iso(s.signed_at), "document_hash": s.document_hash}
    if full:
        out.update(ip=s.ip, user_agent=s.user_agent, signer_user_id=s.signer_user_id)
    return out


def view(conv: Convention, actor: dict | None = None, *, summary: bool = False) -> dict:
    party = party_of(conv, actor) if actor else None
    pupil = conv.prefill.get("pupil") or {}
    out = {
        "id": conv.id, "application_id": conv.application_id, "offer_id": conv.offer_id,
        "organisation_id": conv.organisation_id, "school_uai": conv.school_uai,
        "pupil_user_id": conv.pupil_user_id, "employer_user_id": conv.employer_user_id, "grade": conv.grade,
        "weeks": conv.weeks, "period": conv.prefill.get("period") or period_of_weeks(conv.weeks),
        "pupil_name": " ".join(x for x in (pupil.get("first_name"), pupil.get("last_name")) if x) or None,
        "class_name": pupil.get("class_name"),
        "organisation_name": (conv.prefill.get("organisation") or {}).get("name"),
        "offer_title": (conv.prefill.get("offer") or {}).get("title"),
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
                   editable_fields=sorted(OWNED[party]) if party in ("employer", "school")
                   and "update" in out["allowed_actions"] else [])
    return out


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _iso(value)


def personal_conventions(session, user_id: str) -> list[str]:
    """Ids of the conventions ``user_id`` is a party to: the pupil, the employer, or a signer (the head)."""
    c = conventions.c
    signed = select(signatures.c.convention_id).where(signatures.c.signer_user_id == user_id)
    return [r[0] for r in session.execute(select(c.id).where(
        (c.pupil_user_id == user_id) | (c.employer_user_id == user_id) | c.id.in_(signed))
        .order_by(c.created_at, c.id)).all()]


def personal_data(session, user_id: str) -> dict:
    """Everything the conventions service keeps about ``user_id`` (GET /me/data): each convention they are a
    party to in full (the pre-filled, employer's and school's fields, the frozen content, dates), its signatures
    (who, as what, when, how; with the IP address and user agent of the signatures this person gave), and their
    signature code's dates (the code itself is kept hashed)."""
    from .models import school_signatures, signature_codes

    ids = personal_conventions(session, user_id)
    out = []
    if ids:
        rows = {r.id: r for r in session.execute(select(conventions).where(conventions.c.id.in_(ids))).all()}
        sigs: dict[str, list] = {}
        for sg in session.execute(select(signatures).where(signatures.c.convention_id.in_(ids))
                                  .order_by(signatures.c.signed_at)).all():
            mine = sg.signer_user_id == user_id
            sigs.setdefault(sg.convention_id, []).append({
                "role": sg.role, "role_label": ROLE_LABELS.get(sg.role, sg.role), "signer_name": sg.signer_name,
                "signer_user_id": sg.signer_user_id, "method": sg.method, "signed_at": sg.signed_at,
                "document_hash": sg.document_hash, "discarded_at": sg.discarded_at, "mine": mine,
                "ip": sg.ip if mine else None, "user_agent": sg.user_agent if mine else None})
        for cid in ids:
            r = rows[cid]._mapping
            item = {k: r[k] for k in r.keys()}
            item["signatures"] = sigs.get(cid, [])
            item["state_label"] = S.LABELS.get(item["state"], item["state"])
            out.append(item)
    code = session.execute(select(signature_codes.c.issued_at, signature_codes.c.expires_at,
                                  signature_codes.c.attempts).where(signature_codes.c.user_id == user_id)).first()
    uploads = session.execute(select(school_signatures.c.school_uai, school_signatures.c.sha256,
                                     school_signatures.c.uploaded_at)
                              .where(school_signatures.c.uploaded_by == user_id)).all()
    return _plain({"agreements": out,
                   "signature_code": dict(code._mapping) if code else None,
                   "school_signature_uploads": [dict(u._mapping) for u in uploads]})
