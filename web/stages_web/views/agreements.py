"""Agreements (conventions) of school staff and pupils, the PDF of a signed-in party, and the page of the
legal representative's e-mailed link (no account).

``/conventions`` and ``/conventions/<id>`` dispatch by role: employers get their views (views/employer.py),
school staff theirs (list by class and state, fill the school's part, validate, sign alone or several at
once with the school's registered signature image, reopen, resend the representative's link), pupils read
and sign theirs."""
from __future__ import annotations

import base64

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .. import session
from ..forms.agreements import (ConventionSchoolForm, HeadSignForm, LegalRepSignForm, PupilSignForm,
                                SignatureImageForm)
from ..forms.employer import ConventionEmployerForm
from ..gateway import ApiError, Gateway
from ..session import client_info, login_required
from ..templatetags.stages import date_fr
from . import employer
from .common import page

STATE_LABELS = [("draft", "Brouillon"), ("started_by_employer", "Commencée par la structure"),
                ("completed_by_employer", "À compléter par l'établissement"),
                ("started_by_school", "Commencée par l'établissement"), ("validated", "Validée, à signer"),
                ("signatures_started", "Signatures en cours"), ("signed_by_all", "Signée par tous"),
                ("cancelled", "Annulée")]
SIGNING_FUNCTIONS = ("head",)  # who signs for the school
MANAGING_FUNCTIONS = ("head", "admin_staff")  # who validates, reopens, registers the signature image
SIGNATURE_IMAGE_SESSION = "agreements:signature-image"


def _list_crumbs():
    return [("Conventions de stage", reverse("conventions"))]


def _actions(c: dict) -> set[str]:
    return set(c.get("allowed_actions") or [])


# -- dispatch by role ------------------------------------------------------------------------------
@login_required()
def conventions(request):
    role = session.user(request)["role"]
    if role == "employer":
        return employer.conventions(request)
    if role == "school_staff":
        return _staff_list(request)
    if role == "pupil":
        return _pupil_list(request)
    from .errors import forbidden
    return forbidden(request)


@login_required()
def convention(request, convention_id, action=None):
    role = session.user(request)["role"]
    if role == "employer":
        return employer.convention(request, convention_id, action)
    if role == "school_staff":
        return _staff_convention(request, str(convention_id), action)
    if role == "pupil":
        return _pupil_convention(request, str(convention_id), action)
    from .errors import forbidden
    return forbidden(request)


# -- the PDF ---------------------------------------------------------------------------------------------
def _pdf(out, filename: str, download: bool) -> HttpResponse:
    response = HttpResponse(out.content, content_type="application/pdf")
    disposition = "attachment" if download else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required()
@xframe_options_sameorigin
def document(request, convention_id):
    """The agreement's PDF (the sealed one once signed by all), streamed with the user's token."""
    out = session.api(request).raw("convention_pdf", convention_id=str(convention_id), accept="application/pdf")
    return _pdf(out, f"convention-{convention_id}.pdf", request.GET.get("telecharger") == "1")


# -- common rows ----------------------------------------------------------------------------------
def _read_rows(c: dict) -> dict:
    school = c.get("school") or {}
    return {"prefill_rows": employer._prefill_rows(c.get("prefill") or {}),
            "employer_rows": employer._employer_rows(ConventionEmployerForm(
                initial=ConventionEmployerForm.initial_from(c.get("employer") or {}))),
            "school_rows": [(label, date_fr(school.get(k)) if k == "board_deliberation_date" and school.get(k)
                             else employer._plain(school.get(k))) for k, label in employer.SCHOOL_FIELD_LABELS],
            "missing": [employer.SIGNER_LABELS.get(r, r) for r in c.get("missing_signatures") or []]}


