"""Employers' spaces: « Mon espace » (members, invitation of a colleague, leaving, removing a member, switching
space) and the invitation's page named by the e-mail (join with one's employer account, or create it)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import session
from ..forms.spaces import InviteForm, JoinForm
from ..gateway import ApiError, Gateway
from ..session import login_required
from .common import page


def _renew(request) -> None:
    """The next access token carries the new current space."""
    session._refresh(request)


@login_required("employer")
def space(request):
    api = session.api(request)
    mine = api.call("my_spaces")
    current = api.call("space", space_id=mine["current_space_id"])
    form = InviteForm(request.POST or None)
    if request.method == "POST" and current["my_role"] == "owner" and form.is_valid():
        try:
            done = api.call("space_invite", space_id=current["id"], json=form.cleaned_data)
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, f"Invitation envoyée à {done['email']}.")
            return redirect("spaces")
    me = session.user(request)["id"]
    return page(request, "spaces/space.html", "Mon espace", space=current, spaces=mine["items"], form=form, me=me,
                crumbs=[("Mon compte", reverse("account"))])


@require_POST
@login_required("employer")
def remove(request, space_id, user_id):
    """Leave (oneself) or remove a member (the owner)."""
    api = session.api(request)
    try:
        api.call("space_remove_member", space_id=str(space_id), user_id=str(user_id))
    except ApiError as exc:
        messages.error(request, exc.detail)
        return redirect("spaces")
    if str(user_id) == session.user(request)["id"]:
        _renew(request)
        messages.success(request, "Vous avez quitté l'espace : vous travaillez de nouveau dans votre espace personnel.")
    else:
        messages.success(request, "Le membre a été retiré de l'espace.")
    return redirect("spaces")


@require_POST
@login_required("employer")
def switch(request):
    try:
        session.api(request).call("switch_space", json={"space_id": request.POST.get("space_id", "")})
    except ApiError as exc:
        messages.error(request, exc.detail)
    else:
        _renew(request)
        messages.success(request, "Vous travaillez maintenant dans cet espace.")
    return redirect("spaces")


def invitation(request):
    """The link of the invitation e-mail: /espaces/invitation?token=… (reading it spends nothing)."""
    token = request.POST.get("token") or request.GET.get("token") or ""
    user = session.user(request)
    info = error = None
    form = JoinForm(request.POST if request.POST.get("step") == "create" else None)
    if not token:
        error = "Ce lien d'invitation est incomplet. Copiez l'adresse complète reçue par e-mail."
    else:
        try:
            info = Gateway(client=session.client_info(request)).call("space_invitation_read", json={"token": token})
        except ApiError as exc:
            error = exc.detail
    if info and request.method == "POST":
        step = request.POST.get("step")
        try:
            if step == "join" and user and user["role"] == "employer":
                session.api(request).call("space_invitation_accept", json={"token": token})
                _renew(request)
                messages.success(request, f"Vous avez rejoint l'espace « {info['space_name']} ».")
                return redirect("spaces")
            if step == "create" and not user and form.is_valid():
                Gateway(client=session.client_info(request)).call("space_invitation_join", json=form.body(token))
                messages.success(request, "Votre compte est créé et vous avez rejoint l'espace : connectez-vous.")
                return redirect("login")
        except ApiError as exc:
            if step == "create":
                form.apply_api_error(exc)
            else:
                error = exc.detail
    login_next = f"{reverse('login')}?next={request.path}%3Ftoken%3D{token}"
    return page(request, "spaces/invitation.html", "Rejoindre un espace employeur", token=token, info=info,
                error=error, form=form, user=user, login_next=login_next)
