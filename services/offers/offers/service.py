"""nameko entrypoints of the offers service. Keep them thin: rules live in
``offers.domain``, orchestration in ``offers.app``. RPCs are documented in
docs/rpc/offers.md."""
from nameko.timer import timer

from common import settings
from common.db import Database
from common.service import PlatformService, rpc

from . import app
from .models import metadata

TIMER_INTERVAL = settings.env_float("OFFERS_TIMER_INTERVAL", 86400.0)


class OffersService(PlatformService):
    name = "offers"
    db = Database("offers", metadata)

    # -- reference ------------------------------------------------------------------
    @rpc
    def list_sectors(self):
        return app.sectors_view()

    @rpc
    def find_places(self, q, limit=10):
        with self.db.session() as s:
            return app.find_places(s, q, limit)

    @rpc
    def get_calendar(self, school_year=None):
        with self.db.session() as s:
            return app.calendar_view(s, school_year, self.clock.now())

    @rpc
    def set_calendar_override(self, actor, school_year, dates):
        with self.db.uow() as uow:
            return app.set_calendar_override(uow, actor, school_year, dates, self.clock.now())

    # -- employer offers ------------------------------------------------------------
    @rpc
    def create_offer(self, actor, data, idempotency_key=None):
        with self.db.uow() as uow:
            return app.create_offer(uow, actor, data, idempotency_key, self.clock.now())

    @rpc
    def update_offer(self, actor, offer_id, data):
        with self.db.uow() as uow:
            return app.update_offer(uow, actor, offer_id, data, self.clock.now())

    @rpc
    def publish_offer(self, actor, offer_id):
        with self.db.uow() as uow:
            return app.publish_offer(uow, actor, offer_id, self.clock.now())

    @rpc
    def unpublish_offer(self, actor, offer_id):
        with self.db.uow() as uow:
            return app.unpublish_offer(uow, actor, offer_id, self.clock.now())

    @rpc
    def duplicate_offer(self, actor, offer_id, options=None, idempotency_key=None):
        with self.db.uow() as uow:
            return app.duplicate_offer(uow, actor, offer_id, options, idempotency_key, self.clock.now())

    @rpc
    def remove_offer(self, actor, offer_id):
        with self.db.uow() as uow:
            return app.remove_offer(uow, actor, offer_id, self.clock.now())

    @rpc
    def list_my_offers(self, actor, state=None, page=1, owner_id=None):
        with self.db.session() as s:
            return app.list_my_offers(s, actor, state, page, owner_id=owner_id)

    @rpc
    def export_personal_data(self, actor):
        """Everything this service keeps about the caller (``GET /me/data``): app.export_personal_data."""
        with self.db.session() as s:
            return app.export_personal_data(s, actor)

    # -- reading ----------------------------------------------------------------------
    @rpc
    def get_offer(self, offer_id):
        """For other services: the whole offer (eligibility and convention data)."""
        with self.db.session() as s:
            return app.get_offer_internal(s, offer_id)

    @rpc
    def get_offers(self, offer_ids):
        with self.db.session() as s:
            return app.get_offers_internal(s, offer_ids)

    @rpc
    def view_offer(self, actor, offer_id):
        """For the gateway: what this caller may see of an offer."""
        with self.db.session() as s:
            return app.view_offer(s, actor, offer_id, self.clock.now())

    @rpc
    def search(self, actor, params):
        return app.search(app.search_engines(self.db.engine.url), actor, params, self.clock.now())

    # -- seats ------------------------------------------------------------------------
    @rpc
    def reserve_seat(self, offer_id, application_id, week=None):
        with self.db.uow() as uow:
            return app.reserve_seat(uow, offer_id, application_id, week, self.clock.now())

    @rpc
    def release_seat(self, offer_id, application_id):
        with self.db.uow() as uow:
            return app.release_seat(uow, offer_id, application_id, self.clock.now())

    # -- partner API --------------------------------------------------------------------
    def _partner_hit(self, actor):
        with self.db.uow() as uow:
            app.partner_hit(uow, actor, self.clock.now())

    @rpc
    def partner_create(self, actor, data):
        self._partner_hit(actor)
        with self.db.uow() as uow:
            return app.partner_create(uow, actor, data, self.clock.now())

    @rpc
    def partner_update(self, actor, remote_id, data):
        self._partner_hit(actor)
        with self.db.uow() as uow:
            return app.partner_update(uow, actor, remote_id, data, self.clock.now())

    @rpc
    def partner_delete(self, actor, remote_id):
        self._partner_hit(actor)
        with self.db.uow() as uow:
            return app.partner_delete(uow, actor, remote_id, self.clock.now())

    @rpc
    def partner_list(self, actor, page=1):
        self._partner_hit(actor)
        with self.db.session() as s:
            return app.partner_list(s, actor, page)

    # -- time ---------------------------------------------------------------------------
    @rpc
    def move_past_offers(self):
        """What the daily timer does (callable by tests and operations)."""
        with self.db.uow() as uow:
            return {"moved": app.move_past_offers(uow, self.clock.now())}

    @timer(interval=TIMER_INTERVAL)
    def move_past_offers_timer(self):
        with self.db.uow() as uow:
            app.move_past_offers(uow, self.clock.now())

    # -- demo ---------------------------------------------------------------------------
    @rpc
    def seed_demo_offers(self, employer_id, count=5):
        with self.db.uow() as uow:
            return {"offer_ids": app.seed_demo_offers(uow, employer_id, int(count), self.clock.now())}
