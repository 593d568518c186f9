"""Employers: registration, « Mes offres », the three-step offer wizard (resumable drafts, idempotent
creation), publish / unpublish / duplicate, « Candidatures » (tabs, answer, bulk actions, transfer,
CSV export), and the transfer link a colleague without an account opens."""
from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from .. import session
from ..forms.employer import (AcceptForm, BulkForm, CancelForm, ConventionEmployerForm, OrganisationForm, PlaceForm,
                              PlanningForm, RegisterForm, RejectForm, SignatureCodeForm,
                              TransferDecisionForm, TransferForm)
from ..gateway import ApiError, Gateway
from ..session import client_info, login_required
from ..templatetags.stages import date_fr, iso_week_label
from . import moderation
from .common import page, registration, registration_sent

STEPS = [("place", "Métier et lieu"), ("organisation", "Structure d'accueil"), ("planning", "Planning et places")]
STEP_NAMES = [s for s, _ in STEPS]

# « Mes offres »: tab -> (label, the offers' state)
OFFER_TABS = [("draft", "Brouillons", "draft"), ("published", "Publiées", "published"),
              ("full", "Complètes ou à mettre à jour", "need_to_be_updated"),
              ("unpublished", "Dépubliées", "unpublished")]
OFFER_STATE_LABELS = {"draft": "Brouillon", "published": "Publiée", "unpublished": "Dépubliée",
                      "need_to_be_updated": "À mettre à jour", "removed": "Supprimée"}
OFFER_STATE_BADGES = {"draft": "info", "published": "success", "unpublished": "warning",
                      "need_to_be_updated": "new", "removed": "error"}

# « Candidatures »: the gateway's tabs, in the order shown
APPLICATION_TABS = [("received", "Reçues"), ("accepted", "Acceptées"), ("confirmed", "Confirmées"),
                    ("rejected", "Refusées"), ("expired", "Expirées"), ("cancelled", "Annulées")]


def _home_crumbs():
    return [("Mes offres", reverse("employer:home"))]


# -- registration ------------------------------------------------------------------------------------

def register(request):
    return registration(request, RegisterForm, "employer/register.html", "Créer un compte entreprise", "employer_registered")


def registered(request):
    return registration_sent(request, "employer/registered.html")


# -- « Mes offres » --------------------------------------------------------------------------------

@login_required("employer")
def home(request):
    api = session.api(request)
    tab = request.GET.get("onglet") or "published"
    if tab not in {t for t, _, _ in OFFER_TABS}:
        tab = "published"
    tabs, data = [], None
    for key, label, state in OFFER_TABS:
        out = api.call("my_offers", params={"state": state, "page": request.GET.get("page") or 1 if key == tab else 1})
        tabs.append({"key": key, "label": label, "count": out.get("total", len(out.get("items", []))),
                     "current": key == tab, "url": f"{reverse('employer:home')}?onglet={key}"})
        if key == tab:
            data = out
    items = [_offer_row(o) for o in (data or {}).get("items", [])]
    return page(request, "employer/offers.html", "Mes offres", tabs=tabs, items=items, data=data,
                current_tab=dict((t, label) for t, label, _ in OFFER_TABS)[tab])


def _offer_row(o: dict) -> dict:
    return {**o, "state_label": OFFER_STATE_LABELS.get(o.get("state"), o.get("state")),
            "badge": OFFER_STATE_BADGES.get(o.get("state"), "info"),
            "next_step": next((s for s in STEP_NAMES if s not in (o.get("completed_steps") or [])), None)}


@login_required("employer")
def offer(request, offer_id):
    """The owner's page of one offer (e-mails: offer_published, offer_full, offer_unpublished)."""
    o = _offer_row(session.api(request).call("offer", offer_id=str(offer_id)))
    if o.get("employer_id") != session.user(request)["id"]:  # another employer's offer: its public page
        return redirect("offer", offer_id=offer_id)
    steps = [{"key": s, "label": label, "done": s in (o.get("completed_steps") or []),
              "url": reverse("employer:offer_step", args=[offer_id, s])} for s, label in STEPS]
    return page(request, "employer/offer.html", o.get("title") or "Offre sans titre", crumbs=_home_crumbs(),
                offer=o, steps=steps, complete=all(s["done"] for s in steps), nonce=uuid.uuid4().hex,
                weeks=[iso_week_label(w) for w in o.get("offer_weeks") or []],
                hours=_hours_rows(o), dates=(date_fr(o.get("first_day")), date_fr(o.get("last_day"))),
                moderation=moderation.history_for(request, offer_id))


