"""The legal representatives' single-use links: issued at validation (and again on request), what they see
through one, and their signature by typing their full name. Only each token's SHA-256 is stored; the token is
e-mailed (notifications) after commit and reported to ``common.seams`` (a no-op in production)."""
from __future__ import annotations

import uuid

from common import seams
from common.errors import Conflict, Forbidden, ValidationError

from .. import views
from ..domain import convention as C
from ..domain import links
from ..domain import states as S
from ..domain.convention import LEGAL_REP_ROLE
from . import client_of, command, need_actor


def _representatives(conv) -> list:
    return (conv.frozen or conv.content()).get("school", {}).get("legal_representatives") or []


def issue_links(repo, conv, now, only_index=None) -> list:
    """Create one link per legal representative (in the current transaction); returns
    [(token, link_id, rep_index)] to send after commit (the token itself is never stored)."""
    out = []
    for i, _rep in enumerate(_representatives(conv)):
        if only_index is not None and i != only_index:
            continue
        token, link = links.new_link(conv.id, i, now)
        link_id = str(uuid.uuid4())
        repo.add_link(link_id, link)
        out.append((token, link_id, i))
    return out


def send_links(clients, conv, issued) -> int:
    """E-mail the issued links (after commit); how many notifications accepted."""
    reps = _representatives(conv)
    pupil_first = (conv.prefill.get("pupil") or {}).get("first_name")
    sent = 0
    for token, link_id, i in issued:
        seams.secret_handed_out("link", f"{conv.id}:{i}", token)
        rep = reps[i] if i < len(reps) else {}
        if clients.send_message("legal_rep_sign_link", {"email": rep.get("email"), "name": rep.get("name")},
                                {"token": token, "convention_id": conv.id, "pupil_first_name": pupil_first},
                                f"legal_rep_link:{link_id}"):
            sent += 1
    return sent


def resend_link(uow, clients, actor, convention_id, rep_index, now) -> dict:
    """The pupil or the school sends the link again (a new one: the previous stops working)."""
    actor = need_actor(actor)
    issued = []

    def op(conv, repo):
        party = C.check_can_view(conv, actor)
        if party not in ("pupil", "school"):
            raise Forbidden("Seuls l'élève et l'établissement peuvent renvoyer le lien.")
        if conv.state not in S.SIGNABLE:
            raise Conflict("La convention n'attend pas de signature.", code="not_signable")
        if conv.signature_for(LEGAL_REP_ROLE) is not None:
            raise Conflict("Un représentant légal a déjà signé.", code="already_signed_role")
        reps = conv.frozen["school"].get("legal_representatives") or []
        if rep_index is not None and not (isinstance(rep_index, int) and 0 <= rep_index < len(reps)):
            raise ValidationError(errors={"rep_index": ["Représentant légal inconnu."]})
        repo.revoke_links(conv.id, now, rep_index=rep_index)
        issued.extend(issue_links(repo, conv, now, only_index=rep_index))
        return []

    conv = command(uow, actor, convention_id, now, op)
    return {"convention_id": conv.id, "links_sent": send_links(clients, conv, issued), "links": len(issued)}


def _find_link(repo, token):
    if not isinstance(token, str) or not (20 <= len(token) <= 200):
        return None, None
    return repo.find_link(links.token_hash(token)) or (None, None)


def open_link(repo, token, *, for_update: bool = False):
    """(convention, link, link id) behind a usable token; NotFound, Locked or Conflict otherwise."""
    link, link_id = _find_link(repo, token)
    conv = repo.get(link.convention_id, for_update=for_update) if link else None
    if for_update and conv is not None:
        # links are written only under their convention's lock: read it again now that we hold it (the
        # failed attempts of a concurrent call are counted, not overwritten)
        link, link_id = _find_link(repo, token)
    links.check_usable(link, token, conv)
    return conv, link, link_id


def public_view(uow, token) -> dict:
    """What the legal representative sees through the link (no account)."""
    with uow.begin() as repo:
        conv, link, _ = open_link(repo, token)
    return views.public_view(conv, link.rep_index)


def public_sign(uow, token, full_name, document_hash, client, now) -> dict:
    """The legal representative signs by typing their full name (as registered by the school). A wrong name is
    counted (the link locks at the last attempt) in a transaction that commits; the error is raised after."""
    ip, ua = client_of(client)
    mismatch = None
    with uow.begin() as repo:
        conv, link, link_id = open_link(repo, token, for_update=True)
        rep = (conv.frozen["school"].get("legal_representatives") or [])[link.rep_index]
        if not C.check_typed_name(rep.get("name") or "", full_name or ""):
            mismatch = links.name_mismatch(link, now)
            repo.save_link_attempts(link_id, link)
        else:
            before = [s.id for s in conv.signatures]
            events = C.sign(conv, role=LEGAL_REP_ROLE,
                            signer={"key": f"legal_representative:{link.rep_index}", "name": rep.get("name")},
                            document_hash=document_hash, now=now, method="link", ip=ip, user_agent=ua)
            repo.save(conv, now, before=before)
            repo.mark_link_used(link_id, now)
            repo.revoke_links(conv.id, now)
            repo.emit(events)
    if mismatch is not None:
        raise mismatch
    return {"convention_id": conv.id, "state": conv.state, "signed_at": now.isoformat(),
            "document_hash": conv.document_hash}
