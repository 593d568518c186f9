"""« Supprimer mon compte » (docs/privacy.md): the platform tells whether an agreement in progress holds the
deletion and until when; otherwise the password confirms it and the account is anonymised at once."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .. import session
from ..forms.lifecycle import DeleteAccountForm
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
