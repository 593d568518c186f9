"""Reporting and moderation of offers (issue 21): « Signaler cette offre » for anyone (visitors included), the
admins' moderation queue and decision form, and the moderation history shown on the employer's offer page."""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .. import session
from ..forms.moderation import DECISION_LABELS, REASON_LABELS, DecisionForm, ReportForm
from ..gateway import ApiError
from ..session import login_required
from .common import page


def report(request, offer_id):
    """The report form (reason radios, text): works without JavaScript; a visitor reports as well."""
    api = session.public_api(request)
    offer = api.call("offer", offer_id=str(offer_id))
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            out = api.call("offer_report", offer_id=str(offer_id), json=form.body())
        except ApiError as exc:
            if exc.status == 429:
                form.add_error(None, "Vous avez envoyé beaucoup de signalements : réessayez plus tard.")
            else:
                form.apply_api_error(exc)
        else:
            messages.success(request, "Merci : votre signalement a été transmis à l'équipe de modération."
                             if out.get("created") else "Vous aviez déjà signalé cette offre : il est en cours "
                                                        "d'examen.")
            return redirect("offer", offer_id=offer_id)
    return page(request, "moderation/report.html", "Signaler cette offre",
                crumbs=[("Rechercher un stage", reverse("search")),
                        (offer.get("title") or "Offre de stage", reverse("offer", args=[offer_id]))],
                offer=offer, form=form, status=422 if form.errors else 200)


def _labelled(item: dict) -> dict:
    counts = [(REASON_LABELS.get(k, k), n) for k, n in (item.get("counts") or {}).items() if n]
    texts = [{**t, "reason_label": REASON_LABELS.get(t.get("reason"), t.get("reason"))}
             for t in item.get("texts") or []]
    return {**item, "count_rows": counts, "texts": texts}


@login_required("admin")
def queue(request):
    data = session.api(request).call("moderation_queue", params={"page": request.GET.get("page") or 1})
    items = [_labelled(i) for i in data.get("items", [])]
    return page(request, "moderation/queue.html", "Offres signalées", data=data, items=items)


def history_rows(data: dict | None) -> list[dict]:
    return [{**h, "decision_label": h.get("decision_label") or DECISION_LABELS.get(h.get("decision"))}
            for h in (data or {}).get("items", [])]


def history_for(request, offer_id) -> dict | None:
    """The offer's moderation history for its employer's page (None when the API refuses or has none)."""
    try:
        data = session.api(request).call("offer_moderation", offer_id=str(offer_id))
    except ApiError:
        return None
    return {**data, "items": history_rows(data)}


@login_required("admin")
def decide(request, offer_id):
    from .employer import OFFER_STATE_LABELS   # employer's page imports this module (history_for)
    api = session.api(request)
    offer = api.call("offer", offer_id=str(offer_id))
    form = DecisionForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            api.call("offer_moderate", offer_id=str(offer_id), json=form.body(),
                     idempotency_key=form.cleaned_data.get("idempotency_key") or None)
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, f"Décision enregistrée : {DECISION_LABELS[form.cleaned_data['decision']]}.")
            return redirect("admin_moderation")
    queue_item = next((i for i in api.call("moderation_queue", params={"page": 1}).get("items", [])
                       if i.get("offer_id") == str(offer_id)), None)
    history = api.call("offer_moderation", offer_id=str(offer_id))
    return page(request, "moderation/decide.html", "Décider d'une offre signalée",
                crumbs=[("Offres signalées", reverse("admin_moderation"))], offer=offer, form=form,
                state_label=OFFER_STATE_LABELS.get(offer.get("state"), offer.get("state")),
                item=_labelled(queue_item) if queue_item else None, history=history_rows(history),
                status=422 if form.errors else 200)