def _hours_rows(o: dict) -> list[tuple[str, str]]:
    from ..forms.employer import DAYS
    by_day = o.get("hours_by_day") or {}
    return [(label, f"{by_day[d]['start']} – {by_day[d]['end']}") for d, label in DAYS if d in by_day]


# -- the wizard ---------------------------------------------------------------------------------------

def _wizard_context(step: str, offer: dict | None) -> dict:
    index = STEP_NAMES.index(step) + 1
    return {"step": step, "step_index": index, "step_label": dict(STEPS)[step], "steps_total": len(STEPS),
            "next_label": dict(STEPS)[STEP_NAMES[index]] if index < len(STEPS) else None, "offer": offer}


@login_required("employer")
def offer_new(request):
    """Step 1 creates the draft. The form carries a nonce sent as Idempotency-Key: a double submit (or a
    retry after a lost answer) gives back the same draft instead of a second one."""
    form = PlaceForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data.get("idempotency_key") or None
        try:
            created = session.api(request).call("offer_create", json=form.body(), idempotency_key=key)
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            messages.success(request, "Brouillon enregistré. Vous pourrez le reprendre à tout moment depuis "
                                      "« Mes offres ».")
            return redirect("employer:offer_step", offer_id=created["id"], step="organisation")
    return page(request, "employer/wizard.html", "Déposer une offre", crumbs=_home_crumbs(), form=form,
                **_wizard_context("place", None))


def _calendars(api) -> tuple[list[str], list, list, list]:
    """(offerable school years, week choices, 2nde period choices, public employer types)."""
    current = api.call("calendar")
    year = current["school_year"]
    start = int(year[:4])
    following = api.call("calendar", params={"school_year": f"{start + 1}-{start + 2}"})
    this_week = "%d-W%02d" % timezone.localdate().isocalendar()[:2]
    weeks = []
    for cal in (current, following):
        for w in cal["college"]["weeks"]:
            if w >= this_week:
                weeks.append((w, f"{iso_week_label(w)} ({cal['school_year']})"))
    periods = []
    for key in ("both", "week1", "week2"):
        dates = "; ".join(f"{cal['school_year']} : du {date_fr(cal['seconde'][key]['start'])} au "
                          f"{date_fr(cal['seconde'][key]['end'])}" for cal in (current, following))
        periods.append((key, f"{current['seconde'][key]['label']} ({dates})"))
    return [year, following["school_year"]], weeks, periods, current.get("public_employer_types") or []


def _declared_weeks_near(api, o: dict) -> list[dict]:
    """The 3e weeks collèges within 60 km of the offer's place declared (a hint on the planning step; nothing when
    the place has no coordinates or the gateway cannot say)."""
    if o.get("lat") is None or o.get("lon") is None:
        return []
    try:
        items = api.call("declared_weeks_near", params={"lat": o["lat"], "lon": o["lon"], "radius_km": 60})["items"]
    except ApiError:
        return []
    return [{"week": i["week"], "label": iso_week_label(i["week"]), "schools": i["schools"]} for i in items]


@login_required("employer")
def offer_step(request, offer_id, step):
    if step not in STEP_NAMES:
        raise Http404()
    declared_near = []
    api = session.api(request)
    o = api.call("offer", offer_id=str(offer_id))
    if o.get("employer_id") != session.user(request)["id"]:
        return redirect("offer", offer_id=offer_id)
    if step == "place":
        form = PlaceForm(request.POST or None, initial=PlaceForm.initial_from(o))
    elif step == "organisation":
        _, _, _, public_types = _calendars(api)
        form = OrganisationForm(request.POST or None, initial=OrganisationForm.initial_from(o),
                                sectors=api.call("sectors"), public_types=public_types)
    else:
        years, weeks, periods, _ = _calendars(api)
        form = PlanningForm(request.POST or None, initial=PlanningForm.initial_from(o, years[0]),
                            school_years=years, weeks=weeks, periods=periods)
        declared_near = _declared_weeks_near(api, o)
    if request.method == "POST" and form.is_valid():
        try:
            api.call("offer_update", offer_id=str(offer_id), json=form.body())
        except ApiError as exc:
            form.apply_api_error(exc)
        else:
            index = STEP_NAMES.index(step)
            if request.POST.get("then") == "stay" or index == len(STEP_NAMES) - 1:
                messages.success(request, "Étape enregistrée.")
                return redirect("employer:offer", offer_id=offer_id)
            return redirect("employer:offer_step", offer_id=offer_id, step=STEP_NAMES[index + 1])
    crumbs = _home_crumbs() + [(o.get("title") or "Offre", reverse("employer:offer", args=[offer_id]))]
    title = "Modifier l'offre" if o.get("state") != "draft" else "Déposer une offre"
    return page(request, "employer/wizard.html", title, crumbs=crumbs, form=form, declared_near=declared_near,
                **_wizard_context(step, o))


