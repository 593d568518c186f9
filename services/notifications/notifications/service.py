"""nameko entrypoints of the notifications service: decode, call one use case (``use_cases/``), return.
Rules live in ``domain/``, SQL in ``repository.py`` and ``queries.py``, RPCs to others in ``clients.py``."""

import logging

from nameko.timer import timer

from common.db import Database
from common.events import event_handler
from common.rpc import Rpc
from common.service import PlatformService, rpc

from . import queries, settings
from .channels.outbound import OutboundProvider
from .clients import Clients
from .models import metadata
from .repository import UnitOfWork
from .use_cases import admin, delivery, direct, inbox, intake, personal_data, reminders
from .use_cases import preferences as user_preferences

log = logging.getLogger("notifications")

SETTINGS = settings.load()  # timer intervals and RPC deadlines (read when the class is defined)


class NotificationsService(PlatformService):
    name = "notifications"
    # 8 kept + 8 overflow at most: the platform runs five services on one PostgreSQL (max_connections 100)
    db = Database("notifications", metadata, pool_size=8)
    # the dispatch timer's lag (intents to resolve, messages to send), exported as stages_timer_lag_seconds
    ops_timers = {"dispatch": queries.DISPATCH_LAG_SQL}
    identity = Rpc("identity", timeout=SETTINGS.rpc_timeout)
    applications = Rpc("applications", timeout=SETTINGS.rpc_timeout)
    offers = Rpc("offers", timeout=SETTINGS.rpc_timeout)
    outbound = OutboundProvider()

    @property
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db)

    def _clients(self) -> Clients:
        return Clients(self.identity, self.applications, self.offers)

    def _dispatch(self, event_id: str | None = None, limit: int = 50, send_limit: int = 100) -> dict:
        return delivery.dispatch(self.uow, self._clients(), self.outbound, self.clock.now(), event_id, limit,
                                 send_limit)

    # -- platform events: one handler per event type, all doing the same use case ------------------------
    def _on_event(self, envelope: dict) -> None:
        summary = intake.handle_event(self.uow, envelope, self.clock.now())
        if summary is None:
            return
        log.info("event %s %s: %s", envelope.get("type"), envelope.get("event_id"), summary)
        try:  # send at once what the event caused; a failure only delays (the retry timer resumes it)
            self._dispatch(str(envelope["event_id"]))
        except Exception:  # noqa: BLE001
            log.exception("immediate dispatch of %s failed; the retry timer will resume it", envelope["event_id"])

    @event_handler("identity", "user.activated")
    def on_user_activated(self, envelope):
        self._on_event(envelope)

    @event_handler("identity", "user.anonymized")
    def on_user_anonymized(self, envelope):
        self._on_event(envelope)

    @event_handler("identity", "staff.confirmed")
    def on_staff_confirmed(self, envelope):
        self._on_event(envelope)

    @event_handler("identity", "school.head_designated")
    def on_school_head_designated(self, envelope):
        self._on_event(envelope)

    @event_handler("identity", "pupil.imported")
    def on_pupil_imported(self, envelope):
        self._on_event(envelope)

    @event_handler("offers", "offer.published")
    def on_offer_published(self, envelope):
        self._on_event(envelope)

    @event_handler("offers", "offer.unpublished")
    def on_offer_unpublished(self, envelope):
        self._on_event(envelope)

    @event_handler("offers", "offer.full")
    def on_offer_full(self, envelope):
        self._on_event(envelope)

    @event_handler("offers", "offer.moderated")
    def on_offer_moderated(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.submitted")
    def on_application_submitted(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.read")
    def on_application_read(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.transferred")
    def on_application_transferred(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.accepted")
    def on_application_accepted(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.confirmed")
    def on_application_confirmed(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.rejected")
    def on_application_rejected(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.cancelled")
    def on_application_cancelled(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.restored")
    def on_application_restored(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.expired")
    def on_application_expired(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.nudged")
    def on_application_nudged(self, envelope):
        self._on_event(envelope)

    @event_handler("applications", "application.reapply_invited")
    def on_application_reapply_invited(self, envelope):
        self._on_event(envelope)

    @event_handler("conventions", "convention.created")
    def on_convention_created(self, envelope):
        self._on_event(envelope)

    @event_handler("conventions", "convention.completed_by_employer")
    def on_convention_completed_by_employer(self, envelope):
        self._on_event(envelope)

    @event_handler("conventions", "convention.validated")
    def on_convention_validated(self, envelope):
        self._on_event(envelope)

    @event_handler("conventions", "convention.reopened")
    def on_convention_reopened(self, envelope):
        self._on_event(envelope)

    @event_handler("conventions", "convention.signed")
    def on_convention_signed(self, envelope):
        self._on_event(envelope)

    @event_handler("conventions", "convention.signed_by_all")
    def on_convention_signed_by_all(self, envelope):
        self._on_event(envelope)

    @event_handler("conventions", "convention.cancelled")
    def on_convention_cancelled(self, envelope):
        self._on_event(envelope)

    # -- timers ---------------------------------------------------------------------------------------
    @timer(interval=SETTINGS.dispatch_interval)
    def retry_due(self):
        """Resolve and send what is due: new rows missed by an immediate dispatch, and retries."""
        self._dispatch(limit=200, send_limit=200)

    @timer(interval=SETTINGS.reminder_interval)
    def fire_reminders(self):
        fired = reminders.fire_due(self.uow, self.clock.now())
        if fired:
            log.info("%s reminders due", fired)

    # -- direct messages (other services) ---------------------------------------------------------------
    @rpc
    def send_message(self, template, to, context=None, key=None):
        return direct.send_message(self.uow, self.outbound.renderer, template, to, context, key, self.clock.now())

    # -- in-app inbox --------------------------------------------------------------------------------------
    @rpc
    def list_notifications(self, actor, unread_only=False, page=1, page_size=30):
        return inbox.list_items(self.uow, actor, unread_only, page, page_size)

    @rpc
    def unread_count(self, actor):
        return inbox.unread_count(self.uow, actor)

    @rpc
    def mark_read(self, actor, notification_id):
        return inbox.mark_read(self.uow, actor, notification_id, self.clock.now())

    @rpc
    def mark_all_read(self, actor):
        return inbox.mark_all_read(self.uow, actor, self.clock.now())

    # -- personal data ------------------------------------------------------------------------------------
    @rpc
    def export_personal_data(self, actor, addresses=None):
        return personal_data.export(self.uow, actor, addresses)

    # -- preferences -----------------------------------------------------------------------------------------
    @rpc
    def get_preferences(self, actor):
        return user_preferences.get(self.uow, actor)

    @rpc
    def set_preferences(self, actor, preferences):
        return user_preferences.set_(self.uow, actor, preferences, self.clock.now())

    # -- admin -------------------------------------------------------------------------------------------------
    @rpc
    def list_messages(self, actor, status="failed", page=1, page_size=50, event_id=None, user_id=None):
        return admin.list_messages(self.uow, actor, status, page, page_size, event_id, user_id)

    @rpc
    def retry_message(self, actor, message_id):
        return admin.retry_message(self.uow, actor, message_id, self.clock.now())

    @rpc
    def retry_failed_messages(self, actor, created_from, created_to, channel=None):
        return admin.retry_failed_messages(self.uow, actor, created_from, created_to, channel, self.clock.now())

    @rpc
    def dispatch_pending(self):
        """Run one pass of the timers now (operations; tests)."""
        return delivery.run_all_due(self.uow, self._clients(), self.outbound, self.clock.now())
