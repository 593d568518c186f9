"""Helpers shared by every audience's views."""
from __future__ import annotations

from django.shortcuts import render


def page(request, template: str, title: str, crumbs: list[tuple[str, str]] | None = None, status: int = 200,
         **context):
    """Render ``template`` with its title (h1 and <title>) and breadcrumbs [(label, url), ...]."""
    context.update(page_title=title, breadcrumb_data={
        "links": [{"url": url, "title": label} for label, url in (crumbs or [])],
        "current": title,
    })
    return render(request, template, context, status=status)


def registration(request, form_class, template: str, title: str, sent: str):
    """An account's registration form, for every audience: a signed-in person goes home; a valid form is sent to
    the gateway (its field errors shown next to the fields); then the « check your mailbox » page ``sent``."""
    from django.shortcuts import redirect

    from .. import session
    from ..forms.employer import PASSWORD_RULES
    from ..gateway import ApiError, Gateway

    if session.user(request):
        return redirect(session.home_for(session.user(request)["role"]))
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            Gateway(client=session.client_info(request)).call("register", json=form.body())
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            request.session["registered_email"] = form.cleaned_data["email"]
            return redirect(sent)
    return page(request, template, title, form=form, password_rules=PASSWORD_RULES)


def registration_sent(request, template: str):
    return page(request, template, "Vérifiez votre messagerie", email=request.session.get("registered_email"))