OFFER_ACTIONS = {
    "publish": ("offer_publish", "Votre offre est publiée : les élèves peuvent la trouver et y candidater."),
    "unpublish": ("offer_unpublish", "Votre offre est dépubliée : elle n'apparaît plus dans la recherche."),
    "duplicate": ("offer_duplicate", "Copie créée : choisissez ses semaines, puis publiez-la."),
}


@login_required("employer")
@require_POST
def offer_action(request, offer_id, action):
    if action not in OFFER_ACTIONS:
        raise Http404()
    name, done = OFFER_ACTIONS[action]
    api = session.api(request)
    kwargs = {}
    if action == "duplicate":
        kwargs = {"json": {}, "idempotency_key": request.POST.get("nonce") or None}
    try:
        out = api.call(name, offer_id=str(offer_id), **kwargs)
    except ApiError as exc:
        if exc.errors:
            messages.error(request, "L'offre ne peut pas être publiée : " + " ".join(
                m for msgs in exc.errors.values() for m in (msgs if isinstance(msgs, list) else [msgs])))
        else:
            messages.error(request, exc.detail)
        return redirect("employer:offer", offer_id=offer_id)
    messages.success(request, done)
    if action == "duplicate":
        return redirect("employer:offer_step", offer_id=out["id"], step="planning")
    if action == "publish" and len(out.get("offers") or []) > 1:
        messages.info(request, "Votre offre pour collégiens et lycéens est devenue deux offres liées, une par niveau.")
    return redirect("employer:offer", offer_id=offer_id)


# -- « Candidatures » -------------------------------------------------------------------------------

def _filters(request) -> dict:
    tab = request.GET.get("onglet") or "received"
    if tab not in dict(APPLICATION_TABS):
        tab = "received"
    return {"tab": tab, "offer_id": request.GET.get("offre") or None, "q": request.GET.get("q") or None}


@login_required("employer")
def applications(request):
    api = session.api(request)
    f = _filters(request)
    data = api.call("applications", params={**f, "page": request.GET.get("page") or 1, "per_page": 50})
    counts = data.get("tabs") or {}
    extra = "".join(f"&{k}={v}" for k, v in (("offre", f["offer_id"]), ("q", f["q"])) if v)
    tabs = [{"key": k, "label": label, "count": counts.get(k, 0), "current": k == f["tab"],
             "url": f"{reverse('employer:applications')}?onglet={k}{extra}"} for k, label in APPLICATION_TABS]
    export = f"{reverse('employer:applications_export')}?onglet={f['tab']}{extra}"
    return page(request, "employer/applications.html", "Candidatures reçues", tabs=tabs, data=data,
                items=data.get("items") or [], current_tab=dict(APPLICATION_TABS)[f["tab"]], filters=f,
                export_url=export, bulk_form=BulkForm(), bulkable=f["tab"] == "received")


@login_required("employer")
def applications_export(request):
    f = _filters(request)
    out = session.api(request).raw("applications_export", params=f, accept="text/csv")
    resp = HttpResponse(out.content, content_type=out.headers.get("Content-Type", "text/csv; charset=utf-8"))
    resp["Content-Disposition"] = out.headers.get("Content-Disposition", 'attachment; filename="candidatures.csv"')
    return resp


@login_required("employer")
@require_POST
def applications_bulk(request):
    form = BulkForm(request.POST)
    ids = request.POST.getlist("application_ids")
    back = request.POST.get("back") or reverse("employer:applications")
    if not back.startswith("/"):
        back = reverse("employer:applications")
    if not ids:
        messages.error(request, "Cochez au moins une candidature.")
        return redirect(back)
    if not form.is_valid():
        messages.error(request, "Choisissez une action.")
        return redirect(back)
    body = {"action": form.cleaned_data["action"], "application_ids": ids}
    if body["action"] == "reject":
        if not (form.cleaned_data.get("reason") or "").strip():
            messages.error(request, "Indiquez le motif du refus : il sera communiqué aux élèves.")
            return redirect(back)
        body["reason"] = form.cleaned_data["reason"].strip()
    try:
        out = session.api(request).call("applications_bulk", json=body)
    except ApiError as exc:
        detail = [exc.detail] + [m for msgs in (exc.errors or {}).values()
                                 for m in (msgs if isinstance(msgs, list) else [msgs])]
        messages.error(request, " ".join(detail))
    else:
        n = out.get("count", len(ids))
        messages.success(request, f"{n} candidature{'s' if n > 1 else ''} traitée{'s' if n > 1 else ''}.")
    return redirect(back)


