"""Login, logout, account activation (e-mail link, pupil code), password reset and change, the
account page, notifications and notification preferences: pages every audience uses."""
from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .. import session
from ..forms.auth import ChangePasswordForm, EmailForm, LoginForm, NewPasswordForm, PupilAccountForm, PupilCodeForm
from ..gateway import ApiError, Gateway
from ..session import client_info, login_required
from . import federation
from .common import page


def _safe_next(request, default: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                              require_https=request.is_secure()):
        return nxt
    return default


def login(request):
    form = LoginForm(request.POST or None, ask_totp="totp_code" in request.POST)
    if request.method == "POST" and form.is_valid():
        try:
            tokens = Gateway(client=client_info(request)).call("login", json=form.body())
        except ApiError as exc:
            if exc.code == "totp_required":  # an administrator: the same form, with the TOTP code
                form = LoginForm(request.POST, ask_totp=True)
                form.is_valid()
                form.add_error("totp_code", exc.detail)
            else:
                form.apply_api_error(exc)
        else:
            session.start(request, tokens)
            return redirect(_safe_next(request, session.home_for(tokens["user"]["role"])))
    return page(request, "auth/login.html", "Se connecter", form=form, next=request.GET.get("next", ""),
                federation=federation.providers(request))


@require_POST
def logout(request):
    provider_logout = federation.end_session_url(request)  # the session came from ÉduConnect or FIM
    session.end(request)
    messages.success(request, "Vous êtes déconnecté.")
    return redirect(provider_logout) if provider_logout else redirect("home")


def activation(request):
    """The link of the activation e-mail: /activation?token=… (a button, so that mail scanners that open
    links do not spend the single-use token)."""
    token = request.POST.get("token") or request.GET.get("token") or ""
    result = error = None
    if request.method == "POST":
        try:
            result = Gateway(client=client_info(request)).call("activate", json={"token": token})
        except ApiError as exc:
            error = exc.errors.get("token", [exc.detail])[0] if exc.errors else exc.detail
    elif not token:
        error = "Ce lien d'activation est incomplet. Copiez l'adresse complète reçue par e-mail."
    return page(request, "auth/activation.html", "Activer mon compte", token=token, result=result, error=error)


def resend_activation(request):
    form = EmailForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        try:
            done = Gateway(client=client_info(request)).call("resend_activation", json=form.cleaned_data)
        except ApiError as exc:
            form.apply_api_error(exc)
    return page(request, "auth/resend_activation.html", "Recevoir un nouveau lien d'activation", form=form,
                done=done)


def pupil_activate(request):
    """Step 1 of 2: the code of the school's sheet."""
    form = PupilCodeForm(request.POST or None, initial={"code": request.GET.get("code", "")})
    if request.method == "POST" and form.is_valid():
        request.session["pupil_code"] = form.cleaned_data["code"]
        return redirect("pupil_activate_account")
    return page(request, "auth/pupil_activate.html", "Activer mon compte élève", form=form, step=1)


def pupil_activate_account(request):
    """Step 2 of 2: e-mail and password; the gateway checks the code and opens a session."""
    code = request.session.get("pupil_code")
    if not code:
        return redirect("pupil_activate")
    form = PupilAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        body = {"code": code, "password": form.cleaned_data["password"],
                "email": form.cleaned_data.get("email") or None}
        try:
            tokens = Gateway(client=client_info(request)).call("pupil_activate", json=body)
        except ApiError as exc:
            if "code" in exc.errors or exc.code in ("code_used", "code_expired") or exc.status == 404:
                request.session.pop("pupil_code", None)
                back = PupilCodeForm(initial={"code": code})
                back.is_bound = False
                msgs = exc.errors.get("code") or [exc.detail]
                messages.error(request, msgs[0])
                return redirect("pupil_activate")
            form.apply_api_error(exc)
        else:
            request.session.pop("pupil_code", None)
            session.start(request, tokens)
            messages.success(request, "Votre compte est activé. Bienvenue !")
            return redirect("search")
    return page(request, "auth/pupil_activate.html", "Activer mon compte élève", form=form, step=2,
                crumbs=[("Activer mon compte élève", reverse("pupil_activate"))])


