"""« Supprimer mon compte » (docs/privacy.md): the platform tells whether an agreement in progress holds the
deletion and until when; otherwise the password confirms it and the account is anonymised at once. And the
administrators' end-of-year rollover: start (or resume) it, follow its progress."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .. import session
from ..forms.lifecycle import DeleteAccountForm, RolloverForm
from ..gateway import ApiError
from ..session import login_required
from .common import page


@login_required()
def delete_account(request):
    api = session.api(request)
    status = api.call("account_deletion")
    form = DeleteAccountForm(request.POST or None)
    if request.method == "POST" and status["status"] != "held" and form.is_valid():
        try:
            api.call("account_deletion_confirm", json={"password": form.cleaned_data["password"]})
        except ApiError as exc:
            if exc.code == "deletion_held":
                status = {"status": "held", "message": exc.detail, "held_until": exc.problem.get("held_until")}
            else:
                form.apply_api_error(exc)
        else:
            request.session.flush()   # every session was closed by the platform
            messages.success(request, "Votre compte est supprimé et vos données personnelles anonymisées. "
                                      "Un e-mail de confirmation vous a été envoyé.")
            return redirect("home")
    return page(request, "lifecycle/delete_account.html", "Supprimer mon compte", deletion=status, form=form,
                crumbs=[("Mon compte", reverse("account"))])


@login_required("admin")
def rollover(request):
    """Start or resume the rollover of a finished school year (POST), and its progress (``?annee=``)."""
    api = session.api(request)
    form = RolloverForm(request.POST or request.GET or None)
    report = None
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["school_year"]
        try:
            if request.method == "POST":
                report = api.call("rollover_start", school_year=year)
                messages.success(request, "Passage à l'année suivante terminé." if report["status"] == "finished"
                                 else "Passage à l'année suivante interrompu : relancez-le pour le reprendre.")
                return redirect(f"{reverse('admin_rollover')}?school_year={year}")
            report = api.call("rollover_progress", school_year=year)
        except ApiError as exc:
            form.apply_api_error(exc)
    return page(request, "lifecycle/rollover.html", "Passage à l'année scolaire suivante", form=form, report=report,
                status=422 if form.errors else 200)
