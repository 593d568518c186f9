"""nameko entrypoints of the identity service: each decodes its arguments and calls one use case
(``identity.use_cases``). Rules live in ``identity.domain``, SQL in ``identity.repository`` and
``identity.queries``.

Every RPC is documented in docs/rpc/identity.md."""

import logging

from nameko.timer import timer

from common.db import Database
from common.rpc import Rpc
from common.service import PlatformService, rpc

from . import clients, settings
from .hashing import PASSWORDS
from .models import metadata
from .repository import UnitOfWork
from .repository.keys import KeyStore
from .register_client import OmogenRegister
from .use_cases import (accounts, admin, anonymisation, demo, directory, federation, memberships, passwords, pupils,
                        register, rollover, schools, sessions, staff)
from .use_cases import backoffice, backoffice_schools, classes, profile, spaces
from .use_cases.context import Context
from .views import codes_sheet_pdf

log = logging.getLogger("identity")


class IdentityService(PlatformService):
    name = "identity"
    db = Database("identity", metadata)
    notifications = Rpc("notifications", timeout=settings.notify_timeout())
    conventions = Rpc("conventions")

    def _ctx(self) -> Context:
        return Context(uow=UnitOfWork(self.db), now=self.clock.now(),
                       notifications=clients.Notifications(self.notifications),
                       conventions=clients.Conventions(self.conventions),
                       keys=KeyStore(self.db.engine), passwords=PASSWORDS)

    # -- keys --------------------------------------------------------------------------
    @rpc
    def get_jwks(self):
        return admin.get_jwks(self._ctx())

    @rpc
    def rotate_signing_key(self, actor=None, activate_in_seconds=0):
        return admin.rotate_signing_key(self._ctx(), actor, activate_in_seconds)

    # -- schools -------------------------------------------------------------------------
    @rpc
    def get_school(self, uai):
        return schools.get_school(self._ctx(), uai)

    @rpc
    def search_schools(self, q, kind=None, limit=20, education_prioritaire=None, qpv=None):
        return schools.search_schools(self._ctx(), q, kind=kind, limit=limit,
                                      education_prioritaire=education_prioritaire, qpv=qpv)

    @rpc
    def schools_near(self, lat, lon, radius_km=10, kind=None, limit=20, education_prioritaire=None, qpv=None):
        return schools.schools_near(self._ctx(), lat, lon, radius_km=radius_km, kind=kind, limit=limit,
                                    education_prioritaire=education_prioritaire, qpv=qpv)

    # -- users, for other services ----------------------------------------------------------
    @rpc
    def get_user(self, user_id):
        return directory.get_user(self._ctx(), user_id)

    @rpc
    def get_users(self, user_ids):
        return directory.get_users(self._ctx(), user_ids)

    @rpc
    def get_contact(self, user_id):
        return directory.get_contact(self._ctx(), user_id)

    @rpc
    def list_school_staff(self, uai, functions=None):
        return directory.list_school_staff(self._ctx(), uai, functions=functions)

    @rpc
    def get_space_members(self, space_id):
        return spaces.space_members(self._ctx(), space_id)

    @rpc
    def get_pupil_teachers(self, pupil_id):
        return directory.get_pupil_teachers(self._ctx(), pupil_id)

    # -- accounts -----------------------------------------------------------------------------
    @rpc
    def register(self, data, client=None):
        return accounts.register(self._ctx(), data, client=client)

    @rpc
    def activate(self, token):
        return accounts.activate(self._ctx(), token)

    @rpc
    def resend_activation(self, email, client=None):
        return accounts.resend_activation(self._ctx(), email, client=client)

    @rpc
    def get_me(self, actor):
        return accounts.get_me(self._ctx(), actor)

    @rpc
    def get_my_data(self, actor):
        return accounts.get_my_data(self._ctx(), actor)

    @rpc
    def export_personal_data(self, actor):
        """Everything identity keeps about the caller (its part of ``GET /me/data``; same as get_my_data)."""
        return accounts.get_my_data(self._ctx(), actor)

    @rpc
    def set_my_classes(self, actor, classes):
        return accounts.set_my_classes(self._ctx(), actor, classes)

    # -- one's own profile (use_cases/profile.py) ---------------------------------------------------
    @rpc
    def update_profile(self, actor, data):
        return profile.update_profile(self._ctx(), actor, data)

    @rpc
    def request_email_change(self, actor, email):
        return profile.request_change(self._ctx(), actor, profile.EMAIL, email)

    @rpc
    def confirm_email_change(self, token, actor=None):
        return profile.confirm_email_change(self._ctx(), token, actor=actor)

    @rpc
    def request_phone_change(self, actor, phone):
        return profile.request_change(self._ctx(), actor, profile.PHONE, phone)

    @rpc
    def confirm_phone_change(self, actor, code):
        return profile.confirm_phone_change(self._ctx(), actor, code)

    # -- employers' spaces (use_cases/spaces.py) ----------------------------------------------------
    @rpc
    def my_spaces(self, actor):
        return spaces.my_spaces(self._ctx(), actor)

    @rpc
    def get_space(self, actor, space_id):
        return spaces.get_space(self._ctx(), actor, space_id)

    @rpc
    def invite_to_space(self, actor, space_id, email):
        return spaces.invite(self._ctx(), actor, space_id, email)

    @rpc
    def read_space_invitation(self, token):
        return spaces.read_invitation(self._ctx(), token)

    @rpc
    def accept_space_invitation(self, actor, token):
        return spaces.accept_invitation(self._ctx(), actor, token)

    @rpc
    def join_space_with_new_account(self, token, first_name, last_name, password, job_title=None):
        return spaces.join_with_new_account(self._ctx(), token, first_name, last_name, password, job_title=job_title)

    @rpc
    def remove_space_member(self, actor, space_id, user_id):
        return spaces.remove_member(self._ctx(), actor, space_id, user_id)

    @rpc
    def switch_space(self, actor, space_id):
        return spaces.switch_space(self._ctx(), actor, space_id)

    # -- sessions -----------------------------------------------------------------------------
    @rpc
    def login(self, identifier, password, totp_code=None, client=None):
        return sessions.login(self._ctx(), identifier, password, totp_code=totp_code, client=client)

    @rpc
    def refresh(self, refresh_token, client=None):
        return sessions.refresh(self._ctx(), refresh_token, client=client)

    @rpc
    def session_active(self, session_id):
        return sessions.session_active(self._ctx(), session_id)

    @rpc
    def logout(self, refresh_token=None, actor=None, all_sessions=False):
        return sessions.logout(self._ctx(), refresh_token=refresh_token, actor=actor, all_sessions=all_sessions)

    # -- national sign-in (ÉduConnect, FIM) and staff in several schools ---------------------
    @rpc
    def federated_sign_in(self, provider, claims, client=None):
        return federation.federated_sign_in(self._ctx(), provider, claims, client=client)

    @rpc
    def link_federated_identity(self, actor, provider, claims):
        return federation.link_federated_identity(self._ctx(), actor, provider, claims)

    @rpc
    def list_my_schools(self, actor):
        return memberships.list_my_schools(self._ctx(), actor)

    @rpc
    def switch_school(self, actor, uai, client=None):
        return memberships.switch_school(self._ctx(), actor, uai, client=client)

    # -- passwords ----------------------------------------------------------------------------
    @rpc
    def request_password_reset(self, email, client=None):
        return passwords.request_password_reset(self._ctx(), email, client=client)

    @rpc
    def confirm_password_reset(self, token, password):
        return passwords.confirm_password_reset(self._ctx(), token, password)

    @rpc
    def change_password(self, actor, current_password, new_password):
        return passwords.change_password(self._ctx(), actor, current_password, new_password)

    # -- school staff -------------------------------------------------------------------------
    @rpc
    def invite_colleague(self, actor, email, function, first_name=None, last_name=None, school_uai=None):
        return staff.invite_colleague(self._ctx(), actor, email, function, first_name=first_name,
                                      last_name=last_name, school_uai=school_uai)

    @rpc
    def accept_invitation(self, token, first_name, last_name, password, phone=None):
        return staff.accept_invitation(self._ctx(), token, first_name, last_name, password, phone=phone)

    @rpc
    def confirm_staff(self, actor, school_uai, user_id):
        return staff.confirm_staff(self._ctx(), actor, school_uai, user_id)

    @rpc
    def designate_head(self, actor, school_uai, user_id):
        return staff.designate_head(self._ctx(), actor, school_uai, user_id)

    @rpc
    def list_staff(self, actor, school_uai):
        return staff.list_staff(self._ctx(), actor, school_uai)

    @rpc
    def list_unconfirmed_staff(self, actor, school_uai=None, academie=None, function=None, page=1, page_size=50):
        return staff.list_unconfirmed_staff(self._ctx(), actor, school_uai=school_uai, academie=academie,
                                            function=function, page=page, page_size=page_size)

    # -- administration -------------------------------------------------------------------------
    @rpc
    def list_pending_statisticians(self, actor, page=1, page_size=50):
        return admin.list_pending_statisticians(self._ctx(), actor, page=page, page_size=page_size)

    @rpc
    def validate_statistician(self, actor, user_id):
        return admin.validate_statistician(self._ctx(), actor, user_id)

    @rpc
    def totp_setup(self, actor):
        return admin.totp_setup(self._ctx(), actor)

    # -- back-office (admins; every action takes a reason and is journalled) -----------------------
    @rpc
    def admin_search_users(self, actor, q, role=None, page=1, page_size=50):
        return backoffice.search_users(self._ctx(), actor, q, role=role, page=page, page_size=page_size)

    @rpc
    def admin_get_user(self, actor, user_id):
        return backoffice.get_user(self._ctx(), actor, user_id)

    @rpc
    def admin_lock_user(self, actor, user_id, reason):
        return backoffice.lock_user(self._ctx(), actor, user_id, reason)

    @rpc
    def admin_unlock_user(self, actor, user_id, reason):
        return backoffice.unlock_user(self._ctx(), actor, user_id, reason)

    @rpc
    def admin_resend_activation(self, actor, user_id, reason, idempotency_key=None):
        return backoffice.resend_activation(self._ctx(), actor, user_id, reason, idempotency_key=idempotency_key)

    @rpc
    def admin_end_sessions(self, actor, user_id, reason):
        return backoffice.end_sessions(self._ctx(), actor, user_id, reason)

    @rpc
    def admin_list_actions(self, actor, action=None, target_id=None, actor_id=None, page=1, page_size=50):
        return backoffice.list_admin_actions(self._ctx(), actor, action=action, target_id=target_id,
                                             actor_id=actor_id, page=page, page_size=page_size)

    @rpc
    def admin_create_school(self, actor, data, reason):
        return backoffice_schools.create_school(self._ctx(), actor, data, reason)

    @rpc
    def admin_update_school(self, actor, uai, data, reason):
        return backoffice_schools.update_school(self._ctx(), actor, uai, data, reason)

    @rpc
    def admin_change_head(self, actor, school_uai, user_id, reason):
        return backoffice_schools.change_head(self._ctx(), actor, school_uai, user_id, reason)

    # -- classes (school staff) ------------------------------------------------------------------
    @rpc
    def list_classes(self, actor, uai):
        return classes.list_classes(self._ctx(), actor, uai)

    @rpc
    def create_class(self, actor, uai, name, grade=None):
        return classes.create_class(self._ctx(), actor, uai, name, grade=grade)

    @rpc
    def rename_class(self, actor, uai, name, new_name, grade=None):
        return classes.rename_class(self._ctx(), actor, uai, name, new_name, grade=grade)

    @rpc
    def delete_class(self, actor, uai, name):
        return classes.delete_class(self._ctx(), actor, uai, name)

    @rpc
    def move_pupils(self, actor, uai, pupil_ids, class_name):
        return classes.move_pupils(self._ctx(), actor, uai, pupil_ids, class_name)

    # -- pupils --------------------------------------------------------------------------------
    @rpc
    def import_pupils(self, actor, uai, content_base64, filename=None, with_pdf=True, dry_run=False):
        return pupils.import_pupils(self._ctx(), actor, uai, content_base64, filename=filename,
                                    render_pdf=codes_sheet_pdf if with_pdf else None, dry_run=dry_run)

    @rpc
    def regenerate_codes(self, actor, uai, pupil_ids, with_pdf=True):
        return pupils.regenerate_codes(self._ctx(), actor, uai, pupil_ids,
                                       render_pdf=codes_sheet_pdf if with_pdf else None)

    @rpc
    def pupil_activate(self, code, password, email=None, phone=None, client=None):
        return pupils.pupil_activate(self._ctx(), code, password, email=email, phone=phone, client=client)

    @rpc
    def list_pupils(self, actor, uai, class_name=None, grade=None, q=None, page=1, page_size=100):
        return pupils.list_pupils(self._ctx(), actor, uai, class_name=class_name, grade=grade, q=q, page=page,
                                  page_size=page_size)

    @rpc
    def move_pupil(self, actor, pupil_id, class_name, grade=None):
        return pupils.move_pupil(self._ctx(), actor, pupil_id, class_name, grade=grade)

    # -- personal data retention ------------------------------------------------------------------
    @rpc
    def anonymize_inactive(self, actor=None):
        """Admin command (the timer below runs the same thing)."""
        return anonymisation.anonymize_inactive_now(self._ctx(), actor)

    @rpc
    def request_deletion(self, actor):
        """« Supprimer mon compte », first step: held by an agreement in progress (until when), or to confirm."""
        return anonymisation.request_deletion(self._ctx(), actor)

    @rpc
    def confirm_deletion(self, actor, password=None):
        """Second step: the password again; the account is anonymised unless an agreement holds it (409)."""
        return anonymisation.confirm_deletion(self._ctx(), actor, password)

    @rpc
    def rollover(self, actor, school_year, batch=500, max_batches=None):
        """End-of-year rollover of accounts (admin): pupils up or out, classes archived; idempotent, resumable."""
        return rollover.run(self._ctx(), actor, school_year, batch=int(batch), max_batches=max_batches)

    @rpc
    def rollover_report(self, actor, school_year):
        return rollover.report(self._ctx(), actor, school_year)

    @timer(interval=settings.anonymise_interval(), eager=False)
    def anonymize_inactive_timer(self):
        anonymisation.timer_tick(self._ctx)

    # -- the national pupil register and the schools' internship weeks (use_cases/register.py) ------------------
    @rpc
    def set_register_connected(self, actor, uai, connected=True):
        return register.set_connected(self._ctx(), actor, uai, connected)

    @rpc
    def register_import(self, actor, uai, idempotency_key=None):
        return register.import_school(self._ctx(), actor, uai, idempotency_key=idempotency_key)

    @rpc
    def list_register_imports(self, actor, uai, limit=50):
        return register.list_imports(self._ctx(), actor, uai, limit=limit)

    @timer(interval=settings.register_interval(), eager=False)
    def register_nightly_timer(self):
        register.nightly_tick(self._ctx())

    @timer(interval=settings.register_queue_interval(), eager=False)
    def register_queue_timer(self):
        register.queue_tick(self._ctx(), OmogenRegister.from_settings())

    @rpc
    def get_internship_weeks(self, uai):
        return register.get_internship_weeks(self._ctx(), uai)

    @rpc
    def set_internship_weeks(self, actor, uai, weeks):
        return register.set_internship_weeks(self._ctx(), actor, uai, weeks)

    @rpc
    def declared_weeks_near(self, lat, lon, radius_km=60):
        return register.declared_weeks_near(self._ctx(), lat, lon, radius_km=radius_km)

    # -- demo ---------------------------------------------------------------------------------------
    @rpc
    def seed_demo(self):
        """Create the demo accounts (idempotent). Refused unless STAGES_DEMO=1."""
        return demo.seed_on_request(self._ctx())
