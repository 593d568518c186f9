"""Admin pages (issue 17): school staff waiting for their confirmation, statisticians waiting for their
validation, failed notifications (retry one, or all of a period), an employer's offers (unpublish one). Admins log in with their TOTP code (views/auth.py asks
for it when the API says so)."""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import session
from ..forms.school import FUNCTION_LABELS, RetryPeriodForm, StatisticianValidationForm
from ..gateway import ApiError
from ..session import login_required
from .common import page
from .employer import OFFER_STATE_LABELS


@login_required("admin")
def staff(request):
    data = session.api(request).call("admin_school_staff", params={
        "school_uai": (request.GET.get("uai") or "").upper() or None, "page": request.GET.get("page") or 1})
    items = [{**m, "function_label": FUNCTION_LABELS.get(m.get("function"), m.get("function"))}
             for m in data.get("items", [])]
    return page(request, "admin/staff.html", "Personnels à confirmer", items=items, data=data)


@login_required("admin")
@require_POST
def staff_confirm(request, uai, user_id):
    try:
        out = session.api(request).call("school_staff_confirm", uai=uai.upper(), user_id=user_id)
    except ApiError as exc:
        messages.error(request, exc.detail)
    else:
        who = f"{out.get('first_name') or ''} {out.get('last_name') or ''}".strip() or "Le compte"
        extra = " Il devient le chef d'établissement désigné." if out.get("designated_now") else ""
        messages.success(request, f"{who} est confirmé.{extra}")
    return redirect("admin_staff")


@login_required("admin")
def statisticians(request):
    """The statistician accounts waiting for a validation, oldest first, each with its « Valider » button; an
    account id can also be typed (the statistician reads it on the page that activated the account)."""
    form = StatisticianValidationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_id = str(form.cleaned_data["user_id"])
        try:
            session.api(request).call("admin_validate_statistician", user_id=user_id)
        except ApiError as exc:
            if exc.status in (404, 409):   # unknown account, or not waiting for a validation
                form.add_error("user_id", exc.detail)
            else:
                form.apply_api_error(exc)
        else:
            messages.success(request, f"Le compte statisticien {user_id} est validé : son titulaire peut se "
                                      "connecter.")
            return redirect("admin_statisticians")
    data = session.api(request).call("admin_statisticians", params={"page": request.GET.get("page") or 1})
    return page(request, "admin/statisticians.html", "Statisticiens à valider", form=form, data=data,
                items=data.get("items", []), status=422 if form.errors else 200)


@login_required("admin")
def notifications(request):
    api = session.api(request)
    form = RetryPeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        body = {"from": d["start"].isoformat(),
                "to": d["end"].isoformat()}
        if d.get("channel"):
            body["channel"] = d["channel"]
        try:
            out = api.call("admin_notifications_retry", json=body)
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, f"{out['retried']} message(s) remis en envoi.")
            return redirect("admin_notifications")
    data = api.call("admin_notifications", params={"status": "failed", "page": request.GET.get("page") or 1})
    return page(request, "admin/notifications.html", "Notifications en échec", data=data, form=form,
                status=422 if form.errors else 200)


@login_required("admin")
@require_POST
def notification_retry(request, message_id):
    try:
        session.api(request).call("admin_notification_retry", message_id=message_id)
    except ApiError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Le message est remis en envoi.")
    return redirect("admin_notifications")


@login_required("admin")
def offers(request):
    """An employer's offers (by the employer's account id), each with « Dépublier » when published."""
    owner = (request.GET.get("employeur") or "").strip()
    data, error = None, None
    if owner:
        try:
            uuid.UUID(owner)
        except ValueError:
            error = "Saisissez l'identifiant du compte employeur (un UUID, par exemple celui d'une notification)."
        else:
            data = session.api(request).call("my_offers", params={"owner_id": owner,
                                                                  "page": request.GET.get("page") or 1})
            data["items"] = [{**o, "state_label": OFFER_STATE_LABELS.get(o.get("state"), o.get("state"))}
                             for o in data.get("items", [])]
    return page(request, "admin/offers.html", "Offres d'un employeur", owner=owner, data=data, error=error,
                status=422 if error else 200)


@login_required("admin")
@require_POST
def offer_unpublish(request, offer_id):
    try:
        session.api(request).call("offer_unpublish", offer_id=offer_id)
    except ApiError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "L'offre est dépubliée.")
    owner = request.POST.get("employeur") or ""
    return redirect(reverse("admin_offers") + (f"?employeur={owner}" if owner else ""))
