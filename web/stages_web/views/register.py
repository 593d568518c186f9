"""The school's page for the national pupil register and its 3e internship weeks (issue 20): whether the school
uses the register, its imports (on request and nightly) with their reports and a button to import now; the weeks
during which its 3e pupils do their internship."""
from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from .. import session
from ..forms.register import InternshipWeeksForm, RegisterImportForm
from ..gateway import ApiError
from ..session import login_required
from ..templatetags.stages import iso_week_label
from .common import page

TRIGGERS = {"request": "à la demande", "nightly": "nuit"}
STATUSES = {"queued": "en attente", "running": "en cours", "done": "terminé",
            "failed": "échec : le registre n'a pas répondu"}


def first_open_week(today: dt.date) -> str:
    """The first week a school may still usefully declare: this one until its Friday, the next from Saturday on
    (a week is past once its Friday is over, as identity's ``restricting`` counts it: common.weeks.week_is_past)."""
    if today.isoweekday() > 5:
        today += dt.timedelta(days=7)
    return "%d-W%02d" % today.isocalendar()[:2]


def _week_choices(api, declared: list[str]) -> list[tuple[str, str]]:
    """The collège weeks of this school year and the next (not past), and any declared week beside them."""
    this_week = first_open_week(timezone.localdate())
    current = api.call("calendar")
    start = int(current["school_year"][:4])
    following = api.call("calendar", params={"school_year": f"{start + 1}-{start + 2}"})
    weeks = {w for cal in (current, following) for w in cal["college"]["weeks"] if w >= this_week} | set(declared)
    return [(w, iso_week_label(w)) for w in sorted(weeks)]


@login_required("school_staff", "admin")
def register(request, uai):
    uai = uai.upper()
    api = session.api(request)
    declared = api.call("school_internship_weeks", uai=uai)
    weeks_form = InternshipWeeksForm(request.POST if request.POST.get("form") == "weeks" else None,
                                     weeks=_week_choices(api, declared["weeks"]),
                                     initial={"weeks": declared["weeks"]})
    if request.method == "POST" and request.POST.get("form") == "weeks" and weeks_form.is_valid():
        try:
            api.call("school_internship_weeks_set", uai=uai, json=weeks_form.body())
        except ApiError as exc:
            weeks_form.apply_api_error(exc)
        else:
            messages.success(request, "Les semaines de stage de 3e sont enregistrées.")
            return redirect("school_pupil_register", uai=uai)
    if request.method == "POST" and request.POST.get("form") == "connect":   # admins (the API checks it again)
        connect = request.POST.get("connected") == "1"
        try:
            api.call("admin_school_register", uai=uai, json={"connected": connect})
        except ApiError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "L'établissement est relié au registre national des élèves." if connect
                             else "L'établissement n'est plus relié au registre national des élèves.")
        return redirect("school_pupil_register", uai=uai)
    if request.method == "POST" and request.POST.get("form") == "import":
        try:
            api.call("school_register_import", uai=uai, idempotency_key=request.POST.get("idempotency_key") or None)
        except ApiError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Import demandé : il est fait dans les secondes qui suivent. Rechargez la page "
                                      "pour voir son compte rendu ci-dessous.")
        return redirect("school_pupil_register", uai=uai)
    imports = api.call("school_register_imports", uai=uai, params={"limit": 20})
    runs = [{**r, "trigger_label": TRIGGERS.get(r["trigger"], r["trigger"]),
             "status_label": STATUSES.get(r["status"], r["status"])} for r in imports["items"]]
    return page(request, "register/school.html", "Registre des élèves et semaines de stage",
                crumbs=[("Élèves", reverse("school_pupils", args=[uai]))], uai=uai,
                connected=imports["connected"], runs=runs, weeks_form=weeks_form,
                restricting=[iso_week_label(w) for w in declared["restricting"]],
                import_form=RegisterImportForm(initial={"idempotency_key": uuid.uuid4().hex}))
