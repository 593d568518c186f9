"""nameko entrypoints of the identity service. Keep them thin: rules live in
``identity.domain``, database work in ``identity.operations``.

Every RPC is documented in docs/rpc/identity.md."""

import logging
import threading

from eventlet import tpool
from nameko.timer import timer

from common.db import Database
from common.errors import Forbidden
from common.rpc import Rpc
from common.service import PlatformService, rpc

from . import config, demo, store
from .domain import roles
from .models import metadata
from .operations import Operations

log = logging.getLogger("identity")

# Test mode only (STAGES_CLOCK_CONTROL=1): the last secret handed to notifications, so that
# integration and cross-service tests can follow e-mail links without reading a mailbox.
_TEST_SECRETS: dict = {}
_TEST_LOCK = threading.Lock()


def _remember(kind: str, key: str, secret: str) -> None:
    if config.test_mode():
        with _TEST_LOCK:
            _TEST_SECRETS[(kind, key)] = secret


def render_codes_sheet(school: dict, entries: list, now) -> bytes:
    """The PDF of activation codes (weasyprint is CPU-bound: run it in a real thread)."""
    from .domain.sheet import codes_sheet_html
    from .domain.activation_codes import TTL

    html = codes_sheet_html(school, entries, config.public_url() + "/activer-mon-compte", now, now + TTL)

    def _render():
        import weasyprint
        return weasyprint.HTML(string=html).write_pdf()

    return tpool.execute(_render)


