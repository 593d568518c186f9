"""School staff in several schools: the list of my schools and the switch of the current one
(``GET /me/schools``, ``PUT /me/school``). The new tokens replace the session's: every page then acts for
the school chosen."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .. import session
from ..gateway import ApiError
from ..session import login_required
from .common import page


@login_required("school_staff")
def my_schools(request):
    api = session.api(request)
    data = api.call("my_schools")
    error = None
    if request.method == "POST":
        uai = (request.POST.get("uai") or "").strip().upper()
        if uai not in {m["school_uai"] for m in data["items"]}:
            error = "Choisissez un de vos établissements."
        else:
            try:
                tokens = api.call("switch_school", json={"uai": uai})
            except ApiError as exc:
                error = exc.detail
            else:
                session.start(request, tokens)
                chosen = next(m for m in data["items"] if m["school_uai"] == uai)
                messages.success(request, f"Établissement courant : {chosen['name'] or uai}.")
                return redirect("school_home")
    return page(request, "memberships/my_schools.html", "Mes établissements", data=data, error=error,
                crumbs=[("Mon compte", reverse("account"))])
