"""Back-office pages (issue 21). Admins: « Utilisateurs » (search, then an account's page: state, sessions,
journal, actions with a reason and a confirmation), « Établissements » (search, create, correct, change the
designated head), « Journal d'administration ». School staff: their school's classes (create, rename, delete)
and moving pupils between classes in bulk. Every page works without JavaScript."""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .. import session
from ..forms.backoffice import (AuditFilterForm, ClassForm, HeadForm, MovePupilsForm, RenameClassForm, ROLE_LABELS,
                                STATUS_LABELS, SchoolForm, SchoolSearchForm, UserActionForm, UserSearchForm)
from ..gateway import ApiError
from ..session import login_required
from .common import page

ADMIN_CRUMB = ("Utilisateurs", "/administration/utilisateurs")
USER_ACTIONS = {"lock": ("admin_user_lock", "Le compte est verrouillé : ses sessions sont fermées."),
                "unlock": ("admin_user_unlock", "Le compte est déverrouillé."),
                "resend_activation": ("admin_user_resend_activation", "Un nouveau lien d'activation a été envoyé."),
                "end_sessions": ("admin_user_end_sessions", "Toutes les sessions du compte sont fermées.")}


def _has_next(data: dict | None) -> bool:
    return bool(data) and data.get("page", 1) * data.get("page_size", 50) < data.get("total", 0)


def _labelled(u: dict) -> dict:
    return {**u, "role_label": ROLE_LABELS.get(u.get("role"), u.get("role")),
            "status_label": STATUS_LABELS.get(u.get("status"), u.get("status"))}


# -- accounts ------------------------------------------------------------------------------------------

@login_required("admin")
def users(request):
    form = UserSearchForm(request.GET or None)
    data, items = None, []
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        try:
            data = session.api(request).call("admin_users", params={
                "q": form.cleaned_data["q"].strip(), "role": form.cleaned_data.get("role") or None,
                "page": request.GET.get("page") or 1})
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            items = [_labelled(u) for u in data.get("items", [])]
    return page(request, "backoffice/users.html", "Utilisateurs", form=form, data=data, items=items,
                has_next=_has_next(data), status=422 if form.errors else 200)


@login_required("admin")
def user(request, user_id):
    api = session.api(request)
    u = _labelled(api.call("admin_user", user_id=str(user_id)))
    form = UserActionForm(request.POST or None, status=u["status"])
    if request.method == "POST" and form.is_valid():
        name, done = USER_ACTIONS[form.cleaned_data["action"]]
        try:
            api.call(name, user_id=str(user_id), json={"reason": form.cleaned_data["reason"]},
                     idempotency_key=request.POST.get("nonce") or None)
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, done)
            return redirect("backoffice_user", user_id=user_id)
    title = f"{u.get('first_name') or ''} {u.get('last_name') or ''}".strip() or "Compte"
    return page(request, "backoffice/user.html", title, crumbs=[ADMIN_CRUMB], u=u, form=form,
                nonce=uuid.uuid4().hex, status=422 if form.errors else 200)


@login_required("admin")
def audit(request):
    form = AuditFilterForm(request.GET or None)
    params = {"page": request.GET.get("page") or 1}
    if form.is_bound and form.is_valid():
        params.update({k: (v or "").strip() or None for k, v in form.cleaned_data.items()})
    try:
        data = session.api(request).call("admin_audit", params=params)
    except ApiError as exc:
        form.apply_api_error(exc)
        data = {"items": [], "total": 0}
    return page(request, "backoffice/audit.html", "Journal d'administration", form=form, data=data,
                items=data.get("items", []), has_next=_has_next(data), status=422 if form.errors else 200)


# -- schools ----------------------------------------------------------------------------------------------

@login_required("admin")
def schools(request):
    form = SchoolSearchForm(request.GET or None)
    items = None
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        try:
            items = session.api(request).call("schools", params={"q": form.cleaned_data["q"].strip(),
                                                                  "limit": 50}).get("items", [])
        except ApiError as exc:
            form.apply_api_error(exc)
    return page(request, "backoffice/schools.html", "Établissements", form=form, items=items,
                status=422 if form.errors else 200)


SCHOOLS_CRUMB = ("Établissements", "/administration/etablissements")


@login_required("admin")
def school_new(request):
    form = SchoolForm(request.POST or None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            out = session.api(request).call("admin_school_create", json=form.body())
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, f"L'établissement {out['name']} ({out['uai']}) est créé.")
            return redirect("backoffice_school", uai=out["uai"])
    return page(request, "backoffice/school_form.html", "Créer un établissement", crumbs=[SCHOOLS_CRUMB], form=form,
                status=422 if form.errors else 200)