# -- school staff -----------------------------------------------------------------------------------
def _staff_list(request):
    api = session.api(request)
    me = session.user(request)
    if request.method == "POST":
        return _staff_sign_many(request, api)
    filters = {"class_name": (request.GET.get("classe") or "").strip()[:60],
               "state": request.GET.get("etat") or "", "q": (request.GET.get("q") or "").strip()[:100],
               "page": request.GET.get("page") or 1}
    if filters["state"] not in dict(STATE_LABELS) and filters["state"] != "to_sign":
        filters["state"] = ""
    params = dict(filters)
    if params["state"] == "to_sign":
        params.update(state="validated,signatures_started", missing_signature="head_of_school")
    data = api.call("conventions", params=params)
    items = data.get("items") or []
    groups: dict[str, list] = {}
    for c in items:
        c["can_sign"] = "sign" in _actions(c) and "head_of_school" in (c.get("missing_signatures") or [])
        groups.setdefault(c.get("class_name") or "Sans classe", []).append(c)
    return page(request, "agreements/staff_list.html", "Conventions de stage", data=data,
                groups=sorted(groups.items()), filters=filters, states=STATE_LABELS,
                counts=data.get("counts") or {}, signers=employer.SIGNER_LABELS,
                can_sign=me.get("function") in SIGNING_FUNCTIONS,
                any_signable=any(c["can_sign"] for c in items))


def _staff_sign_many(request, api):
    ids = request.POST.getlist("convention")
    hashes = {cid: request.POST.get(f"hash-{cid}") for cid in ids}
    if not ids:
        messages.error(request, "Cochez au moins une convention à signer.")
        return redirect("conventions")
    try:
        out = api.call("conventions_sign_many", json={
            "conventions": [{"convention_id": cid, "document_hash": hashes[cid]} for cid in ids if hashes[cid]],
            "method": "image"})
    except ApiError as exc:
        details = [m for msgs in (exc.errors or {}).values() for m in (msgs if isinstance(msgs, list) else [msgs])]
        messages.error(request, exc.detail + (" " + " ".join(details) if details else ""))
    else:
        n = out.get("count", 0)
        messages.success(request, f"{n} convention{'s' if n > 1 else ''} signée{'s' if n > 1 else ''}.")
    return redirect("conventions")


def _staff_convention(request, cid: str, action):
    api = session.api(request)
    me = session.user(request)
    c = api.call("convention", convention_id=cid)
    actions = _actions(c)
    form = ConventionSchoolForm(initial=ConventionSchoolForm.initial_from(c.get("school") or {}))
    sign_form = HeadSignForm()
    back = redirect("convention", convention_id=cid)
    if request.method == "POST":
        if action in ("save", "validate"):
            form = ConventionSchoolForm(request.POST, draft=action == "save")
            if form.is_valid():
                try:
                    api.call("convention_update", convention_id=cid, json=form.body())
                    if action == "validate":
                        out = api.call("convention_validate", convention_id=cid)
                except ApiError as exc:
                    form.apply_api_error(exc)
                else:
                    if action == "validate":
                        messages.success(request, "Convention validée : le document est figé et les signatures "
                                                  "sont ouvertes. Le lien de signature a été envoyé au(x) "
                                                  f"représentant(s) légal(aux) ({out.get('links_sent', 0)}).")
                    else:
                        messages.success(request, "Partie de l'établissement enregistrée.")
                    return back
        elif action == "sign":
            sign_form = HeadSignForm(request.POST)
            if sign_form.is_valid():
                body = {"document_hash": request.POST.get("document_hash") or c.get("document_hash"),
                        "method": sign_form.cleaned_data["method"]}
                if body["method"] == "typed_name":
                    body["typed_name"] = sign_form.cleaned_data["typed_name"].strip()
                try:
                    api.call("convention_sign", convention_id=cid, json=body)
                except ApiError as exc:
                    sign_form.apply_api_error(exc)
                else:
                    messages.success(request, "Vous avez signé la convention pour l'établissement.")
                    return back
        elif action == "reopen":
            to = "employer" if request.POST.get("to") == "employer" else "school"
            try:
                api.call("convention_reopen", convention_id=cid, json={"to": to})
            except ApiError as exc:
                messages.error(request, exc.detail)
            else:
                messages.success(request, "Convention rouverte : les signatures recueillies sont effacées.")
            return back
        elif action == "resend":
            return _resend(request, api, cid)
        else:
            raise Http404()
    signature = None
    if me.get("function") in SIGNING_FUNCTIONS and me.get("school_uai"):
        try:
            signature = api.call("school_signature", uai=me["school_uai"])
        except ApiError:
            signature = None
    return page(request, "agreements/staff_convention.html",
                f"Convention de stage de {c.get('pupil_name') or 'l’élève'}", crumbs=_list_crumbs(), c=c,
                form=form, sign_form=sign_form, editable="update" in actions,
                can_validate="validate" in actions and me.get("function") in MANAGING_FUNCTIONS,
                can_sign="sign" in actions and "head_of_school" in (c.get("missing_signatures") or [])
                and me.get("function") in SIGNING_FUNCTIONS,
                can_reopen="reopen" in actions and me.get("function") in MANAGING_FUNCTIONS,
                can_resend="resend_link" in actions or (
                    c.get("state") in ("validated", "signatures_started")
                    and "legal_representative" in (c.get("missing_signatures") or [])),
                signature=signature, **_read_rows(c))


