"""nameko entrypoints of the applications service: decode the arguments, call one use case (``use_cases``),
return. Rules live in ``domain``, SQL in ``repository`` and ``queries``, calls to other services in ``clients``."""
import logging

from nameko.timer import Timer

from common.db import Database
from common.events import event_handler
from common.rpc import Rpc
from common.service import PlatformService, rpc

from . import settings
from .clients import Clients
from .models import metadata
from .repository import OLDEST_DUE_SQL, UnitOfWork
from .use_cases import (anonymisation, answers, expiry, exports, offer_removal, reading, seats, statistics, submission,
                        transfers)

log = logging.getLogger(__name__)


class ConfigurableTimer(Timer):
    """nameko's timer, whose interval the container config may override (``APPLICATIONS_EXPIRY_INTERVAL``)."""

    def setup(self):
        value = self.container.config.get("APPLICATIONS_EXPIRY_INTERVAL")
        if value not in (None, ""):
            self.interval = float(value)
        super().setup()


timer = ConfigurableTimer.decorator


class ApplicationsService(PlatformService):
    name = "applications"
    db = Database("applications", metadata)
    # the expiry timer's lag, exported as stages_timer_lag_seconds (common.ops)
    ops_timers = {"expiry": OLDEST_DUE_SQL}
    offers = Rpc("offers")
    notifications = Rpc("notifications")
    identity = Rpc("identity", timeout=settings.IDENTITY_TIMEOUT)

    @property
    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.db)

    @property
    def clients(self) -> Clients:
        return Clients.of(self.offers, self.identity, self.notifications, settings.PROFILE_TTL)

    def _act(self, actor, application_id, action, **kw):
        return answers.transition(self.uow, self.clients, actor, application_id, action, self.clock.now(), **kw)

    # -- queries ------------------------------------------------------------------------------
    @rpc
    def get_application(self, application_id, actor=None):
        return reading.get_application(self.uow, application_id, actor, self.clock.now())

    @rpc
    def list_applications(self, actor, filters=None):
        return reading.list_applications(self.uow, actor, filters, self.clock.now())

    @rpc
    def export_csv(self, actor, filters=None):
        return exports.export_csv(self.uow, actor, filters, settings.EXPORT_LIMIT)

    @rpc
    def stats(self, actor, filters=None):
        return statistics.statistics(self.uow, actor, filters)

    @rpc
    def export_personal_data(self, actor):
        """Everything this service keeps about the caller (``GET /me/data``): see use_cases.exports."""
        return exports.export_personal_data(self.uow, actor)

    @rpc
    def class_summary(self, actor):
        return statistics.class_summary(self.uow, self.clients, actor)

    # -- commands -----------------------------------------------------------------------------
    @rpc
    def submit(self, actor, offer_id, form=None, idempotency_key=None):
        return submission.submit(self.uow, self.clients, actor, offer_id, form, idempotency_key, self.clock.now())

    @rpc
    def read(self, actor, application_id):
        return self._act(actor, application_id, "read")

    @rpc
    def accept(self, actor, application_id, message=None):
        return self._act(actor, application_id, "accept", message=message)

    @rpc
    def reject(self, actor, application_id, reason=None):
        return self._act(actor, application_id, "reject", reason=reason)

    @rpc
    def transfer(self, actor, application_id, email=None, message=None):
        return self._act(actor, application_id, "transfer", email=email, message=message)

    @rpc
    def confirm(self, actor, application_id):
        return self._act(actor, application_id, "confirm")

    @rpc
    def cancel(self, actor, application_id, reason=None):
        return self._act(actor, application_id, "cancel", reason=reason)

    @rpc
    def restore(self, actor, application_id):
        return self._act(actor, application_id, "restore")

    @rpc
    def nudge(self, actor, application_id):
        return self._act(actor, application_id, "nudge")

    @rpc
    def invite_to_reapply(self, actor, application_id):
        return self._act(actor, application_id, "invite_to_reapply")

    @rpc
    def bulk(self, actor, action, application_ids, reason=None, message=None):
        return answers.bulk(self.uow, self.clients, actor, action, application_ids, self.clock.now(),
                            reason=reason, message=message, max_bulk=settings.MAX_BULK)

    # -- the public transfer link -------------------------------------------------------------
    @rpc
    def get_transfer(self, token):
        return transfers.get_transfer(self.uow, token, self.clock.now())

    @rpc
    def decide_transfer(self, token, decision, reason=None, message=None):
        return transfers.decide_transfer(self.uow, token, decision, self.clock.now(), reason=reason,
                                         message=message)

    # -- the timer ----------------------------------------------------------------------------
    @timer(interval=settings.TIMER_SECONDS)
    def tick(self):
        try:
            self.run_timer()
        except Exception:
            log.exception("applications timer failed; next round at the next tick")

    @rpc
    def run_timer(self):
        """Expire what is overdue now and retry failed seat releases (also called by tests)."""
        expired = expiry.expire_due(self.uow, self.clock.now(), settings.EXPIRY_BATCH, settings.EXPIRY_WORKERS)
        reconciled = seats.reconcile(self.uow, self.clients, settings.RECONCILE_LIMIT, settings.RECONCILE_TIMEOUT)
        if expired:
            log.info("expired %s applications", expired, extra={"expired": expired})
        return {"expired": expired, "seats_reconciled": reconciled}

    # -- events -------------------------------------------------------------------------------
    @event_handler("identity", "user.anonymized")
    def on_user_anonymized(self, envelope):
        """Erase what we hold about an anonymised pupil (the application itself stays, for statistics)."""
        anonymisation.on_user_anonymized(self.uow, envelope)

    @event_handler("offers", "offer.removed")
    def on_offer_removed(self, envelope):
        """Cancel the applications in progress of a removed offer (the pupils are told by notifications)."""
        offer_removal.on_offer_removed(self.uow, self.clients, envelope, self.clock.now())
