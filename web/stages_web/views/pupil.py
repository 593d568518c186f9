"""Pupils: apply, « Mes candidatures », one application (confirm, cancel)."""
from __future__ import annotations

from ..session import login_required
from .common import page


@login_required("pupil")
def apply(request, offer_id):
    return page(request, "pupil/apply.html", "Candidater")


@login_required("pupil")
def applications(request):
    return page(request, "pupil/applications.html", "Mes candidatures")


@login_required("pupil")
def application(request, application_id):
    return page(request, "pupil/application.html", "Ma candidature")
