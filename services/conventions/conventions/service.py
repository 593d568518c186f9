"""nameko entrypoints of the conventions service: each decodes its arguments and calls one use case
(``conventions.use_cases``). Rules live in ``conventions.domain``, SQL in ``repository``/``queries``, the RPCs
to other services in ``clients``, documents in ``documents`` and ``rendering``."""

from common.db import Database
from common.events import event_handler
from common.rpc import Rpc
from common.service import PlatformService, rpc

from .clients import Clients
from .models import metadata
from .rendering import RenderWorkers
from .repository import UnitOfWork
from .settings import PREFILL_TIMEOUT
from .use_cases import (codes, creation, documents, filling, legal_reps, personal_data, reading, rollover,
                        signing, validation)


class ConventionsService(PlatformService):
    name = "conventions"
    db = Database("conventions", metadata)
    applications = Rpc("applications", timeout=PREFILL_TIMEOUT)
    identity = Rpc("identity", timeout=PREFILL_TIMEOUT)
    offers = Rpc("offers", timeout=PREFILL_TIMEOUT)
    notifications = Rpc("notifications")
    renderer = RenderWorkers()

    @property
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db)

    @property
    def clients(self) -> Clients:
        return Clients(identity=self.identity, applications=self.applications, offers=self.offers,
                       notifications=self.notifications)

    # -- reading ----------------------------------------------------------------------------------------
    @rpc
    def get(self, actor, convention_id):
        return reading.get(self.uow, actor, convention_id)

    @rpc
    def list(self, actor, filters=None):
        """Role-scoped list. filters: state (str or list), class_name, missing_signature (a role or "any"),
        q (pupil name), page, per_page."""
        return reading.list_conventions(self.uow, actor, filters)

    @rpc
    def stats(self, actor, filters=None):
        """Counts by state in the actor's scope (common.scopes), by grade if asked."""
        return reading.stats(self.uow, actor, filters)

    @rpc
    def export_personal_data(self, actor):
        """Everything this service keeps about the caller (``GET /me/data``)."""
        return reading.export_personal_data(self.uow, actor)

    # -- filling and validation ---------------------------------------------------------------------------
    @rpc
    def update(self, actor, convention_id, fields):
        return filling.update(self.uow, actor, convention_id, fields, self.clock.now())

    @rpc
    def complete(self, actor, convention_id):
        return filling.complete(self.uow, actor, convention_id, self.clock.now())

    @rpc
    def validate(self, actor, convention_id):
        """Freeze the content, open the signatures and send a link to each legal representative."""
        return validation.validate(self.uow, self.clients, actor, convention_id, self.clock.now())

    @rpc
    def reopen(self, actor, convention_id, to="school"):
        return validation.reopen(self.uow, actor, convention_id, to, self.clock.now())

    # -- legal representatives' links -----------------------------------------------------------------------
    @rpc
    def resend_link(self, actor, convention_id, rep_index=None):
        """The pupil or the school sends the link again (a new one: the previous stops working)."""
        return legal_reps.resend_link(self.uow, self.clients, actor, convention_id, rep_index, self.clock.now())

    @rpc
    def public_view(self, token):
        """What the legal representative sees through the link (no account)."""
        return legal_reps.public_view(self.uow, token)

    @rpc
    def public_pdf(self, token):
        return documents.public_pdf(self.uow, self.renderer, token, self.clock.now())

    @rpc
    def public_sign(self, token, full_name, document_hash, client=None):
        """The legal representative signs by typing their full name (as registered by the school)."""
        return legal_reps.public_sign(self.uow, token, full_name, document_hash, client, self.clock.now())

    # -- signatures -------------------------------------------------------------------------------------
    @rpc
    def request_signature_code(self, actor, convention_ids=None):
        """Send the employer a 6-digit code (SMS, or email without a mobile phone), valid 10 minutes."""
        return codes.request_signature_code(self.uow, self.clients, actor, convention_ids, self.clock.now())

    @rpc
    def sign(self, actor, convention_id, document_hash, code=None, method=None, typed_name=None, client=None):
        """Sign one convention as the actor's party (employer: with the code; head of school: the school's
        image or a typed name; pupil: logged in)."""
        return signing.sign_items(self.uow, self.clients, actor,
                                  [{"convention_id": convention_id, "document_hash": document_hash}],
                                  self.clock.now(), code=code, method=method, typed_name=typed_name,
                                  client=client)[0]

    @rpc
    def sign_many(self, actor, items, code=None, method=None, typed_name=None, client=None):
        """Sign several conventions at once (all or nothing). items: [{convention_id, document_hash}]."""
        results = signing.sign_items(self.uow, self.clients, actor, items, self.clock.now(), code=code,
                                     method=method, typed_name=typed_name, client=client)
        return {"count": len(results), "items": results}

    # -- documents ---------------------------------------------------------------------------------------
    @rpc
    def set_school_signature(self, actor, school_uai, image_base64):
        return documents.set_school_signature(self.uow, actor, school_uai, image_base64, self.clock.now())

    @rpc
    def get_school_signature(self, actor, school_uai):
        return documents.get_school_signature(self.uow, actor, school_uai)

    @rpc
    def get_pdf(self, actor, convention_id):
        """The convention as a sealed PDF (a draft before validation; the final document once signed by all)."""
        return documents.get_pdf(self.uow, self.renderer, actor, convention_id, self.clock.now())

    @rpc
    def export_personal_documents(self, actor):
        """The PDF of each convention the caller is a party to (``GET /me/data.zip``)."""
        return documents.export_personal_documents(self.uow, self.renderer, actor, self.clock.now())

    # -- personal data ---------------------------------------------------------------------------------------
    @rpc
    def deletion_hold(self, user_id):
        """Whether agreements in progress hold the deletion of ``user_id``'s account, and until when (identity)."""
        return personal_data.deletion_hold(self.uow, user_id, self.clock.now())

    @rpc
    def rollover(self, actor, school_year, batch=200, max_batches=None):
        """End-of-year rollover (admin): agreements signed by all past their retention purged; resumable."""
        return rollover.run(self.uow, actor, school_year, self.clock.now(), batch=int(batch), max_batches=max_batches)

    @rpc
    def rollover_report(self, actor, school_year):
        return rollover.report(self.uow, actor, school_year)

    # -- events --------------------------------------------------------------------------------------------
    @event_handler("applications", "application.confirmed")
    def on_application_confirmed(self, envelope):
        creation.on_application_confirmed(self.uow, self.clients, envelope, self.clock.now())

    @event_handler("applications", "application.cancelled")
    def on_application_cancelled(self, envelope):
        creation.on_application_cancelled(self.uow, envelope, self.clock.now())

    @event_handler("identity", "user.anonymized")
    def on_user_anonymized(self, envelope):
        """Erase the anonymised person from their agreements not signed by all (docs/privacy.md)."""
        personal_data.on_user_anonymized(self.uow, envelope, self.clock.now())