def _resend(request, api, cid: str):
    try:
        out = api.call("convention_resend_link", convention_id=cid, json={})
    except ApiError as exc:
        messages.error(request, exc.detail)
    else:
        n = out.get("links_sent", 0)
        messages.success(request, f"Nouveau lien de signature envoyé ({n} représentant{'s' if n > 1 else ''} "
                                  "légal" + ("aux" if n > 1 else "") + ") ; les liens précédents ne fonctionnent plus.")
    return redirect("convention", convention_id=cid)


@login_required("school_staff")
def signature_image(request):
    """Register the school's signature image: choose a file, preview it, then confirm (works without JS)."""
    me = session.user(request)
    uai = me.get("school_uai")
    api = session.api(request)
    form = SignatureImageForm()
    pending = request.session.get(SIGNATURE_IMAGE_SESSION)
    if request.method == "POST":
        step = request.POST.get("step")
        if step == "cancel":
            request.session.pop(SIGNATURE_IMAGE_SESSION, None)
            return redirect("school_signature_image")
        if step == "confirm" and pending:
            try:
                api.call("school_signature_set", uai=uai, data=base64.b64decode(pending["data"]),
                         content_type=pending["mime"])
            except ApiError as exc:
                messages.error(request, exc.detail)
            else:
                messages.success(request, "Image de signature de l'établissement enregistrée.")
            request.session.pop(SIGNATURE_IMAGE_SESSION, None)
            return redirect("school_signature_image")
        form = SignatureImageForm(request.POST, request.FILES)
        if form.is_valid():
            f = form.cleaned_data["image"]
            raw = f.read()
            mime = "image/png" if raw.startswith(b"\x89PNG") else "image/jpeg"
            request.session[SIGNATURE_IMAGE_SESSION] = {"data": base64.b64encode(raw).decode(), "mime": mime}
            return redirect("school_signature_image")
    try:
        status = api.call("school_signature", uai=uai)
    except ApiError:
        status = {"registered": False}
    return page(request, "agreements/signature_image.html", "Image de signature de l'établissement",
                crumbs=_list_crumbs(), form=form, registered=status, pending=pending,
                can_upload=me.get("function") in MANAGING_FUNCTIONS)


# -- pupils ------------------------------------------------------------------------------------------
def _pupil_list(request):
    data = session.api(request).call("conventions")
    return page(request, "agreements/pupil_list.html", "Ma convention de stage", data=data,
                signers=employer.SIGNER_LABELS)


