"""A thin client of the gateway's public HTTP API (the only way the front end reaches the platform).

Every call names an entry of ``ENDPOINTS`` (method and path template as in ``/openapi.json``); a test
checks that each entry exists in the gateway's OpenAPI document. Add the endpoints your pages need to
the section of your audience.

    api = Gateway(token=access_token, client=ClientInfo(ip, user_agent))
    offer = api.call("offer", offer_id=oid)
    api.call("apply", offer_id=oid, json={...}, idempotency_key=key)

Errors come back as ``ApiError`` (status, French ``detail``, per-field ``errors`` of problem+json);
``ApiUnavailable`` when the gateway does not answer.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import requests
from django.conf import settings

ENDPOINTS: dict[str, tuple[str, str]] = {
    # -- authentication and account (every audience) --------------------------------------
    "login": ("POST", "/api/v1/auth/login"),
    "refresh": ("POST", "/api/v1/auth/refresh"),
    "logout": ("POST", "/api/v1/auth/logout"),
    "activate": ("POST", "/api/v1/auth/activate"),
    "resend_activation": ("POST", "/api/v1/auth/activate/resend"),
    "password_reset": ("POST", "/api/v1/auth/password-reset"),
    "password_reset_confirm": ("POST", "/api/v1/auth/password-reset/confirm"),
    "change_password": ("POST", "/api/v1/auth/password"),
    "pupil_activate": ("POST", "/api/v1/auth/pupil-activate"),
    "federation_providers": ("GET", "/api/v1/auth/federation"),                     # national sign-in
    "federation_start": ("POST", "/api/v1/auth/federation/{provider}/start"),
    "federation_callback": ("POST", "/api/v1/auth/federation/{provider}/callback"),
    "me": ("GET", "/api/v1/me"),
    "my_schools": ("GET", "/api/v1/me/schools"),           # staff in several schools (views/memberships.py)
    "switch_school": ("PUT", "/api/v1/me/school"),
    "update_profile": ("PATCH", "/api/v1/me"),
    "request_email_change": ("POST", "/api/v1/me/email"),
    "confirm_email_change": ("POST", "/api/v1/me/email/confirm"),
    "request_phone_change": ("POST", "/api/v1/me/phone"),
    "confirm_phone_change": ("POST", "/api/v1/me/phone/confirm"),
    # -- employers' spaces ----------------------------------------------------------------------
    "my_spaces": ("GET", "/api/v1/me/spaces"),
    "switch_space": ("PUT", "/api/v1/me/space"),
    "space": ("GET", "/api/v1/spaces/{space_id}"),
    "space_invite": ("POST", "/api/v1/spaces/{space_id}/invitations"),
    "space_remove_member": ("DELETE", "/api/v1/spaces/{space_id}/members/{user_id}"),
    "space_invitation_read": ("POST", "/api/v1/public/space-invitations/read"),
    "space_invitation_accept": ("POST", "/api/v1/space-invitations/accept"),
    "space_invitation_join": ("POST", "/api/v1/public/space-invitations/join"),
    "my_data": ("GET", "/api/v1/me/data"),
    "account_deletion": ("POST", "/api/v1/me/deletion"),
    "account_deletion_confirm": ("POST", "/api/v1/me/deletion/confirm"),
    "rollover_start": ("POST", "/api/v1/admin/rollover/{school_year}"),
    "rollover_progress": ("GET", "/api/v1/admin/rollover/{school_year}"),
    "notifications": ("GET", "/api/v1/me/notifications"),
    "notifications_unread": ("GET", "/api/v1/me/notifications/unread-count"),
    "notification_read": ("POST", "/api/v1/me/notifications/{notification_id}/read"),
    "notifications_read_all": ("POST", "/api/v1/me/notifications/read-all"),
    "notification_preferences": ("GET", "/api/v1/me/notification-preferences"),
    "set_notification_preferences": ("PUT", "/api/v1/me/notification-preferences"),
    # -- public: visitors ----------------------------------------------------------------------
    "sectors": ("GET", "/api/v1/sectors"),
    "calendar": ("GET", "/api/v1/offers/calendar"),
    "search_offers": ("GET", "/api/v1/offers"),
    "places": ("GET", "/api/v1/places"),
    "offer": ("GET", "/api/v1/offers/{offer_id}"),
    "offer_report": ("POST", "/api/v1/offers/{offer_id}/reports"),
    "schools": ("GET", "/api/v1/schools"),
    "school": ("GET", "/api/v1/schools/{uai}"),
    # -- pupils -------------------------------------------------------------------------------------
    "apply": ("POST", "/api/v1/offers/{offer_id}/applications"),
    "applications": ("GET", "/api/v1/applications"),
    "application": ("GET", "/api/v1/applications/{application_id}"),
    "application_confirm": ("POST", "/api/v1/applications/{application_id}/confirm"),
    "application_cancel": ("POST", "/api/v1/applications/{application_id}/cancel"),
    "application_restore": ("POST", "/api/v1/applications/{application_id}/restore"),
    "application_nudge": ("POST", "/api/v1/applications/{application_id}/nudge"),
    # -- employers (added by the employer journeys) ----------------------------------------
    "register": ("POST", "/api/v1/auth/register"),
    "my_offers": ("GET", "/api/v1/me/offers"),
    "offer_create": ("POST", "/api/v1/offers"),
    "offer_update": ("PATCH", "/api/v1/offers/{offer_id}"),
    "offer_publish": ("POST", "/api/v1/offers/{offer_id}/publish"),
    "offer_unpublish": ("POST", "/api/v1/offers/{offer_id}/unpublish"),
    "offer_duplicate": ("POST", "/api/v1/offers/{offer_id}/duplicate"),
    "declared_weeks_near": ("GET", "/api/v1/internship-weeks/near"),   # planning step: collèges' 3e weeks
    "offer_remove": ("DELETE", "/api/v1/offers/{offer_id}"),
    "offer_moderation": ("GET", "/api/v1/offers/{offer_id}/moderation"),
    "applications_export": ("GET", "/api/v1/applications/export.csv"),
    "applications_bulk": ("POST", "/api/v1/applications/bulk"),
    "application_read": ("POST", "/api/v1/applications/{application_id}/read"),
    "application_accept": ("POST", "/api/v1/applications/{application_id}/accept"),
    "application_reject": ("POST", "/api/v1/applications/{application_id}/reject"),
    "application_transfer": ("POST", "/api/v1/applications/{application_id}/transfer"),
    "transfer": ("GET", "/api/v1/public/transfers/{token}"),
    "transfer_decision": ("POST", "/api/v1/public/transfers/{token}/decision"),
    "conventions": ("GET", "/api/v1/conventions"),
    "convention": ("GET", "/api/v1/conventions/{convention_id}"),
    "convention_update": ("PATCH", "/api/v1/conventions/{convention_id}"),
    "convention_complete": ("POST", "/api/v1/conventions/{convention_id}/complete"),
    "convention_signature_code": ("POST", "/api/v1/conventions/signature-code"),
    "convention_sign": ("POST", "/api/v1/conventions/{convention_id}/sign"),
    # -- agreements: school staff, pupils, legal representatives (issue 17) ------------------
    "convention_pdf": ("GET", "/api/v1/conventions/{convention_id}/pdf"),
    "convention_validate": ("POST", "/api/v1/conventions/{convention_id}/validate"),
    "convention_reopen": ("POST", "/api/v1/conventions/{convention_id}/reopen"),
    "convention_resend_link": ("POST", "/api/v1/conventions/{convention_id}/resend-link"),
    "conventions_sign_many": ("POST", "/api/v1/conventions/sign"),
    "school_signature": ("GET", "/api/v1/schools/{uai}/signature"),
    "school_signature_set": ("PUT", "/api/v1/schools/{uai}/signature"),
    "public_convention": ("GET", "/api/v1/public/conventions/{token}"),
    "public_convention_pdf": ("GET", "/api/v1/public/conventions/{token}/pdf"),
    "public_convention_sign": ("POST", "/api/v1/public/conventions/{token}"),
    # -- school staff (pupils, classes, colleagues) and admin pages ------------------------------
    "accept_invitation": ("POST", "/api/v1/auth/invitation/accept"),
    "school_staff": ("GET", "/api/v1/schools/{uai}/staff"),
    "school_staff_confirm": ("POST", "/api/v1/schools/{uai}/staff/{user_id}/confirm"),
    "school_invite": ("POST", "/api/v1/schools/{uai}/colleagues"),
    "school_designate_head": ("PUT", "/api/v1/schools/{uai}/head"),
    "school_pupils": ("GET", "/api/v1/schools/{uai}/pupils"),
    "school_pupils_import": ("POST", "/api/v1/schools/{uai}/pupils/import"),
    "school_pupils_codes": ("POST", "/api/v1/schools/{uai}/pupils/codes"),
    # the national pupil register and the 3e internship weeks (issue 20)
    "school_register_import": ("POST", "/api/v1/schools/{uai}/register-import"),
    "school_register_imports": ("GET", "/api/v1/schools/{uai}/register-imports"),
    "school_internship_weeks": ("GET", "/api/v1/schools/{uai}/internship-weeks"),
    "school_internship_weeks_set": ("PUT", "/api/v1/schools/{uai}/internship-weeks"),
    "admin_school_register": ("PUT", "/api/v1/admin/schools/{uai}/register"),
    "school_class_summary": ("GET", "/api/v1/applications/classes"),
    "admin_school_staff": ("GET", "/api/v1/admin/school-staff"),
    "admin_statisticians": ("GET", "/api/v1/admin/statisticians"),
    "admin_validate_statistician": ("POST", "/api/v1/admin/users/{user_id}/validate"),
    "admin_notifications": ("GET", "/api/v1/admin/notifications"),
    "admin_notification_retry": ("POST", "/api/v1/admin/notifications/{message_id}/retry"),
    "admin_notifications_retry": ("POST", "/api/v1/admin/notifications/retry"),
    "moderation_queue": ("GET", "/api/v1/admin/moderation/offers"),
    "offer_moderate": ("POST", "/api/v1/admin/offers/{offer_id}/moderation"),
    # -- back-office (admins) and classes (school staff): views/backoffice.py ----------------------
    "admin_users": ("GET", "/api/v1/admin/users"),
    "admin_user": ("GET", "/api/v1/admin/users/{user_id}"),
    "admin_user_lock": ("POST", "/api/v1/admin/users/{user_id}/lock"),
    "admin_user_unlock": ("POST", "/api/v1/admin/users/{user_id}/unlock"),
    "admin_user_resend_activation": ("POST", "/api/v1/admin/users/{user_id}/resend-activation"),
    "admin_user_end_sessions": ("POST", "/api/v1/admin/users/{user_id}/end-sessions"),
    "admin_audit": ("GET", "/api/v1/admin/audit"),
    "admin_school_create": ("POST", "/api/v1/admin/schools"),
    "admin_school_update": ("PATCH", "/api/v1/admin/schools/{uai}"),
    "admin_school_head": ("PUT", "/api/v1/admin/schools/{uai}/head"),
    "school_classes_list": ("GET", "/api/v1/schools/{uai}/classes"),
    "school_class_create": ("POST", "/api/v1/schools/{uai}/classes"),
    "school_class_rename": ("POST", "/api/v1/schools/{uai}/classes/rename"),
    "school_class_delete": ("POST", "/api/v1/schools/{uai}/classes/delete"),
    "school_pupils_move": ("POST", "/api/v1/schools/{uai}/pupils/move"),
    # -- statistics (statisticians, school staff, admins) ----------------------------------------
    "stats_applications": ("GET", "/api/v1/stats/applications"),
    # -- platform: opening calendar and maintenance (issue 21) -----------------------------------
    "opening_calendar": ("GET", "/api/v1/calendar"),
    "admin_opening_calendar_set": ("PUT", "/api/v1/admin/calendar/{school_year}"),
    "maintenance": ("GET", "/api/v1/maintenance"),
    "admin_maintenance_set": ("PUT", "/api/v1/admin/maintenance"),
}


class ApiUnavailable(Exception):
    """The gateway did not answer (down, timeout): pages say so in French."""


class ApiError(Exception):
    """A problem+json answer of the gateway."""

    def __init__(self, status: int, problem: dict | None = None):
        self.status = status
        self.problem = problem or {}
        self.detail = self.problem.get("detail") or "La demande n'a pas pu aboutir."
        self.code = self.problem.get("code")
        self.errors: dict[str, list[str]] = self.problem.get("errors") or {}
        super().__init__(f"{status} {self.detail}")


@dataclass
class ClientInfo:
    """Who is behind the browser, forwarded to the gateway for its audit trails."""
    ip: str | None = None
    user_agent: str | None = None


@dataclass
class Response:
    status: int
    data: object
    headers: dict = field(default_factory=dict)
    content: bytes = b""


_local = threading.local()


def _session() -> requests.Session:
    """One pooled HTTP session per thread (gunicorn threads share nothing mutable)."""
    s = getattr(_local, "session", None)
    if s is None:
        s = _local.session = requests.Session()
    return s


class Gateway:
    def __init__(self, token: str | None = None, client: ClientInfo | None = None, base_url: str | None = None):
        self.token = token
        self.client = client or ClientInfo()
        self.base_url = (base_url or settings.GATEWAY_URL).rstrip("/")

    def headers(self, idempotency_key: str | None = None, accept: str = "application/json") -> dict:
        h = {"Accept": accept}
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if self.client.user_agent:
            h["User-Agent"] = self.client.user_agent[:300]
        if settings.FORWARD_CLIENT_IP and self.client.ip:
            h["X-Forwarded-For"] = self.client.ip
        if idempotency_key:
            h["Idempotency-Key"] = idempotency_key
        return h

    def raw(self, name: str, *, json=None, params=None, data=None, content_type: str | None = None,
            idempotency_key: str | None = None, accept: str = "application/json", **path) -> Response:
        method, template = ENDPOINTS[name]
        url = self.base_url + template.format(**path)
        headers = self.headers(idempotency_key, accept)
        if content_type:
            headers["Content-Type"] = content_type
        if params:
            params = {k: v for k, v in params.items() if v not in (None, "", [])}
        try:
            r = _session().request(method, url, json=json, params=params, data=data, headers=headers,
                                   timeout=settings.GATEWAY_TIMEOUT)
        except requests.RequestException as exc:
            raise ApiUnavailable(str(exc)) from exc
        if r.status_code >= 400:
            try:
                problem = r.json()
            except ValueError:
                problem = {}
            if r.status_code >= 500 or not isinstance(problem, dict):
                if isinstance(problem, dict) and problem.get("code") == "maintenance":
                    raise ApiError(r.status_code, problem)   # its French message: forms and pages show it
                if r.status_code in (502, 503, 504) or not isinstance(problem, dict):
                    raise ApiUnavailable(f"{r.status_code} from {method} {template}")
            raise ApiError(r.status_code, problem)
        ctype = r.headers.get("Content-Type", "")
        body = r.json() if "json" in ctype and r.content else None
        return Response(r.status_code, body, dict(r.headers), r.content)

    def call(self, name: str, **kwargs):
        """The decoded JSON body of a successful call (``ApiError`` otherwise)."""
        return self.raw(name, **kwargs).data
