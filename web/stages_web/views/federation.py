"""National sign-in pages: « Se connecter avec ÉduConnect » (pupils) and the agents' button (FIM), their return
addresses, the refusals explained in French, and « Lier mon compte ÉduConnect » on a pupil's account page.

The gateway does the OpenID Connect work (state, nonce, PKCE, the ID token's checks); these views only send the
browser to the provider's address the gateway gives, post back what the provider returned, and open the session
like the password login does (``session.start``). At logout, when the provider's session can be ended, the browser
goes through the provider's end-session address (``end_session_url`` kept in the session)."""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .. import session
from ..gateway import ApiError, Gateway
from ..session import client_info, login_required
from .common import page

# URL slug -> provider of the gateway, and the name of its return route
SLUGS = {"educonnect": "educonnect", "agents": "fim"}
RETURN_ROUTE = {"educonnect": "federation_return_educonnect", "fim": "federation_return_agents"}
ATTEMPT = "federation_attempt"     # the provider and purpose of the sign-in under way (session)
END_SESSION = session.PROVIDER_LOGOUT   # the provider's end-session address of a session it opened


def providers(request) -> list[str]:
    """The providers the platform offers (buttons are shown only for them); none when the gateway cannot say."""
    try:
        answer = Gateway(client=client_info(request)).call("federation_providers")
    except Exception:  # noqa: BLE001 - the login page works without these buttons
        return []
    return [p["name"] for p in answer.get("providers", [])]


def _return_uri(provider: str) -> str:
    return settings.PUBLIC_URL + reverse(RETURN_ROUTE[provider])


def _go(request, provider: str, purpose: str, api):
    try:
        answer = api.call("federation_start", provider=provider,
                          json={"redirect_uri": _return_uri(provider), "purpose": purpose})
    except ApiError as exc:
        return page(request, "federation/error.html", "Connexion impossible", status=exc.status
                    if 400 <= exc.status < 500 else 503, detail=exc.detail, provider=provider)
    request.session[ATTEMPT] = {"provider": provider, "purpose": purpose, "next": request.POST.get("next") or ""}
    return redirect(answer["authorization_url"])


@require_POST
def start(request, slug: str):
    """The button of the login page (a form: works without JavaScript, CSRF-protected)."""
    provider = SLUGS.get(slug)
    if provider is None:
        from .errors import not_found
        return not_found(request)
    return _go(request, provider, "login", Gateway(client=client_info(request)))


@require_POST
@login_required("pupil")
def link_start(request):
    """« Lier mon compte ÉduConnect » on a pupil's account page."""
    return _go(request, "educonnect", "link", session.api(request))


def back(request, slug: str):
    """Where the provider sends the browser back: ?code=…&state=… (or ?error=… when the person gave up)."""
    provider = SLUGS[slug]
    attempt = request.session.pop(ATTEMPT, None) or {}
    purpose = attempt.get("purpose") if attempt.get("provider") == provider else "login"
    if request.GET.get("error") or not request.GET.get("code") or not request.GET.get("state"):
        return page(request, "federation/error.html", "Connexion interrompue", status=400, provider=provider,
                    detail="La connexion n'a pas abouti chez le fournisseur d'identité. Vous pouvez recommencer.")
    body = {"code": request.GET["code"], "state": request.GET["state"]}
    if request.GET.get("iss"):
        body["iss"] = request.GET["iss"]
    linking = purpose == "link" and session.user(request)
    api = session.api(request) if linking else Gateway(client=client_info(request))
    try:
        answer = api.call("federation_callback", provider=provider, json=body)
    except ApiError as exc:
        return _refused(request, provider, exc)
    if linking:
        messages.success(request, "Votre compte est lié à ÉduConnect : vous pourrez vous connecter avec lui.")
        return redirect("account")
    session.start(request, answer)
    end = (answer.get("federation") or {}).get("end_session_url")
    if end:   # session.start emptied it: a later login in this browser does not inherit it
        request.session[END_SESSION] = end
    nxt = attempt.get("next") or ""
    if not (nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                                    require_https=request.is_secure())):
        nxt = session.home_for(answer["user"]["role"])
    return redirect(nxt)


def _refused(request, provider: str, exc: ApiError):
    # the person is still signed in at the provider: the refusal pages offer to end that session
    end = exc.problem.get("end_session_url")
    if exc.code == "federation_parent":
        return page(request, "federation/parent.html", "Cet espace est réservé aux élèves", status=403,
                    detail=exc.detail, end_session_url=end)
    if exc.code == "federation_unknown_school":
        return page(request, "federation/unknown_school.html", "Votre établissement n'est pas encore raccordé",
                    status=403, detail=exc.detail, provider=provider, end_session_url=end)
    if exc.code == "federation_already_linked":
        messages.error(request, exc.detail)
        return redirect("account")
    status = exc.status if 400 <= exc.status < 500 else 503
    return page(request, "federation/error.html", "Connexion impossible", status=status, detail=exc.detail,
                provider=provider, end_session_url=end)


def end_session_url(request) -> str | None:
    """The provider's end-session address of this session, if it was opened through one (read before logout)."""
    return request.session.get(END_SESSION) if request.session.get(session.KEY) else None
