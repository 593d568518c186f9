"""School staff pages (issue 17): registration with the academic address, a colleague's invitation, the
school's pupils (CSV import with a preview before anything is written, activation-code sheets, new codes),
the classes' applications (a summary, and the follow-up of each pupil's applications), one application as the
school sees it, and the colleagues (confirm, invite,
hand the designated head role over)."""
from __future__ import annotations

import base64
import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import session
from ..forms.school import FUNCTION_LABELS, ImportForm, InvitationForm, InviteForm, SchoolRegisterForm
from ..gateway import ApiError, Gateway
from ..session import client_info, login_required
from .common import page, registration, registration_sent

IMPORT_KEY = "pupil_import"      # the CSV waiting for confirmation after its preview (session)
SHEET_KEY = "pupil_import_sheet"  # the code sheet of the last import (session)


def _uai(request, uai: str) -> str:
    return uai.upper()


def _crumbs(request, uai, *more):
    return [("Élèves", reverse("school_pupils", args=[uai])), *more]


def _pdf(content: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(content, content_type="application/pdf")
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


# -- registration and invitation (visitors) ----------------------------------------------------

def register(request):
    return registration(request, SchoolRegisterForm, "school/register.html", "Créer un compte personnel d'établissement", "school_registered")


def registered(request):
    return registration_sent(request, "school/registered.html")


def invitation(request):
    """The link of the colleague_invitation e-mail: /invitation?token=…"""
    token = request.POST.get("token") or request.GET.get("token") or ""
    form = InvitationForm(request.POST or None)
    done = None
    if not token:
        form.add_error(None, "Ce lien d'invitation est incomplet. Copiez l'adresse complète reçue par e-mail.")
    elif request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            done = Gateway(client=client_info(request)).call("accept_invitation", json={
                "token": token, "first_name": d["first_name"], "last_name": d["last_name"],
                "password": d["password"], "phone": d.get("phone") or None})
        except ApiError as exc:
            if "token" in exc.errors or exc.status in (404, 409):
                form.add_error(None, (exc.errors.get("token") or [exc.detail])[0])
            else:
                form.apply_api_error(exc)
    return page(request, "school/invitation.html", "Rejoindre l'espace de votre établissement", form=form,
                token=token, done=done)


# -- school home ------------------------------------------------------------------------------

@login_required("school_staff")
def home(request):
    uai = session.user(request).get("school_uai")
    if not uai:
        return redirect("account")
    return redirect("school_pupils", uai=uai)


# -- pupils -------------------------------------------------------------------------------------

@login_required("school_staff", "admin")
def pupils(request, uai):
    uai = _uai(request, uai)
    api = session.api(request)
    class_name = request.GET.get("classe") or None
    data = api.call("school_pupils", uai=uai, params={"class_name": class_name, "q": request.GET.get("q"),
                                                      "page": request.GET.get("page") or 1})
    classes = [c for c in data.get("classes") or [] if c]
    return page(request, "school/pupils.html", "Élèves de l'établissement", uai=uai, data=data, classes=classes,
                class_name=class_name, q=request.GET.get("q", ""), form=ImportForm())


@login_required("school_staff", "admin")
def pupils_import(request, uai):
    """POST a file: its preview (nothing written). POST confirm: the import itself, then the code sheet."""
    uai = _uai(request, uai)
    api = session.api(request)
    pending = request.session.get(IMPORT_KEY)
    if request.method == "POST" and request.POST.get("confirm"):
        if not pending or pending.get("uai") != uai or pending.get("nonce") != request.POST.get("confirm"):
            messages.error(request, "Cet aperçu n'est plus valable : choisissez le fichier à nouveau.")
            return redirect("school_pupils", uai=uai)
        try:
            out = api.call("school_pupils_import", uai=uai, data=base64.b64decode(pending["content"]),
                           content_type="text/csv", params={"filename": pending.get("filename")})
        except ApiError as exc:
            messages.error(request, exc.detail)
            return redirect("school_pupils", uai=uai)
        request.session.pop(IMPORT_KEY, None)
        request.session[SHEET_KEY] = {"uai": uai, "import_id": out["import_id"],
                                      "pdf": out.get("sheet_pdf_base64") or ""}
        request.session["pupil_import_result"] = {"summary": out["summary"], "report": out["report"],
                                                  "codes": len(out.get("codes") or [])}
        return redirect("school_import_done", uai=uai)
    if request.method != "POST":
        if pending and pending.get("uai") == uai and pending.get("preview"):
            return _preview_page(request, uai, pending)
        return redirect("school_pupils", uai=uai)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        f = form.cleaned_data["file"]
        content = f.read()
        try:
            preview = api.call("school_pupils_import", uai=uai, data=content, content_type="text/csv",
                               params={"filename": f.name[:255], "dry_run": "true"})
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            pending = {"uai": uai, "filename": f.name[:255], "content": base64.b64encode(content).decode("ascii"),
                       "nonce": uuid.uuid4().hex, "preview": preview}
            request.session[IMPORT_KEY] = pending
            return _preview_page(request, uai, pending)
    data = api.call("school_pupils", uai=uai)
    return page(request, "school/pupils.html", "Élèves de l'établissement", uai=uai, data=data,
                classes=[c for c in data.get("classes") or [] if c], class_name=None, q="", form=form, status=422)


def _preview_page(request, uai, pending):
    return page(request, "school/import_preview.html", "Aperçu de l'import des élèves",
                crumbs=_crumbs(request, uai), uai=uai, preview=pending["preview"], filename=pending["filename"],
                nonce=pending["nonce"])


@login_required("school_staff", "admin")
def import_done(request, uai):
    uai = _uai(request, uai)
    result = request.session.get("pupil_import_result")
    if not result:
        return redirect("school_pupils", uai=uai)
    sheet = request.session.get(SHEET_KEY) or {}
    return page(request, "school/import_done.html", "Import des élèves terminé", crumbs=_crumbs(request, uai),
                uai=uai, result=result, has_sheet=bool(sheet.get("pdf")) and sheet.get("uai") == uai)


@login_required("school_staff", "admin")
def import_sheet(request, uai):
    uai = _uai(request, uai)
    sheet = request.session.get(SHEET_KEY) or {}
    if sheet.get("uai") != uai or not sheet.get("pdf"):
        messages.error(request, "Cette fiche n'est plus disponible : éditez de nouveaux codes depuis la liste.")
        return redirect("school_pupils", uai=uai)
    return _pdf(base64.b64decode(sheet["pdf"]), f"codes-{uai}.pdf")


@login_required("school_staff", "admin")
@require_POST
def codes(request, uai):
    """New activation codes (lost sheet): for one pupil, or for every pupil of a class not yet activated."""
    uai = _uai(request, uai)
    api = session.api(request)
    ids = request.POST.getlist("pupil_id")
    class_name = request.POST.get("class_name")
    if class_name and not ids:
        listed = api.call("school_pupils", uai=uai, params={"class_name": class_name, "page_size": 500})
        ids = [p["id"] for p in listed.get("items", []) if not p.get("activated")]
    if not ids:
        messages.info(request, "Tous les élèves de cette classe ont déjà activé leur compte : aucun code à éditer.")
        return redirect(reverse("school_pupils", args=[uai]) + (f"?classe={class_name}" if class_name else ""))
    try:
        out = api.call("school_pupils_codes", uai=uai, json={"pupil_ids": ids[:1000]})
    except ApiError as exc:
        messages.error(request, exc.detail)
        return redirect("school_pupils", uai=uai)
    if not out.get("codes") or not out.get("sheet_pdf_base64"):
        messages.info(request, "Aucun code édité : ces élèves ont déjà activé leur compte.")
        return redirect("school_pupils", uai=uai)
    suffix = f"-{class_name}" if class_name else ""
    return _pdf(base64.b64decode(out["sheet_pdf_base64"]), f"codes-{uai}{suffix}.pdf".replace(" ", "_"))


# -- classes and applications -----------------------------------------------------------------

@login_required("school_staff")
def classes(request, uai):
    uai = _uai(request, uai)
    data = session.api(request).call("school_class_summary")
    return page(request, "school/classes.html", "Candidatures par classe", crumbs=_crumbs(request, uai), uai=uai,
                data=data)


MAX_PAGES = 50       # pages read from a paged list for one follow-up page (200 applications, 500 pupils each)
NO_CLASS = "Sans classe"


def _all_pages(api, name: str, items_per_page: int, size_param: str, **kwargs) -> tuple[list[dict], dict]:
    """Every item of a paged list of the API (at most MAX_PAGES pages), and its first answer."""
    params = dict(kwargs.pop("params", {}), **{size_param: items_per_page})
    items, first = [], None
    for number in range(1, MAX_PAGES + 1):
        data = api.call(name, params={**params, "page": number}, **kwargs)
        first = first or data
        batch = data.get("items") or []
        items += batch
        if len(batch) < items_per_page or (data.get("total") is not None and len(items) >= data["total"]):
            break
    return items, first or {}


def follow_up_classes(pupils: list[dict], applications: list[dict], organisations: dict[str, str | None],
                      class_name: str | None = None) -> list[dict]:
    """Per class (sorted): its pupils (by name), each with their applications (most recent first) and the
    host organisation of each one's offer. Applications are matched to pupils by id, so that a pupil who
    changed class is followed in the class they are in now."""
    by_pupil: dict[str, list[dict]] = {}
    for a in applications:
        by_pupil.setdefault(str(a.get("pupil_id")), []).append(
            {**a, "organisation_name": organisations.get(str(a.get("offer_id")))})
    classes: dict[str, dict] = {}
    for p in pupils:
        name = p.get("class_name") or NO_CLASS
        if class_name and name != class_name:
            continue
        c = classes.setdefault(name, {"class_name": name, "pupils": [], "with_application": 0, "confirmed": 0})
        apps = sorted(by_pupil.get(str(p.get("id")), []), key=lambda a: a.get("submitted_at") or "", reverse=True)
        c["pupils"].append({**p, "applications": apps})
        c["with_application"] += bool(apps)
        c["confirmed"] += any(a.get("state") == "confirmed" for a in apps)
    for c in classes.values():
        c["pupils"].sort(key=lambda p: ((p.get("last_name") or "").upper(), (p.get("first_name") or "").upper()))
    return [classes[k] for k in sorted(classes, key=lambda k: (k == NO_CLASS, k))]


def _organisations(api, offer_ids) -> dict[str, str | None]:
    """offer id -> the name of its host organisation (None when the offer cannot be read any more)."""
    out = {}
    for oid in offer_ids:
        try:
            offer = api.call("offer", offer_id=oid)
        except ApiError:
            out[oid] = None
        else:
            out[oid] = ((offer or {}).get("organisation") or {}).get("name")
    return out


@login_required("school_staff", "admin")
def follow_up(request, uai):
    """Per class, each pupil and their applications (state, offer, host organisation, weeks, dates)."""
    uai = _uai(request, uai)
    api = session.api(request)
    class_name = (request.GET.get("classe") or "").strip()[:60] or None
    params = {"class_name": class_name} if class_name and class_name != NO_CLASS else {}
    pupils, first = _all_pages(api, "school_pupils", 500, "page_size", uai=uai, params=params)
    apps, _ = _all_pages(api, "applications", 200, "per_page", params={"school_uai": uai})
    known = {str(p.get("id")) for p in pupils}
    apps = [a for a in apps if str(a.get("pupil_id")) in known]
    organisations = _organisations(api, sorted({str(a["offer_id"]) for a in apps if a.get("offer_id")}))
    classes = follow_up_classes(pupils, apps, organisations, class_name)
    choices = sorted({c for c in first.get("classes") or [] if c})
    return page(request, "school/follow_up.html", "Suivi des candidatures par classe",
                crumbs=_crumbs(request, uai, ("Candidatures par classe", reverse("school_classes", args=[uai])))
                if session.user(request).get("role") == "school_staff" else _crumbs(request, uai),
                uai=uai, classes=classes, choices=choices, class_name=class_name)


@login_required("school_staff", "admin")
def application(request, uai, application_id):
    uai = _uai(request, uai)
    app = session.api(request).call("application", application_id=application_id)
    return page(request, "school/application.html", "Candidature de l'élève",
                crumbs=_crumbs(request, uai, ("Candidatures par classe", reverse("school_classes", args=[uai]))),
                uai=uai, app=app)


# -- colleagues ---------------------------------------------------------------------------------

@login_required("school_staff", "admin")
def staff(request, uai, user_id=None, action=None):
    uai = _uai(request, uai)
    api = session.api(request)
    form = InviteForm(request.POST or None) if action == "inviter" else InviteForm()
    if request.method == "POST":
        try:
            if action == "confirmer" and user_id:
                api.call("school_staff_confirm", uai=uai, user_id=user_id)
                messages.success(request, "Le compte est confirmé.")
                return redirect("school_staff", uai=uai)
            if action == "designer" and user_id:
                api.call("school_designate_head", uai=uai, json={"user_id": str(user_id)})
                messages.success(request, "Le chef d'établissement désigné a changé.")
                return redirect("school_staff", uai=uai)
            if action == "inviter" and form.is_valid():
                api.call("school_invite", uai=uai, json=form.body())
                messages.success(request, f"L'invitation est envoyée à {form.cleaned_data['email']}.")
                return redirect("school_staff", uai=uai)
        except ApiError as exc:
            if action == "inviter":
                form.apply_api_error(exc)
            else:
                messages.error(request, exc.detail)
                return redirect("school_staff", uai=uai)
    data = api.call("school_staff", uai=uai)
    me = session.user(request) or {}
    items = [{**m, "function_label": FUNCTION_LABELS.get(m.get("function"), m.get("function"))}
             for m in data.get("items", [])]
    return page(request, "school/staff.html", "Personnels de l'établissement", crumbs=_crumbs(request, uai),
                uai=uai, items=items, form=form, me=me, status=422 if form.errors else 200)
