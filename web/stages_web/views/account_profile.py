"""One's own profile (every audience): « Modifier mes informations », « Changer d'adresse e-mail » (and the page
the confirmation e-mail names), « Changer de numéro » (the SMS code)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .. import session
from ..forms.account_profile import NewEmailForm, NewPhoneForm, PhoneCodeForm, ProfileForm
from ..gateway import ApiError
from ..session import login_required
from .common import page

PHONE_PENDING = "phone_change_pending"   # session flag: a code was sent, show the code form


def _crumbs():
    return [("Mon compte", reverse("account"))]


@login_required()
def edit(request):
    api = session.api(request)
    me = api.call("me")
    initial = {k: me.get(k) for k in ("first_name", "last_name", "function", "job_title")}
    form = ProfileForm(request.POST or None, role=me["role"], initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            api.call("update_profile", json=form.body())
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, "Vos informations sont enregistrées.")
            return redirect("account")
    return page(request, "page.html", "Modifier mes informations", form=form, submit="Enregistrer",
                crumbs=_crumbs())


@login_required()
def change_email(request):
    form = NewEmailForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        try:
            done = session.api(request).call("request_email_change", json=form.cleaned_data)
        except ApiError as exc:
            form.apply_api_error(exc)
    return page(request, "account_profile/email.html", "Changer d'adresse e-mail", form=form, done=done,
                crumbs=_crumbs())


def confirm_email(request):
    """The link of the confirmation e-mail: /compte/adresse/confirmer?token=… (a button, so that mail scanners
    opening links do not spend the single-use token). Works logged in or not."""
    token = request.POST.get("token") or request.GET.get("token") or ""
    result = error = None
    if request.method == "POST":
        api = session.api(request) if session.user(request) else None
        try:
            if api is not None:
                result = api.call("confirm_email_change", json={"token": token})
            else:
                from ..gateway import Gateway
                result = Gateway(client=session.client_info(request)).call("confirm_email_change",
                                                                           json={"token": token})
        except ApiError as exc:
            error = exc.errors.get("token", [exc.detail])[0] if exc.errors else exc.detail
    elif not token:
        error = "Ce lien de confirmation est incomplet. Copiez l'adresse complète reçue par e-mail."
    return page(request, "account_profile/email_confirm.html", "Confirmer ma nouvelle adresse e-mail",
                token=token, result=result, error=error)


@login_required()
def change_phone(request):
    api = session.api(request)
    step = request.POST.get("step")
    phone_form = NewPhoneForm(request.POST if step == "phone" else None)
    code_form = PhoneCodeForm(request.POST if step == "code" else None)
    sent = None
    if step == "phone" and phone_form.is_valid():
        try:
            sent = api.call("request_phone_change", json=phone_form.cleaned_data)
        except ApiError as exc:
            phone_form.apply_api_error(exc)
        else:
            request.session[PHONE_PENDING] = True
    elif step == "code" and code_form.is_valid():
        try:
            api.call("confirm_phone_change", json=code_form.cleaned_data)
        except ApiError as exc:
            code_form.apply_api_error(exc)
        else:
            request.session.pop(PHONE_PENDING, None)
            messages.success(request, "Votre numéro de mobile est modifié.")
            return redirect("account")
    return page(request, "account_profile/phone.html", "Changer de numéro de mobile", phone_form=phone_form,
                code_form=code_form, sent=sent, pending=request.session.get(PHONE_PENDING), crumbs=_crumbs())