@login_required("admin")
def school(request, uai):
    uai = uai.upper()
    api = session.api(request)
    current = api.call("school", uai=uai)
    posted = request.POST if request.method == "POST" else None
    form = SchoolForm(posted if posted and "save" in posted else None, creating=False,
                      initial=SchoolForm.initial_from(current))
    head_form = HeadForm(posted if posted and "head" in posted else None)
    if form.is_bound and form.is_valid():
        try:
            out = api.call("admin_school_update", uai=uai, json=form.body())
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, "Établissement corrigé." if out.get("changed") else "Aucun changement.")
            return redirect("backoffice_school", uai=uai)
    if head_form.is_bound and head_form.is_valid():
        try:
            out = api.call("admin_school_head", uai=uai, json={"user_id": str(head_form.cleaned_data["user_id"]),
                                                               "reason": head_form.cleaned_data["head_reason"]})
        except ApiError as exc:
            head_form.apply_api_error(exc)
        else:
            messages.success(request, "Le chef d'établissement désigné a changé." if out.get("changed")
                             else "Cette personne était déjà le chef d'établissement désigné.")
            return redirect("backoffice_school", uai=uai)
    bad = bool(form.errors or head_form.errors)
    return page(request, "backoffice/school.html", f"{current['name']} ({uai})", crumbs=[SCHOOLS_CRUMB],
                school=current, form=form, head_form=head_form, status=422 if bad else 200)


# -- classes (school staff) -------------------------------------------------------------------------------------

def _class_crumbs(uai):
    return [("Élèves", reverse("school_pupils", args=[uai]))]


@login_required("school_staff", "admin")
def classes(request, uai):
    uai = uai.upper()
    api = session.api(request)
    op = request.POST.get("op") if request.method == "POST" else None
    form = ClassForm(request.POST if op == "create" else None)
    if op == "create" and form.is_valid():
        try:
            body = {"name": form.cleaned_data["name"]}
            if form.cleaned_data.get("grade"):   # else deduced from the name by the API
                body["grade"] = form.cleaned_data["grade"]
            out = api.call("school_class_create", uai=uai, json=body)
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, f"La classe « {out['name']} » est créée." if out.get("created")
                             else f"La classe « {out['name']} » existait déjà.")
            return redirect("school_classes_manage", uai=uai)
    elif op in ("rename", "delete"):
        rename = RenameClassForm(request.POST) if op == "rename" else None
        if rename is not None and not rename.is_valid():
            messages.error(request, "Indiquez le nouveau nom de la classe (40 caractères au plus).")
        else:
            try:
                if op == "rename":
                    out = api.call("school_class_rename", uai=uai, json=rename.cleaned_data)
                    done = f"La classe s'appelle désormais « {out['name']} » ({out['pupils']} élèves)."
                else:
                    api.call("school_class_delete", uai=uai, json={"name": request.POST.get("name", "")})
                    done = f"La classe « {request.POST.get('name', '')} » est supprimée."
            except ApiError as exc:
                messages.error(request, " ".join([exc.detail] + [m for ms in exc.errors.values() for m in ms]))
            else:
                messages.success(request, done)
        return redirect("school_classes_manage", uai=uai)
    data = api.call("school_classes_list", uai=uai)
    return page(request, "backoffice/classes.html", "Gérer les classes", crumbs=_class_crumbs(uai), uai=uai,
                items=data.get("items", []), form=form, status=422 if form.errors else 200)


@login_required("school_staff", "admin")
def pupils_move(request, uai):
    uai = uai.upper()
    api = session.api(request)
    class_name = request.GET.get("classe") or None
    data = api.call("school_pupils", uai=uai, params={"class_name": class_name, "page_size": 500})
    names = [c["name"] for c in api.call("school_classes_list", uai=uai).get("items", [])]
    form = MovePupilsForm(request.POST or None, pupils=data.get("items", []), classes=names)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            out = api.call("school_pupils_move", uai=uai, json={"pupil_ids": d["pupil_ids"],
                                                                "class_name": d["class_name"]})
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, f"{out['moved']} élève{'s' if out['moved'] > 1 else ''} "
                                      f"déplacé{'s' if out['moved'] > 1 else ''} en « {out['class_name']} ».")
            return redirect(reverse("school_pupils_move", args=[uai]) + "?classe=" + out["class_name"])
    checked = set(form["pupil_ids"].value() or []) if form.is_bound else set()
    return page(request, "backoffice/move.html", "Changer des élèves de classe", crumbs=_class_crumbs(uai), uai=uai,
                pupils=data.get("items", []), classes=names, class_name=class_name, form=form, checked=checked,
                status=422 if form.errors else 200)
