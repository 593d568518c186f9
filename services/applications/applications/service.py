"""nameko entrypoints of the applications service. Keep them thin: rules live in
``applications.domain``, use cases in ``applications.core``."""
import logging

from nameko.timer import Timer
from sqlalchemy import update

from common import settings
from common.db import Database
from common.events import event_handler
from common.rpc import Rpc
from common.service import PlatformService, rpc

from .core import Core
from .models import applications as A
from .models import metadata

log = logging.getLogger(__name__)

# How often the timer expires overdue applications (seconds). A deadline is never passed by more.
TIMER_SECONDS = settings.env_float("APPLICATIONS_EXPIRY_INTERVAL", 60.0)


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
    ops_timers = {"expiry": "SELECT min(due_at) FROM application_deadlines WHERE due_at <= :now"}
    offers = Rpc("offers")
    notifications = Rpc("notifications")
    identity = Rpc("identity", timeout=settings.env_float("APPLICATIONS_IDENTITY_TIMEOUT", 3.0))

    def _core(self) -> Core:
        return Core(self.db, self.clock.now(), offers=self.offers, notifications=self.notifications,
                    identity=self.identity)

    # -- queries ------------------------------------------------------------------------------
    @rpc
    def get_application(self, application_id, actor=None):
        return self._core().get_application(application_id, actor)

    @rpc
    def list_applications(self, actor, filters=None):
        return self._core().list_applications(actor, filters)

    @rpc
    def export_csv(self, actor, filters=None):
        return self._core().export_csv(actor, filters)

    @rpc
    def stats(self, actor, filters=None):
        return self._core().stats(actor, filters)

    @rpc
    def export_personal_data(self, actor):
        """Everything this service keeps about the caller (``GET /me/data``): see Core.export_personal_data."""
        return self._core().export_personal_data(actor)

    @rpc
    def class_summary(self, actor):
        return self._core().class_summary(actor)

    # -- commands -----------------------------------------------------------------------------
    @rpc
    def submit(self, actor, offer_id, form=None, idempotency_key=None):
        return self._core().submit(actor, offer_id, form, idempotency_key)

    @rpc
    def read(self, actor, application_id):
        return self._core().transition(actor, application_id, "read")

    @rpc
    def accept(self, actor, application_id, message=None):
        return self._core().transition(actor, application_id, "accept", message=message)

    @rpc
    def reject(self, actor, application_id, reason=None):
        return self._core().transition(actor, application_id, "reject", reason=reason)

    @rpc
    def transfer(self, actor, application_id, email=None, message=None):
        return self._core().transition(actor, application_id, "transfer", email=email, message=message)

    @rpc
    def confirm(self, actor, application_id):
        return self._core().transition(actor, application_id, "confirm")

    @rpc
    def cancel(self, actor, application_id, reason=None):
        return self._core().transition(actor, application_id, "cancel", reason=reason)

    @rpc
    def restore(self, actor, application_id):
        return self._core().transition(actor, application_id, "restore")

    @rpc
    def nudge(self, actor, application_id):
        return self._core().transition(actor, application_id, "nudge")

    @rpc
    def invite_to_reapply(self, actor, application_id):
        return self._core().transition(actor, application_id, "invite_to_reapply")

    @rpc
    def bulk(self, actor, action, application_ids, reason=None, message=None):
        return self._core().bulk(actor, action, application_ids, reason=reason, message=message)

    # -- the public transfer link -------------------------------------------------------------
    @rpc
    def get_transfer(self, token):
        return self._core().get_transfer(token)

    @rpc
    def decide_transfer(self, token, decision, reason=None, message=None):
        return self._core().decide_transfer(token, decision, reason=reason, message=message)

    # -- the timer ----------------------------------------------------------------------------
    @timer(interval=TIMER_SECONDS)
    def tick(self):
        try:
            self.run_timer()
        except Exception:
            log.exception("applications timer failed; next round at the next tick")

    @rpc
    def run_timer(self):
        """Expire what is overdue now and retry failed seat releases (also called by tests)."""
        core = self._core()
        expired = core.expire_due()
        reconciled = core.reconcile_seats()
        if expired:
            log.info("expired %s applications", expired, extra={"expired": expired})
        return {"expired": expired, "seats_reconciled": reconciled}

    @rpc
    def test_last_transfer_token(self, application_id):
        """Test mode only (STAGES_CLOCK_CONTROL=1): the link token last sent for this application."""
        from common.errors import Forbidden

        from .core import LAST_TRANSFER_TOKENS

        if not settings.env_flag("STAGES_CLOCK_CONTROL"):
            raise Forbidden("Réservé aux tests.")
        return LAST_TRANSFER_TOKENS.get(str(application_id))

    # -- events -------------------------------------------------------------------------------
    @event_handler("identity", "user.anonymized")
    def on_user_anonymized(self, envelope):
        """Erase what we hold about an anonymised pupil (the application itself stays, for statistics)."""
        data = envelope["data"]
        with self.db.uow() as uow:
            if not uow.claim(envelope, "applications.on_user_anonymized"):
                return
            if data.get("role") == "pupil":
                uow.session.execute(update(A).where(A.c.pupil_id == data["user_id"]).values(
                    motivation="", email=None, phone=None, address=None, legal_representative=None,
                    pupil_name=None, class_name=None))