APPLICATION_ACTIONS = {
    "accept": ("application_accept", AcceptForm, "Candidature acceptée : l'élève a 15 jours pour confirmer."),
    "reject": ("application_reject", RejectForm, "Candidature refusée : l'élève en est informé."),
    "transfer": ("application_transfer", TransferForm,
                 "Candidature transférée : votre collègue a reçu un lien par e-mail."),
    "cancel": ("application_cancel", CancelForm, "Candidature annulée : l'élève en est informé."),
}


@login_required("employer")
def application(request, application_id, action=None):
    """One application (e-mails: new_application, pupil_confirmed, ...). Opening it marks it read."""
    api = session.api(request)
    forms_ = {k: cls(prefix=k) for k, (_, cls, _) in APPLICATION_ACTIONS.items()}
    if request.method == "POST":
        if action not in APPLICATION_ACTIONS:
            raise Http404()
        name, cls, done = APPLICATION_ACTIONS[action]
        form = forms_[action] = cls(request.POST, prefix=action)
        if form.is_valid():
            body = {k: (v.strip() if isinstance(v, str) else v) for k, v in form.cleaned_data.items() if v}
            try:
                api.call(name, application_id=str(application_id), json=body)
            except ApiError as exc:
                form.apply_api_error(exc)
            else:
                messages.success(request, done)
                return redirect("employer:application", application_id=application_id)
    app = api.call("application", application_id=str(application_id))
    crumbs = [("Candidatures reçues", reverse("employer:applications"))]
    return page(request, "employer/application.html", f"Candidature de {app.get('pupil_name') or 'l’élève'}",
                crumbs=crumbs, app=app, forms=forms_, open_action=action,
                weeks=[iso_week_label(w) for w in app.get("weeks") or []])


# -- the transfer link (no account) ---------------------------------------------------------------

def transfer(request, token):
    api = Gateway(client=client_info(request))
    form = TransferDecisionForm(request.POST or None)
    done = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        body = {"decision": d["decision"]}
        if d["decision"] == "reject":
            body["reason"] = d["reason"].strip()
        elif (d.get("message") or "").strip():
            body["message"] = d["message"].strip()
        try:
            done = api.call("transfer_decision", token=token, json=body)
        except ApiError as exc:
            if exc.status in (404, 409):
                return page(request, "employer/transfer.html", "Candidature transférée", error=exc.detail)
            form.apply_api_error(exc)
    if done:
        return page(request, "employer/transfer.html", "Candidature transférée", done=done)
    try:
        view = api.call("transfer", token=token)
    except ApiError as exc:
        if exc.status in (404, 409, 429):
            return page(request, "employer/transfer.html", "Candidature transférée", error=exc.detail)
        raise
    app = view["application"]
    return page(request, "employer/transfer.html", "Candidature transférée", app=app, form=form,
                expires_at=view.get("expires_at"), weeks=[iso_week_label(w) for w in app.get("weeks") or []])


# -- agreements: the employer's part ------------------------------------------------------------------

SCHOOL_FIELD_LABELS = [("school_representative", "Représentant de l'établissement"),
                       ("referent_teacher", "Professeur référent"), ("pupil_address", "Adresse de l'élève"),
                       ("pupil_phone", "Téléphone de l'élève"), ("legal_representatives", "Représentants légaux"),
                       ("pai", "Projet d'accueil individualisé (PAI)"),
                       ("board_deliberation_date", "Délibération du conseil d'administration")]
SIGNER_LABELS = {"employer": "la structure d'accueil", "head_of_school": "le chef d'établissement",
                 "pupil": "l'élève", "legal_representative": "un représentant légal"}


def _plain(value) -> str:
    """A read-only value of the other party, as text."""
    if value in (None, "", [], {}):
        return "non renseigné"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return " ; ".join(_plain(v) for v in value)
    return str(value)


