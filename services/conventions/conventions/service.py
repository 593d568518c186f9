"""nameko entrypoints of the conventions service. Keep them thin: rules live in
``conventions.domain``, documents in ``conventions.documents``, rows in ``conventions.store``."""

import base64
import hashlib
import json
import logging
import os
import threading
import uuid

from sqlalchemy import and_, exists, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from nameko.extensions import DependencyProvider

from common import scopes, settings
from common.db import Database
from common.errors import (Conflict, DomainError, Forbidden, NotFound, ServiceUnavailable, Unauthorized,
                           ValidationError)
from common.events import event_handler
from common.rpc import Rpc
from common.service import PlatformService, rpc

from . import prefill, store
from .domain import codes, images, links
from .domain import convention as C
from .domain import states as S
from .domain.convention import (EMPLOYER_ROLE, HEAD_ROLE, LEGAL_REP_ROLE, PUPIL_ROLE, SIGNATURE_ROLES)
from .models import (conventions, documents, legal_rep_links, metadata, school_signatures, signature_codes,
                     signatures)

log = logging.getLogger("conventions")

PREFILL_TIMEOUT = settings.env_float("CONVENTIONS_PREFILL_TIMEOUT", 5.0)
MAX_PAGE = 100

_sealer = None
# Test mode only (STAGES_CLOCK_CONTROL=1, as in the cross-service suite): the last secrets sent, so that
# tests can act as the SMS/e-mail recipient. Never filled otherwise.
TEST_SECRETS: dict = {"links": {}, "codes": {}}
_sealer_lock = threading.Lock()


def get_sealer():
    """The platform's sealing certificate: CONVENTIONS_SEAL_CERT/KEY in production, a self-signed one
    (created once under var/conventions, or CONVENTIONS_SEAL_DEV_DIR) in development and tests."""
    global _sealer
    if _sealer is None:
        with _sealer_lock:
            if _sealer is None:
                from .documents import Sealer
                _sealer = Sealer.from_env(os.environ.get("CONVENTIONS_SEAL_DEV_DIR")
                                          or settings.REPO_ROOT / "var" / "conventions")
    return _sealer


_pool = None


def get_render_pool():
    """Worker processes that render and seal (see conventions.rendering)."""
    global _pool
    if _pool is None:
        from .rendering import RenderPool
        sealer = get_sealer()  # creates the development certificate once, before any worker reads it
        env = dict(os.environ)
        if not (env.get("CONVENTIONS_SEAL_CERT") and env.get("CONVENTIONS_SEAL_KEY")):
            env["CONVENTIONS_SEAL_DEV_DIR"] = str(os.environ.get("CONVENTIONS_SEAL_DEV_DIR")
                                                  or settings.REPO_ROOT / "var" / "conventions")
        _pool = RenderPool(env=env, sealer_factory=lambda: sealer)
    return _pool


class RenderWorkers(DependencyProvider):
    """Starts the rendering worker processes with the service (CONVENTIONS_RENDER_PRESTART=0: on first use)."""

    def start(self):
        if settings.env_flag("CONVENTIONS_RENDER_PRESTART", True):
            get_render_pool().prestart()

    def get_dependency(self, worker_ctx):
        return get_render_pool()


def _need_actor(actor):
    if not isinstance(actor, dict) or not actor.get("role") or not actor.get("user_id"):
        raise Unauthorized()
    return actor


def _client(client):
    client = client or {}
    return (client.get("ip") or None), (client.get("user_agent") or None)