def _pupil_convention(request, cid: str, action):
    api = session.api(request)
    c = api.call("convention", convention_id=cid)
    form = PupilSignForm()
    if request.method == "POST":
        if action == "sign":
            form = PupilSignForm(request.POST)
            if form.is_valid():
                try:
                    api.call("convention_sign", convention_id=cid, json={
                        "document_hash": request.POST.get("document_hash") or c.get("document_hash")})
                except ApiError as exc:
                    form.apply_api_error(exc)
                else:
                    messages.success(request, "Vous avez signé votre convention de stage.")
                    return redirect("convention", convention_id=cid)
        elif action == "resend":
            return _resend(request, api, cid)
        else:
            raise Http404()
    missing = c.get("missing_signatures") or []
    return page(request, "agreements/pupil_convention.html", "Ma convention de stage",
                crumbs=[("Ma convention de stage", reverse("conventions"))], c=c, form=form,
                can_sign="sign" in _actions(c) and "pupil" in missing,
                can_resend=c.get("state") in ("validated", "signatures_started") and "legal_representative" in missing,
                **_read_rows(c))


# -- the legal representative's link (no account) -----------------------------------------------------
LINK_PAGES = {
    404: ("Lien de signature invalide", "Ce lien de signature n'existe pas ou a été remplacé par un lien plus "
          "récent. Utilisez le dernier e-mail reçu, ou demandez un nouveau lien à l'établissement ou à l'élève."),
    409: ("Lien de signature déjà utilisé", "Ce lien ne peut plus servir : la convention a déjà été signée par un "
          "représentant légal, ou elle a été rouverte ou annulée. Si elle doit encore être signée, l'établissement "
          "ou l'élève vous enverra un nouveau lien."),
    410: ("Lien de signature expiré", "Ce lien a expiré : la convention a été rouverte pour être modifiée. Vous "
          "recevrez un nouveau lien quand elle sera de nouveau prête à signer."),
    423: ("Lien de signature bloqué", "Ce lien est bloqué après plusieurs noms erronés. Pour votre sécurité, "
          "demandez un nouveau lien à l'établissement ou à l'élève."),
}


def _link_refused(request, exc: ApiError):
    status = exc.status if exc.status in LINK_PAGES else (404 if exc.status in (400, 422) else exc.status)
    if exc.code == "link_expired":  # the agreement was reopened (a 409 of the service)
        status = 410
    title, text = LINK_PAGES.get(status, ("La demande n'a pas abouti", exc.detail))
    if exc.status == 409 and exc.code == "convention_cancelled":
        title, text = "Convention annulée", "Cette convention a été annulée : il n'y a plus rien à signer."
    return page(request, "agreements/link_refused.html", title, status=status if 400 <= status < 500 else 502,
                detail=text)


def sign_link(request, token):
    """The page of the ``legal_rep_sign_link`` e-mail: read the agreement, type one's name, sign."""
    api = Gateway(client=client_info(request))
    try:
        view = api.call("public_convention", token=token)
    except ApiError as exc:
        return _link_refused(request, exc)
    form = LegalRepSignForm()
    if request.method == "POST":
        form = LegalRepSignForm(request.POST)
        if form.is_valid():
            try:
                out = api.call("public_convention_sign", token=token, json={
                    "full_name": form.cleaned_data["full_name"].strip(),
                    "document_hash": request.POST.get("document_hash") or view["document_hash"]})
            except ApiError as exc:
                if exc.status in (404, 409, 410, 423):
                    return _link_refused(request, exc)
                form.apply_api_error(exc)
                if exc.code == "name_mismatch" and "full_name" not in form.errors:
                    form.add_error("full_name", "Ce nom ne correspond pas à celui enregistré par l'établissement.")
            else:
                return page(request, "agreements/link_signed.html", "Convention signée", view=view, out=out)
    return page(request, "agreements/link_sign.html", "Signer la convention de stage", view=view, form=form,
                token=token)


@xframe_options_sameorigin
def sign_link_document(request, token):
    api = Gateway(client=client_info(request))
    try:
        out = api.raw("public_convention_pdf", token=token, accept="application/pdf")
    except ApiError as exc:
        return _link_refused(request, exc)
    return _pdf(out, "convention-de-stage.pdf", request.GET.get("telecharger") == "1")

