"""nameko entrypoints of the offers service: decode the arguments, call one use case, return.
Rules live in ``offers.domain``, use cases in ``offers.use_cases``, SQL in ``offers.repository`` (write)
and ``offers.queries`` (read). RPCs are documented in docs/rpc/offers.md."""
from nameko.timer import timer

from common.db import Database
from common.events import event_handler
from common.service import PlatformService, rpc

from . import settings
from .models import metadata
from .queries.search import reader_for
from .repository import UnitOfWork
from .use_cases import (demo, drafting, moderation, opening, partner, personal_data, publication, reading, reference,
                        seats)


class OffersService(PlatformService):
    name = "offers"
    db = Database("offers", metadata)

    @property
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db)

    # -- reference ------------------------------------------------------------------
    @rpc
    def list_sectors(self):
        return reference.sectors()

    @rpc
    def find_places(self, q, limit=10):
        return reference.find_places(self.uow, q, limit)

    @rpc
    def get_calendar(self, school_year=None):
        return reference.calendar_view(self.uow, school_year, self.clock.now())

    @rpc
    def set_calendar_override(self, actor, school_year, dates):
        return reference.set_calendar_override(self.uow, actor, school_year, dates, self.clock.now())

    # -- opening calendar (domain/opening.py) --------------------------------------------
    @rpc
    def get_opening_calendar(self, school_year=None):
        return opening.get_opening(self.uow, school_year, self.clock.now())

    @rpc
    def set_opening_calendar(self, actor, school_year, grades=None):
        return opening.set_opening(self.uow, actor, school_year, grades, self.clock.now())

    # -- employer offers ------------------------------------------------------------
    @rpc
    def create_offer(self, actor, data, idempotency_key=None):
        return drafting.create_offer(self.uow, actor, data, idempotency_key, self.clock.now())

    @rpc
    def update_offer(self, actor, offer_id, data):
        return drafting.update_offer(self.uow, actor, offer_id, data, self.clock.now())

    @rpc
    def duplicate_offer(self, actor, offer_id, options=None, idempotency_key=None):
        return drafting.duplicate_offer(self.uow, actor, offer_id, options, idempotency_key, self.clock.now())

    @rpc
    def publish_offer(self, actor, offer_id):
        return publication.publish_offer(self.uow, actor, offer_id, self.clock.now())

    @rpc
    def unpublish_offer(self, actor, offer_id):
        return publication.unpublish_offer(self.uow, actor, offer_id, self.clock.now())

    @rpc
    def remove_offer(self, actor, offer_id):
        return publication.remove_offer(self.uow, actor, offer_id, self.clock.now())

    @rpc
    def list_my_offers(self, actor, state=None, page=1, owner_id=None):
        return reading.list_my_offers(self.uow, actor, state, page, owner_id=owner_id)

    @rpc
    def export_personal_data(self, actor):
        """Everything this service keeps about the caller (``GET /me/data``)."""
        return reading.export_personal_data(self.uow, actor)

    # -- reading ----------------------------------------------------------------------
    @rpc
    def get_offer(self, offer_id):
        """For other services: the whole offer (eligibility and convention data)."""
        return reading.get_offer(self.uow, offer_id)

    @rpc
    def get_offers(self, offer_ids):
        return reading.get_offers(self.uow, offer_ids)

    @rpc
    def view_offer(self, actor, offer_id):
        """For the gateway: what this caller may see of an offer."""
        return reading.view_offer(self.uow, actor, offer_id, self.clock.now())

    @rpc
    def search(self, actor, params):
        return opening.search(self.uow, reader_for(self.db.engine.url), actor, params, self.clock.now())

    # -- reports and moderation (domain/moderation.py) ------------------------------------
    @rpc
    def report_offer(self, actor, offer_id, data, client_hash=None):
        return moderation.report_offer(self.uow, actor, offer_id, data, client_hash, self.clock.now())

    @rpc
    def moderation_queue(self, actor, page=1):
        return moderation.moderation_queue(self.uow, actor, page)

    @rpc
    def moderate_offer(self, actor, offer_id, data, idempotency_key=None):
        return moderation.decide(self.uow, actor, offer_id, data, idempotency_key, self.clock.now())

    @rpc
    def moderation_history(self, actor, offer_id):
        return moderation.moderation_history(self.uow, actor, offer_id)

    # -- seats ------------------------------------------------------------------------
    @rpc
    def reserve_seat(self, offer_id, application_id, week=None):
        return seats.reserve_seat(self.uow, offer_id, application_id, week, self.clock.now())

    @rpc
    def release_seat(self, offer_id, application_id):
        return seats.release_seat(self.uow, offer_id, application_id, self.clock.now())

    # -- partner API --------------------------------------------------------------------
    def _partner_hit(self, actor):
        partner.partner_hit(self.uow, actor, self.clock.now())   # its own transaction: a refused request still counts

    @rpc
    def partner_create(self, actor, data):
        self._partner_hit(actor)
        return partner.partner_create(self.uow, actor, data, self.clock.now())

    @rpc
    def partner_update(self, actor, remote_id, data):
        self._partner_hit(actor)
        return partner.partner_update(self.uow, actor, remote_id, data, self.clock.now())

    @rpc
    def partner_delete(self, actor, remote_id):
        self._partner_hit(actor)
        return partner.partner_delete(self.uow, actor, remote_id, self.clock.now())

    @rpc
    def partner_list(self, actor, page=1):
        self._partner_hit(actor)
        return partner.partner_list(self.uow, actor, page)

    # -- time ---------------------------------------------------------------------------
    @rpc
    def move_past_offers(self):
        """What the daily timer does (callable by tests and operations)."""
        return {"moved": publication.move_past_offers(self.uow, self.clock.now())}

    @timer(interval=settings.TIMER_INTERVAL)
    def move_past_offers_timer(self):
        publication.move_past_offers(self.uow, self.clock.now())

    # -- demo ---------------------------------------------------------------------------
    @rpc
    def seed_demo_offers(self, employer_id, count=5):
        """Demo offers; refused unless STAGES_DEMO=1 (``settings.demo_enabled``)."""
        return {"offer_ids": demo.seed_demo_offers(self.uow, employer_id, int(count), self.clock.now(),
                                                   enabled=settings.demo_enabled())}

    # -- events -----------------------------------------------------------------------------
    @event_handler("identity", "user.anonymized")
    def on_user_anonymized(self, envelope):
        """An anonymised author's offers lose the fields that identify a person (docs/privacy.md)."""
        personal_data.on_user_anonymized(self.uow, envelope, self.clock.now())
