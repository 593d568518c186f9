"""The user's session: tokens stay here, on the server (in Redis); the browser holds only the cookie.

- ``start(request, tokens)`` after a login (or a pupil activation) stores the tokens and the user;
- ``api(request)`` is a ``Gateway`` acting for the user: it refreshes the access token shortly before it
  expires (and once more on a 401), under a per-session lock so that two parallel requests never spend
  the same single-use refresh token;
- when the refresh fails, ``SessionEnded`` is raised: the middleware empties the session and sends the
  user to the login page with a French message;
- ``login_required(*roles)`` protects a view.
"""
from __future__ import annotations

import functools
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.shortcuts import redirect
from django.utils.module_loading import import_string

from .gateway import ApiError, ClientInfo, Gateway

KEY = "auth"
PROVIDER_LOGOUT = "federation_end_session_url"   # set by views/federation.py for a session ÉduConnect/FIM opened
REFRESH_MARGIN = 60  # seconds before expiry at which the access token is renewed


class SessionEnded(Exception):
    """The platform no longer accepts this session (refresh refused, account disabled...)."""


def client_info(request) -> ClientInfo:
    ip = request.META.get("REMOTE_ADDR")
    if settings.TRUST_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            ip = forwarded.split(",")[0].strip()
    return ClientInfo(ip=ip, user_agent=request.META.get("HTTP_USER_AGENT", ""))


def _auth_from_tokens(tokens: dict) -> dict:
    user = tokens.get("user") or {}
    return {
        "access_token": tokens["access_token"],
        "refresh_token": tokens["refresh_token"],
        "expires_at": time.time() + int(tokens.get("expires_in") or 900),
        "user": {k: user.get(k) for k in ("id", "role", "status", "first_name", "last_name", "function",
                                          "school_uai", "grade", "class_name", "organisation_name")},
    }


def start(request, tokens: dict) -> None:
    """A new session for the user the gateway just authenticated (new session key: no fixation)."""
    request.session.cycle_key()
    request.session.pop(PROVIDER_LOGOUT, None)   # a new session: not the previous one's provider
    request.session[KEY] = _auth_from_tokens(tokens)


def user(request) -> dict | None:
    auth = request.session.get(KEY)
    return auth["user"] if auth else None


def end(request) -> None:
    """Revoke the refresh token at the gateway (best effort) and empty the session."""
    auth = request.session.get(KEY)
    if auth:
        try:
            Gateway(client=client_info(request)).call("logout", json={"refresh_token": auth["refresh_token"]})
        except Exception:  # noqa: BLE001 - the session ends here whatever the gateway says
            pass
    request.session.flush()


def public_api(request) -> Gateway:
    """A Gateway for anonymous calls (with the user's token when there is one, for optional-auth routes)."""
    auth = request.session.get(KEY)
    if auth:
        return api(request)
    return Gateway(client=client_info(request))


def _refresh(request) -> dict:
    """Renew the tokens once per session, whoever asks first; the others adopt the result."""
    session_key = request.session.session_key
    lock = f"refresh-lock:{session_key}"
    for _ in range(50):
        if cache.add(lock, "1", timeout=10):
            break
        time.sleep(0.1)
    try:
        # another request of this session may have refreshed while we waited: read the store again
        stored = request.session.__class__(session_key).get(KEY)
        current = request.session.get(KEY)
        if stored and current and stored["refresh_token"] != current["refresh_token"]:
            request.session[KEY] = stored
            return stored
        if not current:
            raise SessionEnded()
        try:
            tokens = Gateway(client=client_info(request)).call(
                "refresh", json={"refresh_token": current["refresh_token"]})
        except ApiError as exc:
            if exc.status in (400, 401, 403, 404, 409, 422):
                raise SessionEnded() from exc
            raise
        auth = _auth_from_tokens(tokens)
        request.session[KEY] = auth
        request.session.save()
        return auth
    finally:
        cache.delete(lock)


class UserGateway(Gateway):
    """A Gateway acting for the logged-in user; renews the tokens as needed."""

    def __init__(self, request):
        self.request = request
        auth = request.session.get(KEY)
        if not auth:
            raise SessionEnded()
        if auth["expires_at"] - REFRESH_MARGIN < time.time():
            auth = _refresh(request)
        super().__init__(token=auth["access_token"], client=client_info(request))

    def raw(self, name, **kwargs):
        try:
            return super().raw(name, **kwargs)
        except ApiError as exc:
            if exc.status != 401:
                raise
        auth = _refresh(self.request)  # revoked or expired early: one more try with new tokens
        self.token = auth["access_token"]
        try:
            return super().raw(name, **kwargs)
        except ApiError as exc:
            if exc.status == 401:
                raise SessionEnded() from exc
            raise


def api(request) -> UserGateway:
    return UserGateway(request)


def login_url(next_path: str | None = None) -> str:
    from django.urls import reverse
    url = reverse("login")
    return f"{url}?{urlencode({'next': next_path})}" if next_path else url


def home_for(role: str | None) -> str:
    """Where a user lands after logging in (each audience registers its home in HOMES)."""
    from django.urls import reverse
    return reverse(HOMES.get(role or "", "home"))


# Each audience's landing page after login (URL names).
HOMES = {
    "pupil": "pupil:applications",
    "employer": "employer:home",
    "statistician": "stats",
    "school_staff": "school_home",
    "admin": "admin_staff",
}


def login_required(*roles: str):
    """Views for logged-in users (of these roles, when given)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            u = user(request)
            if not u:
                messages.info(request, "Connectez-vous pour accéder à cette page.")
                return redirect(login_url(request.get_full_path()))
            if roles and u["role"] not in roles:
                from .views.errors import forbidden
                return forbidden(request)
            return view(request, *args, **kwargs)
        return wrapper
    return decorate


class SessionEndedMiddleware:
    """Turns ``SessionEnded`` into a clean logout; ``ApiUnavailable`` into a French 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from .gateway import ApiUnavailable
        if isinstance(exception, SessionEnded):
            request.session.flush()
            messages.warning(request, "Votre session a pris fin. Reconnectez-vous pour continuer.")
            return redirect(login_url(request.get_full_path() if request.method == "GET" else None))
        if isinstance(exception, ApiUnavailable):
            return import_string("stages_web.views.errors.unavailable")(request)
        if isinstance(exception, ApiError):
            from .views import errors
            if exception.status in (403, 404):
                return (errors.forbidden if exception.status == 403 else errors.not_found)(request, exception.detail)
            return errors.refused(request, exception)  # any other refusal: its French detail, never a 500
        return None
