"""Admin pages of the platform's switches (issue 21): the opening calendar of a school year and the
maintenance mode (its notice on every page: ``stages_web/maintenance.py``)."""
from __future__ import annotations

import re

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .. import maintenance as notice
from .. import session
from ..forms.platform import GRADES, KINDS, MaintenanceForm, OpeningCalendarForm, local_value
from ..gateway import ApiError
from ..session import login_required
from .common import page

YEAR = re.compile(r"^(\d{4})-(\d{4})$")


def _next_year(year: str) -> str:
    start = int(year[:4]) + 1
    return f"{start}-{start + 1}"


@login_required("admin")
def calendar(request):
    """A year's opening dates (the running year by default, or ``?annee=``), pre-filled with the stored or the
    proposed dates."""
    api = session.api(request)
    asked = request.GET.get("annee") or ""
    current = api.call("opening_calendar")
    data = api.call("opening_calendar", params={"school_year": asked}) \
        if YEAR.match(asked) and asked != current["school_year"] else current
    year = data["school_year"]
    form = OpeningCalendarForm(request.POST or None, initial=OpeningCalendarForm.initial_from(data))
    if request.method == "POST" and form.is_valid():
        try:
            api.call("admin_opening_calendar_set", school_year=year, json=form.body())
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, f"Le calendrier d'ouverture {year} est enregistré.")
            return redirect(reverse("admin_calendar") + f"?annee={year}")
    rows = [{"grade": label, "open": data["open"][g]} for g, label in GRADES]
    years = [current["school_year"], _next_year(current["school_year"])]
    return page(request, "platform/calendar.html", "Calendrier d'ouverture", form=form, data=data, rows=rows,
                years=years, kinds=KINDS, status=422 if form.errors else 200)


@login_required("admin")
def maintenance(request):
    """Turn maintenance on (message and announced end) or off."""
    api = session.api(request)
    action = request.POST.get("action") if request.method == "POST" else None
    state = api.call("maintenance")
    initial = {"message": state.get("message"), "ends_at": local_value(state.get("ends_at"))} \
        if state.get("active") else {}
    form = MaintenanceForm(request.POST if action == "on" else None, initial=initial)
    if action == "off":
        try:
            api.call("admin_maintenance_set", json={"active": False})
        except ApiError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "La maintenance est terminée : les modifications sont de nouveau possibles.")
        notice.forget()
        return redirect("admin_maintenance")
    if action == "on" and form.is_valid():
        try:
            api.call("admin_maintenance_set", json=form.body())
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, "La maintenance est activée : les modifications sont suspendues.")
            notice.forget()
            return redirect("admin_maintenance")
    return page(request, "platform/maintenance.html", "Mode maintenance", form=form, state=state,
                status=422 if form.errors else 200)