@login_required()
def conventions(request):
    if session.user(request)["role"] != "employer":
        from .placeholders import coming_soon
        return coming_soon(request)
    data = session.api(request).call("conventions", params={"page": request.GET.get("page") or 1})
    return page(request, "employer/conventions.html", "Mes conventions de stage", data=data,
                signers=SIGNER_LABELS)


@login_required()
def convention(request, convention_id, action=None):
    """One agreement (e-mails convention_to_fill_employer, convention_ready_to_sign...). Employers fill their
    own fields and sign with the code sent by SMS or e-mail; other roles' pages are still to come."""
    if session.user(request)["role"] != "employer":
        from .placeholders import coming_soon
        return coming_soon(request)
    api = session.api(request)
    cid = str(convention_id)
    c = api.call("convention", convention_id=cid)
    form = ConventionEmployerForm(initial=ConventionEmployerForm.initial_from(c.get("employer") or {}))
    code_form = SignatureCodeForm()
    if request.method == "POST":
        if action in ("save", "complete"):
            form = ConventionEmployerForm(request.POST, draft=action == "save")
            if form.is_valid():
                try:
                    api.call("convention_update", convention_id=cid, json=form.body())
                    if action == "complete":
                        api.call("convention_complete", convention_id=cid)
                except ApiError as exc:
                    form.apply_api_error(exc)
                else:
                    messages.success(request, "Votre partie est complète : l'établissement va compléter la sienne."
                                     if action == "complete" else "Brouillon de la convention enregistré.")
                    return redirect("convention", convention_id=convention_id)
        elif action == "code":
            try:
                out = api.call("convention_signature_code", json={"convention_ids": [cid]})
            except ApiError as exc:
                messages.error(request, exc.detail)
            else:
                messages.success(request, "Un code de signature vient de vous être envoyé (valable 10 minutes, "
                                          f"{out.get('max_attempts', 5)} essais).")
            return redirect("convention", convention_id=convention_id)
        elif action == "sign":
            code_form = SignatureCodeForm(request.POST)
            if code_form.is_valid():
                try:
                    api.call("convention_sign", convention_id=cid, json={
                        "document_hash": request.POST.get("document_hash") or c.get("document_hash"),
                        "code": code_form.cleaned_data["code"].strip()})
                except ApiError as exc:
                    code_form.apply_api_error(exc)
                else:
                    messages.success(request, "Vous avez signé la convention.")
                    return redirect("convention", convention_id=convention_id)
        else:
            raise Http404()
    prefill = c.get("prefill") or {}
    school = c.get("school") or {}
    return page(request, "employer/convention.html", f"Convention de stage de {c.get('pupil_name') or 'l’élève'}",
                crumbs=[("Mes conventions de stage", reverse("conventions"))], c=c, form=form, code_form=code_form,
                editable="update" in (c.get("allowed_actions") or []),
                can_complete="complete" in (c.get("allowed_actions") or []),
                can_sign="sign" in (c.get("allowed_actions") or [])
                and "employer" in (c.get("missing_signatures") or []),
                prefill_rows=_prefill_rows(prefill),
                school_rows=[(label, date_fr(school.get(k)) if k == "board_deliberation_date" and school.get(k)
                              else _plain(school.get(k))) for k, label in SCHOOL_FIELD_LABELS],
                employer_rows=_employer_rows(form),
                missing=[SIGNER_LABELS.get(r, r) for r in c.get("missing_signatures") or []])


def _prefill_rows(p: dict) -> list[tuple[str, str]]:
    pupil, school, org = p.get("pupil") or {}, p.get("school") or {}, p.get("organisation") or {}
    offer, period = p.get("offer") or {}, p.get("period") or {}
    return [("Élève", _plain({k: pupil.get(k) for k in ("first_name", "last_name", "class_name")})),
            ("Établissement", _plain({k: school.get(k) for k in ("name", "city")})),
            ("Structure d'accueil", _plain({k: org.get(k) for k in ("name", "siret")})),
            ("Stage", _plain({k: offer.get(k) for k in ("title", "internship_address")})),
            ("Dates", f"du {date_fr(period.get('start'))} au {date_fr(period.get('end'))}" if period
             else "non renseigné")]


def _employer_rows(form) -> list[tuple[str, str]]:
    """The employer's part, read-only (once completed and taken over by the school, or validated)."""
    from ..forms.employer import DAYS
    days = dict(DAYS)
    rows = []
    for field in form:
        value = field.value()
        if field.name == "weekdays":
            value = ", ".join(days.get(d, d).lower() for d in value or [])
        rows.append((str(field.label), _plain(value)))
    return rows