class IdentityService(PlatformService):
    name = "identity"
    db = Database("identity", metadata)
    notifications = Rpc("notifications", timeout=config.notify_timeout())

    def _ops(self) -> Operations:
        return Operations(self.db, self.clock.now(), notify=self._notify, remember_secret=_remember)

    def _notify(self, template, to, context, key):
        self.notifications.send_message(template=template, to=to, context=context, key=key)

    # -- keys --------------------------------------------------------------------------
    @rpc
    def get_jwks(self):
        return store.jwks(self.db.engine, self.clock.now())

    @rpc
    def rotate_signing_key(self, actor=None, activate_in_seconds=0):
        roles.require_admin(actor)
        import datetime as dt
        from sqlalchemy import update
        from .domain.keys import signing_key
        from .models import signing_keys
        now = self.clock.now()
        activate_at = now + dt.timedelta(seconds=max(0, int(activate_in_seconds or 0)))
        with self.db.uow() as uow:
            current = signing_key(store.all_keys(uow.session), now)
            kid = store.insert_new_key(uow.session, now, activate_at)
            if current is not None:
                uow.session.execute(update(signing_keys).where(signing_keys.c.kid == current["kid"])
                                    .values(retired_at=activate_at))
        store.clear_key_cache()
        return {"kid": kid, "activated_at": activate_at.isoformat(),
                "retired": current["kid"] if current else None}

    # -- schools -------------------------------------------------------------------------
    @rpc
    def get_school(self, uai):
        return self._ops().get_school(uai)

    @rpc
    def search_schools(self, q, kind=None, limit=20, education_prioritaire=None, qpv=None):
        return self._ops().search_schools(q, kind=kind, limit=limit, education_prioritaire=education_prioritaire,
                                          qpv=qpv)

    @rpc
    def schools_near(self, lat, lon, radius_km=10, kind=None, limit=20, education_prioritaire=None, qpv=None):
        return self._ops().schools_near(lat, lon, radius_km=radius_km, kind=kind, limit=limit,
                                        education_prioritaire=education_prioritaire, qpv=qpv)

    # -- users, for other services ----------------------------------------------------------
    @rpc
    def get_user(self, user_id):
        return self._ops().get_user(user_id)

    @rpc
    def get_users(self, user_ids):
        return self._ops().get_users(user_ids)

    @rpc
    def get_contact(self, user_id):
        return self._ops().get_contact(user_id)

    @rpc
    def list_school_staff(self, uai, functions=None):
        return self._ops().list_school_staff(uai, functions=functions)

    @rpc
    def get_pupil_teachers(self, pupil_id):
        return self._ops().get_pupil_teachers(pupil_id)

    # -- accounts -----------------------------------------------------------------------------
    @rpc
    def register(self, data, client=None):
        return self._ops().register(data, client=client)

    @rpc
    def activate(self, token):
        return self._ops().activate(token)

    @rpc
    def resend_activation(self, email, client=None):
        return self._ops().resend_activation(email, client=client)

    @rpc
    def login(self, identifier, password, totp_code=None, client=None):
        return self._ops().login(identifier, password, totp_code=totp_code, client=client)

    @rpc
    def refresh(self, refresh_token, client=None):
        return self._ops().refresh(refresh_token, client=client)

    @rpc
    def session_active(self, session_id):
        return self._ops().session_active(session_id)

    @rpc
    def logout(self, refresh_token=None, actor=None, all_sessions=False):
        return self._ops().logout(refresh_token=refresh_token, actor=actor, all_sessions=all_sessions)

    @rpc
    def request_password_reset(self, email, client=None):
        return self._ops().request_password_reset(email, client=client)

    @rpc
    def confirm_password_reset(self, token, password):
        return self._ops().confirm_password_reset(token, password)

    @rpc
    def change_password(self, actor, current_password, new_password):
        return self._ops().change_password(actor, current_password, new_password)

    @rpc
    def get_me(self, actor):
        return self._ops().get_me(actor)

    @rpc
    def get_my_data(self, actor):
        return self._ops().get_my_data(actor)

    @rpc
    def export_personal_data(self, actor):
        """Everything identity keeps about the caller (its part of ``GET /me/data``; same as get_my_data)."""
        return self._ops().get_my_data(actor)

    @rpc
    def set_my_classes(self, actor, classes):
        return self._ops().set_my_classes(actor, classes)

    @rpc
    def invite_colleague(self, actor, email, function, first_name=None, last_name=None, school_uai=None):
        return self._ops().invite_colleague(actor, email, function, first_name=first_name, last_name=last_name,
                                            school_uai=school_uai)

    @rpc
    def accept_invitation(self, token, first_name, last_name, password, phone=None):
        return self._ops().accept_invitation(token, first_name, last_name, password, phone=phone)

    @rpc
    def confirm_staff(self, actor, school_uai, user_id):
        return self._ops().confirm_staff(actor, school_uai, user_id)

    @rpc
    def designate_head(self, actor, school_uai, user_id):
        return self._ops().designate_head(actor, school_uai, user_id)

    @rpc
    def list_staff(self, actor, school_uai):
        return self._ops().list_staff(actor, school_uai)

    @rpc
    def list_unconfirmed_staff(self, actor, school_uai=None, academie=None, function=None, page=1, page_size=50):
        return self._ops().list_unconfirmed_staff(actor, school_uai=school_uai, academie=academie, function=function,
                                                  page=page, page_size=page_size)

    @rpc
    def validate_statistician(self, actor, user_id):
        return self._ops().validate_statistician(actor, user_id)

    @rpc
    def totp_setup(self, actor):
        return self._ops().totp_setup(actor)

    # -- pupils --------------------------------------------------------------------------------
    @rpc
    def import_pupils(self, actor, uai, content_base64, filename=None, with_pdf=True, dry_run=False):
        return self._ops().import_pupils(actor, uai, content_base64, filename=filename,
                                         render_pdf=render_codes_sheet if with_pdf else None, dry_run=dry_run)

    @rpc
    def regenerate_codes(self, actor, uai, pupil_ids, with_pdf=True):
        return self._ops().regenerate_codes(actor, uai, pupil_ids,
                                            render_pdf=render_codes_sheet if with_pdf else None)

    @rpc
    def pupil_activate(self, code, password, email=None, phone=None, client=None):
        return self._ops().pupil_activate(code, password, email=email, phone=phone, client=client)

    @rpc
    def list_pupils(self, actor, uai, class_name=None, grade=None, q=None, page=1, page_size=100):
        return self._ops().list_pupils(actor, uai, class_name=class_name, grade=grade, q=q, page=page,
                                       page_size=page_size)

    @rpc
    def move_pupil(self, actor, pupil_id, class_name, grade=None):
        return self._ops().move_pupil(actor, pupil_id, class_name, grade=grade)

    # -- personal data retention ------------------------------------------------------------------
    @rpc
    def anonymize_inactive(self, actor=None):
        """Admin command (the timer below runs the same thing)."""
        roles.require_admin(actor)
        return self._ops().anonymize_inactive()

    @timer(interval=config.anonymise_interval(), eager=False)
    def anonymize_inactive_timer(self):
        try:
            out = self._ops().anonymize_inactive()
            if out["anonymized"]:
                log.info("anonymised %d inactive accounts", out["anonymized"])
            self._ops().prune()
        except Exception:
            log.exception("anonymisation run failed; next run will retry")

    # -- demo and tests -----------------------------------------------------------------------------
    @rpc
    def seed_demo(self):
        """Create the demo accounts (idempotent). Allowed when STAGES_DEMO=1 or in test mode."""
        from common import settings
        if not (settings.env_flag("STAGES_DEMO") or config.test_mode()):
            raise Forbidden("Le jeu de démonstration est désactivé (STAGES_DEMO=1 pour l'activer).")
        return demo.seed(self.db, self.clock.now())

    @rpc
    def test_last_secret(self, kind, key):
        """Test mode only: the last activation/reset/invitation token or pupil code handed out for ``key``
        (an e-mail, or a pupil id for kind "pupil_code")."""
        if not config.test_mode():
            raise Forbidden("Réservé aux tests.")
        with _TEST_LOCK:
            return _TEST_SECRETS.get((kind, key))
