"""Signatures of logged-in parties: the employer with its code, the head of school with the school's image or
a typed name (under the name of the signing account, as identity knows it), the pupil logged in. Several
conventions at once are signed all or nothing."""
from __future__ import annotations

from common.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError

from .. import views
from ..domain import convention as C
from ..domain import states as S
from ..domain.convention import EMPLOYER_ROLE, HEAD_ROLE
from . import client_of, need_actor
from .codes import check_code

MAX_ITEMS = 200
HEAD_METHODS = ("image", "typed_name")


def sign_items(uow, clients, actor, items, now, code=None, method=None, typed_name=None, client=None) -> list:
    actor = need_actor(actor)
    role = C.signature_role_of(actor)
    if not isinstance(items, list) or not items:
        raise ValidationError(errors={"conventions": ["Indiquez au moins une convention."]})
    if len(items) > MAX_ITEMS:
        raise ValidationError(errors={"conventions": [f"{MAX_ITEMS} conventions au plus à la fois."]})
    ip, ua = client_of(client)
    account = None
    if role == EMPLOYER_ROLE:
        check_code(uow, actor["user_id"], code, now)
        how = "code"
    elif role == HEAD_ROLE:
        if actor.get("function") != "head":
            raise Forbidden("Seul le chef d'établissement signe au nom de l'établissement.")
        how = method or "image"
        if how not in HEAD_METHODS:
            raise ValidationError(errors={"method": ["Choisissez « image » ou « typed_name »."]})
        if how == "typed_name" and not (typed_name or "").strip():
            raise ValidationError(errors={"typed_name": ["Saisissez votre nom pour signer."]})
        # the signature is recorded under the signing account's own name (identity), never another head's;
        # asked before any lock is taken
        account = clients.user(actor["user_id"])
    else:
        how = "session"
    ids = [str(it.get("convention_id")) for it in items if isinstance(it, dict)]
    if len(ids) != len(items) or len(set(ids)) != len(ids):
        raise ValidationError(errors={"conventions": ["Liste invalide (identifiants en double ou manquants)."]})
    errors = {}
    results = []
    with uow.begin() as repo:
        if how == "image" and repo.school_signature(actor.get("school_uai")) is None:
            raise Conflict("Enregistrez d'abord la signature de l'établissement, ou signez en saisissant "
                           "votre nom.", code="no_school_signature")
        loaded = repo.get_many(ids, for_update=True)
        for it in items:
            cid = str(it["convention_id"])
            conv = loaded.get(cid)
            try:
                if conv is None:
                    raise NotFound("Convention introuvable.")
                signer = C.signer_for_actor(conv, actor, role, account=account,
                                            typed_name=typed_name if how == "typed_name" else None)
                before = [s.id for s in conv.signatures]
                events = C.sign(conv, role=role, signer=signer, document_hash=it.get("document_hash"), now=now,
                                method=how, ip=ip, user_agent=ua)
                repo.save(conv, now, before=before)
                repo.emit(events)
                if conv.state == S.SIGNED_BY_ALL:
                    repo.revoke_links(cid, now)
                results.append(views.view(conv, actor))
            except DomainError as exc:
                errors[cid] = [exc.detail]
                last = exc
        if errors:
            if len(items) == 1:
                raise last
            raise Conflict("Aucune convention n'a été signée : certaines ne peuvent pas l'être.", errors=errors,
                           code="bulk_sign_refused")
    return results
