"""Pupils: apply, « Mes candidatures », one application (confirm, cancel, restore, nudge)."""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import session
from ..forms.pupil import ApplyForm, CancelForm
from ..gateway import ApiError
from ..session import login_required
from ..templatetags.stages import iso_week_label
from .common import page


def _me(request) -> dict:
    me = request.session.get("pupil_me")
    if me is None:
        me = session.api(request).call("me")
        request.session["pupil_me"] = {k: me.get(k) for k in ("email", "phone", "grade", "first_name", "last_name")}
        me = request.session["pupil_me"]
    return me


@login_required("pupil")
def apply(request, offer_id):
    api = session.api(request)
    offer = api.call("offer", offer_id=str(offer_id))
    me = _me(request)
    weeks = None
    if me.get("grade") != "seconde":
        this_week = "%d-W%02d" % timezone.localdate().isocalendar()[:2]
        weeks = [(w, iso_week_label(w)) for w in offer.get("offer_weeks") or [] if w > this_week]
    crumbs = [("Rechercher un stage", reverse("search")), (offer.get("title") or "Offre", reverse("offer", args=[offer_id]))]
    if not offer.get("can_apply"):   # before the application date: when it opens (opening calendar)
        messages.error(request, (offer.get("applications_open") or {}).get("message")
                       or "Cette offre n'accepte pas votre candidature (niveau, places ou dates).")
        return redirect("offer", offer_id=offer_id)
    if request.method == "POST":
        form = ApplyForm(request.POST, weeks=weeks)
        if form.is_valid():
            try:
                created = api.call("apply", offer_id=str(offer_id), json=form.body(),
                                   idempotency_key=form.cleaned_data["idempotency_key"])
            except ApiError as exc:
                form.apply_api_error(exc)
            else:
                messages.success(request, "Votre candidature est envoyée. L'entreprise a 15 jours pour vous répondre.")
                return redirect("pupil:application", application_id=created["id"])
    else:
        form = ApplyForm(weeks=weeks, initial={"idempotency_key": uuid.uuid4().hex, "email": me.get("email"),
                                               "phone": me.get("phone")})
    return page(request, "pupil/apply.html", "Candidater", crumbs=crumbs, form=form, offer=offer)


@login_required("pupil")
def applications(request):
    data = session.api(request).call("applications", params={"page": request.GET.get("page") or 1,
                                                              "per_page": 50})
    return page(request, "pupil/applications.html", "Mes candidatures", data=data)


ACTIONS = {
    "confirm": ("application_confirm", "Votre stage est confirmé. Vos autres candidatures sont annulées."),
    "cancel": ("application_cancel", "Votre candidature est annulée."),
    "restore": ("application_restore", "Votre candidature est restaurée."),
    "nudge": ("application_nudge", "L'entreprise a reçu votre relance."),
}


@login_required("pupil")
def application(request, application_id):
    api = session.api(request)
    app = api.call("application", application_id=str(application_id))
    return page(request, "pupil/application.html", app.get("offer_title") or "Ma candidature",
                crumbs=[("Mes candidatures", reverse("pupil:applications"))], app=app, cancel_form=CancelForm())


@login_required("pupil")
@require_POST
def act(request, application_id, action):
    if action not in ACTIONS:
        return redirect("pupil:application", application_id=application_id)
    name, done = ACTIONS[action]
    body = None
    if action == "cancel":
        form = CancelForm(request.POST)
        body = {"reason": form.data.get("reason") or None} if form.is_valid() else {}
        body = {k: v for k, v in body.items() if v}
    try:
        session.api(request).call(name, application_id=str(application_id), json=body)
    except ApiError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect("pupil:application", application_id=application_id)
