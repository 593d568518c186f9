"""The sealed PDF (rendered by the worker processes of ``conventions.rendering``, stored and served again while
nothing it shows changed) and the school's signature image."""
from __future__ import annotations

import base64
import hashlib
import json

from common.errors import ValidationError

from .. import views
from ..domain import convention as C
from ..domain import images
from ..domain.convention import HEAD_ROLE
from ..domain.hashing import TEMPLATE_VERSION
from . import load, need_actor
from .legal_reps import open_link


def set_school_signature(uow, actor, school_uai, image_base64, now) -> dict:
    actor = need_actor(actor)
    images.check_school_signature_access(actor, school_uai, write=True)
    try:
        data = base64.b64decode(image_base64 or "", validate=True)
    except Exception:
        raise ValidationError(errors={"image": ["Image illisible."]})
    mime = images.check_signature_image(data)
    sha256 = hashlib.sha256(data).hexdigest()
    with uow.begin() as repo:
        repo.put_school_signature(school_uai, image=data, mime=mime, sha256=sha256, uploaded_by=actor["user_id"],
                                  uploaded_at=now)
    return {"school_uai": school_uai, "mime": mime, "size": len(data), "sha256": sha256,
            "uploaded_at": now.isoformat()}


def get_school_signature(uow, actor, school_uai) -> dict:
    actor = need_actor(actor)
    images.check_school_signature_access(actor, school_uai, write=False)
    with uow.begin() as repo:
        return views.school_signature_view(school_uai, repo.school_signature(school_uai))


def school_image(repo, conv) -> tuple[bytes, str] | None:
    """The school's image when the head signed with it (printed on the signature page)."""
    head = conv.signature_for(HEAD_ROLE)
    if head is None or head.method != "image":
        return None
    stored = repo.school_signature(conv.school_uai)
    return (stored["image"], stored["mime"]) if stored else None


def render_request(conv, image) -> tuple[dict, str]:
    """What the renderer is asked ({content, signatures, document_hash, draft, school_signature}) and its cache
    key (the request, the template version and the state)."""
    frozen = conv.frozen is not None
    req = {"content": conv.frozen if frozen else conv.content(), "signatures": [s.to_dict() for s in conv.signatures],
           "document_hash": conv.document_hash, "draft": not frozen,
           "school_signature": [base64.b64encode(image[0]).decode(), image[1]] if image else None}
    key = hashlib.sha256(json.dumps({**req, "template_version": TEMPLATE_VERSION, "state": conv.state},
                                    sort_keys=True, default=str).encode()).hexdigest()
    return req, key


def pdf(uow, renderer, conv, image, now) -> dict:
    """The sealed PDF: the stored one while nothing it shows changed, else rendered (no transaction is open
    meanwhile) and stored. The final document (signed by all) is thus rendered and sealed once."""
    req, key = render_request(conv, image)
    with uow.begin() as repo:
        stored = repo.stored_document(conv.id)
    if stored is not None and stored[0] == key:
        data = stored[1]
    else:
        data = renderer.render(req)
        with uow.begin() as repo:
            repo.put_document(conv.id, cache_key=key, pdf=data, sha256=hashlib.sha256(data).hexdigest(),
                              created_at=now)
    return views.pdf_view(conv, data)


def get_pdf(uow, renderer, actor, convention_id, now) -> dict:
    """The convention as a sealed PDF (a draft before validation; the final document once signed by all)."""
    actor = need_actor(actor)
    with uow.begin() as repo:
        conv = load(repo, convention_id)
        C.check_can_view(conv, actor)
        image = school_image(repo, conv)
    return pdf(uow, renderer, conv, image, now)


def public_pdf(uow, renderer, token, now) -> dict:
    """The document to sign, through the legal representative's link."""
    with uow.begin() as repo:
        conv, _, _ = open_link(repo, token)
        image = school_image(repo, conv)
    return pdf(uow, renderer, conv, image, now)


def export_personal_documents(uow, renderer, actor, now) -> dict:
    """The PDF of each convention the caller is a party to (``GET /me/data.zip``):
    {"documents": [{"convention_id", "filename", "content_base64", "final", "sha256"}]}."""
    actor = need_actor(actor)
    uid = str(actor["user_id"])
    with uow.read() as q:
        ids = q.personal_conventions(uid)
    with uow.begin() as repo:
        convs = repo.get_many(ids)
        images_ = {cid: school_image(repo, conv) for cid, conv in convs.items()}
    docs = []
    for cid, conv in convs.items():
        out = pdf(uow, renderer, conv, images_[cid], now)
        docs.append({"convention_id": cid, "filename": out["filename"], "content_base64": out["content_base64"],
                     "final": out["final"], "sha256": out["sha256"]})
    return {"documents": docs}