def password_reset(request):
    form = EmailForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        try:
            done = Gateway(client=client_info(request)).call("password_reset", json=form.cleaned_data)
        except ApiError as exc:
            form.apply_api_error(exc)
    return page(request, "auth/password_reset.html", "Mot de passe oublié", form=form, done=done,
                crumbs=[("Se connecter", reverse("login"))])


def password_reset_confirm(request):
    """The link of the reset e-mail: /mot-de-passe/nouveau?token=…"""
    token = request.POST.get("token") or request.GET.get("token") or ""
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            Gateway(client=client_info(request)).call(
                "password_reset_confirm", json={"token": token, "password": form.cleaned_data["password"]})
        except ApiError as exc:
            if "token" in exc.errors or exc.status in (404, 409):
                form.add_error(None, (exc.errors.get("token") or [exc.detail])[0])
            else:
                form.apply_api_error(exc)
        else:
            messages.success(request, "Votre mot de passe est changé. Connectez-vous avec le nouveau.")
            return redirect("login")
    return page(request, "auth/password_new.html", "Choisir un nouveau mot de passe", form=form, token=token,
                crumbs=[("Se connecter", reverse("login"))])


# -- the account (every logged-in user) ------------------------------------------------------

@login_required()
def account(request):
    me = session.api(request).call("me")
    linkable = me.get("role") == "pupil" and "educonnect" in federation.providers(request)
    return page(request, "auth/account.html", "Mon compte", me=me, educonnect_linkable=linkable)


@login_required()
def change_password(request):
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session.api(request).call("change_password", json={
                "current_password": form.cleaned_data["current_password"],
                "new_password": form.cleaned_data["password"]})
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            # every session was closed by the platform, this one too: log in again
            request.session.flush()
            messages.success(request, "Votre mot de passe est changé. Reconnectez-vous avec le nouveau.")
            return redirect("login")
    return page(request, "auth/password_change.html", "Changer mon mot de passe", form=form,
                crumbs=[("Mon compte", reverse("account"))])


@login_required()
def my_data(request):
    """Everything the platform holds about me, as a JSON file to download."""
    data = session.api(request).call("my_data")
    resp = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8")
    resp["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    return resp


@login_required()
def notifications(request):
    api = session.api(request)
    if request.method == "POST":
        if request.POST.get("all"):
            api.call("notifications_read_all")
        elif request.POST.get("notification_id"):
            api.call("notification_read", notification_id=request.POST["notification_id"])
        return redirect("notifications")
    data = api.call("notifications", params={"page": request.GET.get("page") or 1})
    return page(request, "auth/notifications.html", "Mes notifications", data=data)


@login_required()
def preferences(request):
    api = session.api(request)
    prefs = api.call("notification_preferences")
    error = None
    if request.method == "POST":
        body = _preferences_body(prefs, request.POST)
        try:
            prefs = api.call("set_notification_preferences", json=body)
        except ApiError as exc:
            error = exc.detail
        else:
            messages.success(request, "Vos préférences sont enregistrées.")
            return redirect("preferences")
    rows = [{"category": c, "label": CATEGORY_LABELS.get(c, c), "email": prefs["email"].get(c, True),
             "sms": prefs["sms"].get(c, True)} for c in prefs.get("categories", [])]
    return page(request, "auth/preferences.html", "Mes préférences de notification", rows=rows, error=error,
                crumbs=[("Mon compte", reverse("account"))])


CATEGORY_LABELS = {
    "account": "Mon compte", "applications": "Candidatures", "conventions": "Conventions de stage",
    "offers": "Offres", "reminders": "Rappels", "school": "Établissement",
}


def _preferences_body(prefs: dict, post) -> dict:
    return {channel: {cat: bool(post.get(f"{channel}:{cat}")) for cat in prefs.get("categories", [])}
            for channel in ("email", "sms")}