class ConventionsService(PlatformService):
    name = "conventions"
    db = Database("conventions", metadata)
    applications = Rpc("applications", timeout=PREFILL_TIMEOUT)
    identity = Rpc("identity", timeout=PREFILL_TIMEOUT)
    offers = Rpc("offers", timeout=PREFILL_TIMEOUT)
    notifications = Rpc("notifications")
    renderer = RenderWorkers()

    # -- helpers --------------------------------------------------------------------------------
    def _emit(self, uow, events):
        for event_type, data in events:
            uow.emit(event_type, data)

    def _load(self, uow_or_session, convention_id, for_update=False):
        session = getattr(uow_or_session, "session", uow_or_session)
        try:
            uuid.UUID(str(convention_id))
        except ValueError:
            raise NotFound("Convention introuvable.", code="convention_not_found")
        conv = store.load(session, convention_id, for_update=for_update)
        if conv is None:
            raise NotFound("Convention introuvable.", code="convention_not_found")
        return conv

    def _command(self, actor, convention_id, op):
        """Load for update, run a domain operation, save, emit its events, return the view."""
        actor = _need_actor(actor)
        now = self.clock.now()
        with self.db.uow() as uow:
            conv = self._load(uow, convention_id, for_update=True)
            before = [s.id for s in conv.signatures]
            events = op(conv, now, uow)
            store.save(uow.session, conv, now, before=before)
            self._emit(uow, events)
        return conv

    def _send(self, template, to, context, key) -> bool:
        try:
            self.notifications.send_message(template=template, to=to, context=context, key=key)
            return True
        except Exception as exc:  # the link/code exists: the user can ask again
            log.warning("could not send %s (%s): %s", template, key, exc)
            return False

    # -- reading ----------------------------------------------------------------------------------
    @rpc
    def get(self, actor, convention_id):
        actor = _need_actor(actor)
        with self.db.session() as s:
            conv = self._load(s, convention_id)
        C.check_can_view(conv, actor)
        return store.view(conv, actor)

    def _scope(self, actor):
        role = actor.get("role")
        c = conventions.c
        if role == "employer":
            return c.employer_user_id == actor["user_id"]
        if role == "school_staff":
            if not actor.get("school_uai"):
                raise Forbidden("Votre compte n'est rattaché à aucun établissement.")
            return c.school_uai == actor["school_uai"]
        if role == "pupil":
            return c.pupil_user_id == actor["user_id"]
        if role == "admin":
            return None
        raise Forbidden("Vous n'avez pas accès aux conventions.")

    @rpc
    def list(self, actor, filters=None):
        """Role-scoped list. filters: state (str or list), class_name, missing_signature (a role or "any"),
        q (pupil name), page, per_page."""
        actor = _need_actor(actor)
        filters = filters or {}
        c = conventions.c
        conds = [x for x in [self._scope(actor)] if x is not None]
        states = filters.get("state")
        if states:
            states = [states] if isinstance(states, str) else list(states)
            bad = [x for x in states if x not in S.STATES]
            if bad:
                raise ValidationError(errors={"state": [f"État inconnu : {', '.join(bad)}."]})
            conds.append(c.state.in_(states))
        if filters.get("class_name"):
            conds.append(c.class_name == filters["class_name"])
        if filters.get("q"):
            conds.append(c.pupil_name.ilike(f"%{filters['q'].strip()}%"))
        missing = filters.get("missing_signature")
        if missing:
            roles = list(SIGNATURE_ROLES) if missing == "any" else [missing]
            if any(r not in SIGNATURE_ROLES for r in roles):
                raise ValidationError(errors={"missing_signature": ["Rôle de signature inconnu."]})
            conds.append(c.state.in_([S.VALIDATED, S.SIGNATURES_STARTED]))
            signed = [exists().where(and_(signatures.c.convention_id == c.id, signatures.c.role == r,
                                          signatures.c.discarded_at.is_(None))) for r in roles]
            conds.append(or_(*[~e for e in signed]))
        page = max(1, int(filters.get("page") or 1))
        per_page = min(MAX_PAGE, max(1, int(filters.get("per_page") or 30)))
        where = and_(*conds) if conds else true()
        scope = self._scope(actor)
        with self.db.session() as s:
            total = s.execute(select(func.count()).select_from(conventions).where(where)).scalar()
            ids = [r.id for r in s.execute(select(c.id).where(where)
                                           .order_by(c.class_name.nulls_last(), c.pupil_name.nulls_last(), c.id)
                                           .offset((page - 1) * per_page).limit(per_page))]
            by_state = dict(s.execute(select(c.state, func.count()).where(scope if scope is not None else true())
                                      .group_by(c.state)).all())
            loaded = store.load_many(s, ids)
        return {"items": [store.view(loaded[i], actor, summary=True) for i in ids if i in loaded],
                "page": page, "per_page": per_page, "total": total, "counts": by_state}

    @rpc
    def stats(self, actor, filters=None):
        """Counts by state in the actor's scope (common.scopes: school staff their school, statisticians the
        scope of their account, admins national, each narrowed with school_uai/departement/academie/region
        inside it; employers their own conventions), by grade if asked."""
        actor = _need_actor(actor)
        filters = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
        unknown = set(filters) - set(scopes.PARAMS) - {"grade"}
        if unknown:
            raise ValidationError(errors={k: ["Filtre inconnu."] for k in sorted(unknown)})
        c = conventions.c
        role = actor.get("role")
        if role == "employer":
            conds = [c.employer_user_id == actor["user_id"]]
            scope = {"kind": "employer", "code": actor["user_id"]}
        else:
            sc = scopes.of_actor(actor, {k: v for k, v in filters.items() if k in scopes.PARAMS})
            conds = [getattr(c, col) == code for col, code in sc.filters()]
            scope = sc.as_dict()
        if filters.get("grade"):
            conds.append(c.grade == filters["grade"])
            scope["grade"] = filters["grade"]
        where = and_(*conds) if conds else true()
        by_class = None
        with self.db.session() as s:
            rows = s.execute(select(c.state, func.count()).where(where).group_by(c.state)).all()
            if role == "school_staff":  # per class: how many are at each step, and how many await signatures
                by_class = {}
                for cls, st, n in s.execute(select(c.class_name, c.state, func.count()).where(where)
                                            .group_by(c.class_name, c.state)).all():
                    by_class.setdefault(cls or "—", {})[st] = n
        counts = {st: 0 for st in S.STATES}
        counts.update({r[0]: r[1] for r in rows})
        return {"counts": counts, "total": sum(counts.values()), "by_class": by_class, "scope": scope}

    # -- filling ----------------------------------------------------------------------------------
    @rpc
    def update(self, actor, convention_id, fields):
        conv = self._command(actor, convention_id, lambda conv, now, uow: C.update(conv, actor, fields, now))
        return store.view(conv, actor)

    @rpc
    def complete(self, actor, convention_id):
        conv = self._command(actor, convention_id, lambda conv, now, uow: C.complete(conv, actor, now))
        return store.view(conv, actor)

    def _ask_identity(self, method, **kwargs):
        """An identity query needed to act (the signing or validating account, the school's heads): None when
        identity says it does not exist, ServiceUnavailable when it does not answer."""
        try:
            return getattr(self.identity, method)(**kwargs)
        except NotFound:
            return None
        except Exception as exc:
            log.warning("identity.%s failed: %s", method, exc)
            raise ServiceUnavailable("L'annuaire des comptes ne répond pas. Réessayez dans quelques instants.")

    @staticmethod
    def _designated_head(school, heads):
        """The school's designated head when identity tells one (the ``list_school_staff`` item marked
        ``designated_head``, see docs/school-staff.md); None otherwise."""
        return next((h for h in heads if isinstance(h, dict) and h.get("designated_head") is True), None)

    def _representative(self, actor):
        """The head of school the document prints as the school's representative (C.choose_representative)."""
        if actor.get("role") != "school_staff" or actor.get("function") not in C.VALIDATING_FUNCTIONS:
            return None  # refused by the domain anyway
        if actor.get("function") == "head":
            account = self._ask_identity("get_user", user_id=actor["user_id"])
            return C.choose_representative(actor, account, None)
        uai = actor.get("school_uai")
        school = self._ask_identity("get_school", uai=uai) if uai else None
        heads = ((self._ask_identity("list_school_staff", uai=uai, functions=["head"]) if uai else None)
                 or {}).get("items") or []
        return C.choose_representative(actor, None, heads, self._designated_head(school, heads))

    @rpc
    def validate(self, actor, convention_id):
        """Freeze the content, open the signatures and send a link to each legal representative."""
        issued = []
        representative = self._representative(_need_actor(actor))

        def op(conv, now, uow):
            events = C.validate(conv, actor, now, representative=representative)
            issued.extend(self._issue_links(uow, conv, now))
            return events

        conv = self._command(actor, convention_id, op)
        sent = self._send_links(conv, issued)
        return {**store.view(conv, actor), "links_sent": sent}

    @rpc
    def reopen(self, actor, convention_id, to="school"):
        def op(conv, now, uow):
            events = C.reopen(conv, actor, now, to=to)
            self._revoke_links(uow, conv.id, now)
            return events

        conv = self._command(actor, convention_id, op)
        return store.view(conv, actor)

    # -- legal representatives' links -----------------------------------------------------------------
    def _issue_links(self, uow, conv, now, only_index=None):
        """Create one link per legal representative (in the current transaction); returns
        [(token, link_id, rep_index)] to send after commit (the token itself is never stored)."""
        reps = (conv.frozen or conv.content()).get("school", {}).get("legal_representatives") or []
        out = []
        for i, _rep in enumerate(reps):
            if only_index is not None and i != only_index:
                continue
            token, link = links.new_link(conv.id, i, now)
            link_id = str(uuid.uuid4())
            uow.execute(legal_rep_links.insert().values(id=link_id, convention_id=conv.id, rep_index=i,
                                                        token_hash=link.token_hash, created_at=now))
            out.append((token, link_id, i))
        return out

    def _revoke_links(self, uow, convention_id, now, rep_index=None):
        q = update(legal_rep_links).where(legal_rep_links.c.convention_id == convention_id,
                                          legal_rep_links.c.revoked_at.is_(None),
                                          legal_rep_links.c.used_at.is_(None))
        if rep_index is not None:
            q = q.where(legal_rep_links.c.rep_index == rep_index)
        uow.execute(q.values(revoked_at=now))

    def _send_links(self, conv, issued) -> int:
        if settings.env_flag("STAGES_CLOCK_CONTROL"):
            for token, _link_id, i in issued:
                TEST_SECRETS["links"].setdefault(conv.id, {})[i] = token
        reps = (conv.frozen or conv.content()).get("school", {}).get("legal_representatives") or []
        pupil_first = (conv.prefill.get("pupil") or {}).get("first_name")
        sent = 0
        for token, link_id, i in issued:
            rep = reps[i] if i < len(reps) else {}
            if self._send("legal_rep_sign_link", {"email": rep.get("email"), "name": rep.get("name")},
                          {"token": token, "convention_id": conv.id, "pupil_first_name": pupil_first},
                          f"legal_rep_link:{link_id}"):
                sent += 1
        return sent

    @rpc
    def resend_link(self, actor, convention_id, rep_index=None):
        """The pupil or the school sends the link again (a new one: the previous stops working)."""
        actor = _need_actor(actor)
        issued = []

        def op(conv, now, uow):
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
            self._revoke_links(uow, conv.id, now, rep_index)
            issued.extend(self._issue_links(uow, conv, now, only_index=rep_index))
            return []

        conv = self._command(actor, convention_id, op)
        return {"convention_id": conv.id, "links_sent": self._send_links(conv, issued), "links": len(issued)}

    def _find_link(self, session, token):
        if not isinstance(token, str) or not (20 <= len(token) <= 200):
            return None
        row = session.execute(select(legal_rep_links).where(
            legal_rep_links.c.token_hash == links.token_hash(token))).first()
        if row is None:
            return None
        return links.RepresentativeLink(convention_id=row.convention_id, rep_index=row.rep_index,
                                        token_hash=row.token_hash, created_at=row.created_at,
                                        used_at=row.used_at, revoked_at=row.revoked_at,
                                        failed_attempts=row.failed_attempts, locked_at=row.locked_at), row.id

    def _public_conv(self, session, token, for_update=False):
        found = self._find_link(session, token)
        link, link_id = found if found else (None, None)
        conv = store.load(session, link.convention_id, for_update=for_update) if link else None
        if for_update and conv is not None:
            # links are written only under their convention's lock: read it again now that we hold it (the
            # failed attempts of a concurrent call are counted, not overwritten)
            found = self._find_link(session, token)
            link, link_id = found if found else (None, None)
        links.check_usable(link, token, conv)
        return conv, link, link_id

    @rpc
    def public_view(self, token):
        """What the legal representative sees through the link (no account)."""
        with self.db.session() as s:
            conv, link, _ = self._public_conv(s, token)
        content = conv.frozen
        rep = (content["school"].get("legal_representatives") or [])[link.rep_index]
        pupil = content["prefill"].get("pupil") or {}
        return {"convention_id": conv.id, "state": conv.state, "state_label": S.LABELS[conv.state],
                "document_hash": conv.document_hash, "grade": conv.grade,
                "pupil_name": " ".join(x for x in (pupil.get("first_name"), pupil.get("last_name")) if x),
                "organisation_name": (content["prefill"].get("organisation") or {}).get("name"),
                "offer_title": (content["prefill"].get("offer") or {}).get("title"),
                "period": content["prefill"].get("period"), "representative_name": rep.get("name"),
                "signatures": [{"role": s.role, "signed_at": s.signed_at.isoformat()} for s in conv.signatures]}

    @rpc
    def public_pdf(self, token):
        with self.db.session() as s:
            conv, _, _ = self._public_conv(s, token)
            image = self._school_image(s, conv)
        return self._pdf(conv, image)

    @rpc
    def public_sign(self, token, full_name, document_hash, client=None):
        """The legal representative signs by typing their full name (as registered by the school)."""
        now = self.clock.now()
        ip, ua = _client(client)
        mismatch = None
        with self.db.uow() as uow:
            conv, link, link_id = self._public_conv(uow.session, token, for_update=True)
            rep = (conv.frozen["school"].get("legal_representatives") or [])[link.rep_index]
            if not C.check_typed_name(rep.get("name") or "", full_name or ""):
                # counted (the link locked at the last attempt) in this transaction, which commits; raised after
                mismatch = links.name_mismatch(link, now)
                uow.execute(update(legal_rep_links).where(legal_rep_links.c.id == link_id)
                            .values(failed_attempts=link.failed_attempts, locked_at=link.locked_at))
            else:
                before = [s.id for s in conv.signatures]
                events = C.sign(conv, role=LEGAL_REP_ROLE,
                                signer={"key": f"legal_representative:{link.rep_index}", "name": rep.get("name")},
                                document_hash=document_hash, now=now, method="link", ip=ip, user_agent=ua)
                store.save(uow.session, conv, now, before=before)
                uow.execute(update(legal_rep_links).where(legal_rep_links.c.id == link_id).values(used_at=now))
                uow.execute(update(legal_rep_links).where(legal_rep_links.c.convention_id == conv.id,
                                                          legal_rep_links.c.id != link_id,
                                                          legal_rep_links.c.revoked_at.is_(None))
                            .values(revoked_at=now))
                self._emit(uow, events)
        if mismatch is not None:
            raise mismatch
        return {"convention_id": conv.id, "state": conv.state, "signed_at": now.isoformat(),
                "document_hash": conv.document_hash}

    # -- employer's code ------------------------------------------------------------------------
    @rpc
    def request_signature_code(self, actor, convention_ids=None):
        """Send the employer a 6-digit code (SMS, or email without a mobile phone), valid 10 minutes."""
        actor = _need_actor(actor)
        if actor.get("role") != "employer":
            raise Forbidden("Seul l'organisme d'accueil signe avec un code.")
        now = self.clock.now()
        uid = actor["user_id"]
        with self.db.uow() as uow:
            row = uow.execute(select(signature_codes).where(signature_codes.c.user_id == uid)
                              .with_for_update()).first()
            previous = codes.SignatureCode(row.user_id, row.salt, row.code_hash, row.issued_at, row.expires_at,
                                           row.attempts) if row else None
            code, record = codes.issue(uid, now, previous)
            values = dict(salt=record.salt, code_hash=record.code_hash, issued_at=record.issued_at,
                          expires_at=record.expires_at, attempts=0)
            uow.execute(pg_insert(signature_codes).values(user_id=uid, **values)
                        .on_conflict_do_update(index_elements=["user_id"], set_=values))
        if settings.env_flag("STAGES_CLOCK_CONTROL"):
            TEST_SECRETS["codes"][uid] = code
        ok = self._send("signature_code", {"user_id": uid},
                        {"code": code, "convention_ids": ",".join(convention_ids or [])},
                        f"signature_code:{uid}:{now.isoformat()}")
        if not ok:
            with self.db.uow() as uow:
                uow.execute(signature_codes.delete().where(signature_codes.c.user_id == uid,
                                                           signature_codes.c.issued_at == now))
            raise ServiceUnavailable("Le code n'a pas pu être envoyé. Réessayez dans quelques instants.")
        return {"sent": True, "expires_at": record.expires_at.isoformat(), "max_attempts": codes.MAX_ATTEMPTS}

    def _check_code(self, uid, code, now):
        """Verify the employer's code; attempts are recorded even when it is wrong."""
        error = None
        with self.db.uow() as uow:
            row = uow.execute(select(signature_codes).where(signature_codes.c.user_id == uid)
                              .with_for_update()).first()
            record = codes.SignatureCode(row.user_id, row.salt, row.code_hash, row.issued_at, row.expires_at,
                                         row.attempts) if row else None
            try:
                codes.verify(record, code, now)
            except DomainError as exc:
                error = exc
            if record is not None and row.attempts != record.attempts:
                uow.execute(update(signature_codes).where(signature_codes.c.user_id == uid)
                            .values(attempts=record.attempts))
        if error is not None:
            raise error

    # -- signing ----------------------------------------------------------------------------------
    def _role_for(self, actor):
        role = actor.get("role")
        if role == "employer":
            return EMPLOYER_ROLE
        if role == "school_staff":
            return HEAD_ROLE
        if role == "pupil":
            return PUPIL_ROLE
        raise Forbidden("Vous ne pouvez pas signer de convention.")

    def _sign_items(self, actor, items, code=None, method=None, typed_name=None, client=None):
        actor = _need_actor(actor)
        role = self._role_for(actor)
        if not isinstance(items, list) or not items:
            raise ValidationError(errors={"conventions": ["Indiquez au moins une convention."]})
        if len(items) > 200:
            raise ValidationError(errors={"conventions": ["200 conventions au plus à la fois."]})
        now = self.clock.now()
        ip, ua = _client(client)
        account = None
        if role == EMPLOYER_ROLE:
            self._check_code(actor["user_id"], code, now)
            how = "code"
        elif role == HEAD_ROLE:
            if actor.get("function") != "head":
                raise Forbidden("Seul le chef d'établissement signe au nom de l'établissement.")
            how = method or "image"
            if how not in ("image", "typed_name"):
                raise ValidationError(errors={"method": ["Choisissez « image » ou « typed_name »."]})
            if how == "typed_name" and not (typed_name or "").strip():
                raise ValidationError(errors={"typed_name": ["Saisissez votre nom pour signer."]})
            # the signature is recorded under the signing account's own name (identity), never another head's
            account = self._ask_identity("get_user", user_id=actor["user_id"])
        else:
            how = "session"
        ids = [str(it.get("convention_id")) for it in items if isinstance(it, dict)]
        if len(ids) != len(items) or len(set(ids)) != len(ids):
            raise ValidationError(errors={"conventions": ["Liste invalide (identifiants en double ou manquants)."]})
        errors = {}
        results = []
        with self.db.uow() as uow:
            if how == "image":
                has_image = uow.execute(select(school_signatures.c.school_uai).where(
                    school_signatures.c.school_uai == actor.get("school_uai"))).first()
                if not has_image:
                    raise Conflict("Enregistrez d'abord la signature de l'établissement, ou signez en saisissant "
                                   "votre nom.", code="no_school_signature")
            loaded = store.load_many(uow.session, ids, for_update=True)
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
                    store.save(uow.session, conv, now, before=before)
                    self._emit(uow, events)
                    if conv.state == S.SIGNED_BY_ALL:
                        uow.execute(update(legal_rep_links).where(legal_rep_links.c.convention_id == cid,
                                                                  legal_rep_links.c.revoked_at.is_(None),
                                                                  legal_rep_links.c.used_at.is_(None))
                                    .values(revoked_at=now))
                    results.append(store.view(conv, actor))
                except DomainError as exc:
                    errors[cid] = [exc.detail]
                    last = exc
            if errors:
                if len(items) == 1:
                    raise last
                raise Conflict("Aucune convention n'a été signée : certaines ne peuvent pas l'être.", errors=errors,
                               code="bulk_sign_refused")
        return results

    @rpc
    def sign(self, actor, convention_id, document_hash, code=None, method=None, typed_name=None, client=None):
        """Sign one convention as the actor's party (employer: with the code; head of school: the school's
        image or a typed name; pupil: logged in)."""
        return self._sign_items(actor, [{"convention_id": convention_id, "document_hash": document_hash}],
                                code=code, method=method, typed_name=typed_name, client=client)[0]

    @rpc
    def sign_many(self, actor, items, code=None, method=None, typed_name=None, client=None):
        """Sign several conventions at once (all or nothing). items: [{convention_id, document_hash}]."""
        results = self._sign_items(actor, items, code=code, method=method, typed_name=typed_name, client=client)
        return {"count": len(results), "items": results}

    # -- the school's signature image ---------------------------------------------------------------
    @rpc
    def set_school_signature(self, actor, school_uai, image_base64):
        actor = _need_actor(actor)
        if actor.get("role") != "school_staff" or actor.get("school_uai") != school_uai:
            raise Forbidden("Seul le personnel de l'établissement peut enregistrer sa signature.")
        if actor.get("function") not in ("head", "admin_staff"):
            raise Forbidden("Seuls le chef d'établissement et le personnel administratif peuvent enregistrer la "
                            "signature de l'établissement.")
        C.require_confirmed_staff(actor)
        try:
            data = base64.b64decode(image_base64 or "", validate=True)
        except Exception:
            raise ValidationError(errors={"image": ["Image illisible."]})
        mime = images.check_signature_image(data)
        now = self.clock.now()
        values = dict(image=data, mime=mime, sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor["user_id"],
                      uploaded_at=now)
        with self.db.uow() as uow:
            uow.execute(pg_insert(school_signatures).values(school_uai=school_uai, **values)
                        .on_conflict_do_update(index_elements=["school_uai"], set_=values))
        return {"school_uai": school_uai, "mime": mime, "size": len(data), "sha256": values["sha256"],
                "uploaded_at": now.isoformat()}

    @rpc
    def get_school_signature(self, actor, school_uai):
        actor = _need_actor(actor)
        if actor.get("role") != "school_staff" or actor.get("school_uai") != school_uai:
            raise Forbidden()
        with self.db.session() as s:
            row = s.execute(select(school_signatures).where(school_signatures.c.school_uai == school_uai)).first()
        if row is None:
            return {"school_uai": school_uai, "registered": False}
        return {"school_uai": school_uai, "registered": True, "mime": row.mime, "size": len(row.image),
                "sha256": row.sha256, "uploaded_at": row.uploaded_at.isoformat()}

    # -- the document ---------------------------------------------------------------------------------
    def _school_image(self, session, conv):
        head = conv.signature_for(HEAD_ROLE)
        if head is None or head.method != "image":
            return None
        row = session.execute(select(school_signatures.c.image, school_signatures.c.mime).where(
            school_signatures.c.school_uai == conv.school_uai)).first()
        return (bytes(row.image), row.mime) if row else None

    def _pdf(self, conv, image):
        """The sealed PDF: the stored one while nothing it shows changed, else rendered (worker processes)
        and stored. The final document (signed by all) is thus rendered and sealed once."""
        from .documents import TEMPLATE_VERSION
        frozen = conv.frozen is not None
        content = conv.frozen if frozen else conv.content()
        sigs = [s.to_dict() for s in conv.signatures]
        req = {"content": content, "signatures": sigs, "document_hash": conv.document_hash, "draft": not frozen,
               "school_signature": [base64.b64encode(image[0]).decode(), image[1]] if image else None}
        key = hashlib.sha256(json.dumps({**req, "template_version": TEMPLATE_VERSION, "state": conv.state},
                                        sort_keys=True, default=str).encode()).hexdigest()
        with self.db.session() as s:
            row = s.execute(select(documents.c.cache_key, documents.c.pdf).where(
                documents.c.convention_id == conv.id)).first()
        if row is not None and row.cache_key == key:
            pdf = bytes(row.pdf)
        else:
            pdf = self.renderer.render(req)
            values = dict(cache_key=key, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), created_at=self.clock.now())
            with self.db.uow() as uow:
                uow.execute(pg_insert(documents).values(convention_id=conv.id, **values)
                            .on_conflict_do_update(index_elements=["convention_id"], set_=values))
        return {"filename": f"convention-{conv.id}.pdf", "content_type": "application/pdf",
                "content_base64": base64.b64encode(pdf).decode("ascii"), "document_hash": conv.document_hash,
                "state": conv.state, "final": conv.state == S.SIGNED_BY_ALL, "size": len(pdf),
                "sha256": hashlib.sha256(pdf).hexdigest()}

    @rpc
    def get_pdf(self, actor, convention_id):
        """The convention as a sealed PDF (a draft before validation; the final document once signed by all)."""
        actor = _need_actor(actor)
        with self.db.session() as s:
            conv = self._load(s, convention_id)
            C.check_can_view(conv, actor)
            image = self._school_image(s, conv)
        return self._pdf(conv, image)

    @rpc
    def export_personal_data(self, actor):
        """Everything this service keeps about the caller (``GET /me/data``): store.personal_data."""
        actor = _need_actor(actor)
        with self.db.session() as s:
            return store.personal_data(s, str(actor["user_id"]))

    @rpc
    def export_personal_documents(self, actor):
        """The PDF of each convention the caller is a party to (``GET /me/data.zip``):
        {"documents": [{"convention_id", "filename", "content_base64", "final", "sha256"}]}."""
        actor = _need_actor(actor)
        uid = str(actor["user_id"])
        with self.db.session() as s:
            convs = store.load_many(s, store.personal_conventions(s, uid))
            images = {cid: self._school_image(s, conv) for cid, conv in convs.items()}
        docs = []
        for cid, conv in convs.items():
            pdf = self._pdf(conv, images[cid])
            docs.append({"convention_id": cid, "filename": pdf["filename"], "content_base64": pdf["content_base64"],
                         "final": pdf["final"], "sha256": pdf["sha256"]})
        return {"documents": docs}

    @rpc
    def test_last_secrets(self, convention_id=None, user_id=None):
        """Test mode only (STAGES_CLOCK_CONTROL=1): the last link tokens sent for a convention
        ({rep_index: token}) and the last code sent to an employer."""
        if not settings.env_flag("STAGES_CLOCK_CONTROL"):
            raise Forbidden("Réservé aux tests.")
        return {"links": {str(k): v for k, v in TEST_SECRETS["links"].get(str(convention_id), {}).items()},
                "code": TEST_SECRETS["codes"].get(str(user_id))}

    # -- events ------------------------------------------------------------------------------------
    def _fetch(self, proxy_name, method, **kwargs):
        """An enrichment RPC: None when it failed for a reason other than a timeout (the convention is
        created anyway, the parties complete what is missing); a timeout requeues the event."""
        from common.rpc import RpcTimeout
        try:
            return getattr(getattr(self, proxy_name), method)(**kwargs)
        except RpcTimeout:
            raise RuntimeError(f"{proxy_name}.{method} timed out: retry the event later")
        except Exception as exc:
            log.warning("prefill: %s.%s failed: %s", proxy_name, method, exc)
            return None

    @event_handler("applications", "application.confirmed")
    def on_application_confirmed(self, envelope):
        data = envelope["data"]
        application_id = str(data["application_id"])
        with self.db.session() as s:  # cheap check before the RPCs (the inbox decides below)
            if s.execute(select(conventions.c.id).where(conventions.c.application_id == application_id)).first():
                with self.db.uow() as uow:
                    uow.claim(envelope, "conventions.on_application_confirmed")
                return
        application = self._fetch("applications", "get_application", application_id=application_id)
        pupil_id = data.get("pupil_id") or (application or {}).get("pupil_id")
        school_uai = data.get("school_uai") or (application or {}).get("school_uai")
        pupil = self._fetch("identity", "get_user", user_id=pupil_id) if pupil_id else None
        school = self._fetch("identity", "get_school", uai=school_uai) if school_uai else None
        heads = self._fetch("identity", "list_school_staff", uai=school_uai, functions=["head"]) \
            if school_uai else None
        offer_id = data.get("offer_id") or (application or {}).get("offer_id")
        offer = self._fetch("offers", "get_offer", offer_id=offer_id) if offer_id else None
        head_items = (heads or {}).get("items") or []
        # the designated head, or the only one: with several heads nobody is guessed (the validating head is
        # printed, see validate)
        conv = prefill.build(data, application, pupil, school, offer,
                             head=C.choose_representative(None, None, head_items,
                                                          self._designated_head(school, head_items)))
        now = self.clock.now()
        with self.db.uow() as uow:
            if not uow.claim(envelope, "conventions.on_application_confirmed"):
                return
            done = uow.execute(pg_insert(conventions).values(
                id=conv.id, created_at=now, updated_at=now, **store._columns(conv),
                **store.location_columns(school, application))
                .on_conflict_do_nothing(index_elements=["application_id"]).returning(conventions.c.id)).first()
            if done is None:
                return
            uow.emit("convention.created", {
                "convention_id": conv.id, "application_id": conv.application_id, "offer_id": conv.offer_id,
                "organisation_id": conv.organisation_id, "school_uai": conv.school_uai,
                "pupil_user_id": conv.pupil_user_id, "employer_user_id": conv.employer_user_id,
                "grade": conv.grade, "weeks": conv.weeks})
        log.info("convention %s created for application %s", conv.id, application_id)

    @event_handler("applications", "application.cancelled")
    def on_application_cancelled(self, envelope):
        data = envelope["data"]
        now = self.clock.now()
        with self.db.uow() as uow:
            if not uow.claim(envelope, "conventions.on_application_cancelled"):
                return
            row = uow.execute(select(conventions.c.id).where(
                conventions.c.application_id == str(data["application_id"]))).first()
            if row is None:
                return
            conv = store.load(uow.session, row.id, for_update=True)
            events = C.cancel(conv, now, reason=data.get("state") or "application_cancelled")
            if not events:
                return
            store.save(uow.session, conv, now, before=[s.id for s in conv.signatures])
            uow.execute(update(legal_rep_links).where(legal_rep_links.c.convention_id == conv.id,
                                                      legal_rep_links.c.revoked_at.is_(None))
                        .values(revoked_at=now))
            self._emit(uow, events)
