"""HTTP routes of the applications domain (the rules live in the applications service)."""
from __future__ import annotations

from werkzeug.wrappers import Response

from gateway.api import GRADE, ISO_WEEK, PAGE, UUID, array, component, obj, page_of, route
from gateway.budgets import LINK_ACTION_BUDGETS, LINK_VIEW_BUDGETS

TAGS = ["applications"]
STATES = ["submitted", "read_by_employer", "transferred", "accepted_by_employer", "confirmed", "rejected",
          "cancelled_by_employer", "cancelled_by_pupil", "cancelled_after_other_confirmed", "restored", "expired",
          "expired_by_pupil"]
TABS = ["received", "accepted", "confirmed", "rejected", "expired", "cancelled"]
ACTIONS = ["read", "transfer", "accept", "reject", "cancel", "confirm", "restore", "nudge", "invite_to_reapply"]
NULLABLE_TEXT = {"type": ["string", "null"]}
DT = {"type": ["string", "null"], "format": "date-time"}

PHONE = {"type": "string", "maxLength": 30, "examples": ["06 12 34 56 78"]}
EMAIL = {"type": "string", "maxLength": 254}
FORM = obj({
    "motivation": {"type": "string", "maxLength": 1500},
    "email": EMAIL,
    "phone": PHONE,
    "address": {"type": "string", "maxLength": 170},
    "legal_representative": obj({"name": {"type": "string", "maxLength": 100}, "email": EMAIL, "phone": PHONE},
                                ["name", "email", "phone"]),
    "week": {**ISO_WEEK, "type": ["string", "null"],
             "description": "4e/3e : une des semaines de l'offre. 2nde : ignorée (la période de l'offre)."},
}, ["motivation", "email", "phone", "address", "legal_representative"])

HISTORY_ITEM = obj({
    "action": {"type": "string"}, "from_state": NULLABLE_TEXT, "to_state": {"type": "string"},
    "from_label": NULLABLE_TEXT, "to_label": {"type": "string"}, "actor_role": {"type": "string"},
    "actor_id": NULLABLE_TEXT, "at": {"type": "string", "format": "date-time"}, "reason": NULLABLE_TEXT,
    "message": NULLABLE_TEXT,
}, ["action", "to_state", "actor_role", "at"], additional=True)

LEGAL_REPRESENTATIVE = obj({"name": NULLABLE_TEXT, "email": NULLABLE_TEXT, "phone": NULLABLE_TEXT}, additional=True,
                           type=["object", "null"], description="Représentant légal (masqué tant que les "
                                                                "coordonnées le sont).")
_APPLICATION_EXAMPLE = {
    "id": "9a3d7c2e-1b4f-4e6a-8d5c-3f2e1a0b9c87", "offer_id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11",
    "offer_title": "Découverte des métiers de la boulangerie", "pupil_id": "c4e1f7a2-6b3d-4a8e-9f0c-1d2e3f4a5b6c",
    "employer_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "school_uai": "0131884C", "pupil_name": "Camille Martin",
    "grade": "troisieme", "school_name": "Collège Belle de Mai", "weeks": ["2027-W03"],
    "motivation": "J'aimerais découvrir le métier de boulanger, que je fais déjà le week-end avec mon oncle.",
    "email": "camille.martin@example.fr", "phone": "06 12 34 56 78", "address": "8 rue des Lilas, 13003 Marseille",
    "legal_representative": {"name": "Sophie Martin", "email": "sophie.martin@example.fr",
                             "phone": "06 98 76 54 32"},
    "contact_hidden": False, "state": "submitted", "state_label": "Envoyée", "tab": "received",
    "submitted_at": "2026-12-01T17:45:00Z", "accepted_at": None, "transferred_at": None, "restored_at": None,
    "nudged_at": None, "reapply_invited_at": None, "updated_at": "2026-12-01T17:45:00Z",
    "deadline_at": "2026-12-15T17:45:00Z", "restore_count": 0, "allowed_actions": ["cancel"],
    "history": [{"action": "submit", "from_state": None, "to_state": "submitted", "from_label": None,
                 "to_label": "Envoyée", "actor_role": "pupil", "actor_id": "c4e1f7a2-6b3d-4a8e-9f0c-1d2e3f4a5b6c",
                 "at": "2026-12-01T17:45:00Z", "reason": None, "message": None}],
}
APPLICATION = obj({
    "id": UUID, "offer_id": {"type": "string"}, "offer_title": NULLABLE_TEXT, "pupil_id": {"type": "string"},
    "employer_id": {"type": "string"}, "school_uai": NULLABLE_TEXT, "pupil_name": NULLABLE_TEXT,
    "grade": GRADE, "school_name": NULLABLE_TEXT, "weeks": array(ISO_WEEK), "motivation": {"type": "string"},
    "email": NULLABLE_TEXT, "phone": NULLABLE_TEXT, "address": NULLABLE_TEXT,
    "legal_representative": LEGAL_REPRESENTATIVE, "contact_hidden": {"type": "boolean"},
    "state": {"type": "string", "enum": STATES}, "state_label": {"type": "string"},
    "tab": {"type": "string", "enum": TABS}, "submitted_at": DT, "accepted_at": DT, "transferred_at": DT,
    "restored_at": DT, "nudged_at": DT, "reapply_invited_at": DT, "updated_at": DT, "deadline_at": DT,
    "restore_count": {"type": "integer"},
    "allowed_actions": array({"type": "string", "enum": ACTIONS}),
    "history": array(HISTORY_ITEM),
}, ["id", "offer_id", "state", "state_label", "weeks"], additional=True,
    description="Une candidature, telle que la voit l'appelant (coordonnées de l'élève masquées pour "
                "l'entreprise avant acceptation).")
APPLICATION = component("Application", APPLICATION, _APPLICATION_EXAMPLE)

LIST = component("ApplicationPage", page_of(APPLICATION, {
    "tabs": {"type": "object", "additionalProperties": {"type": "integer"},
             "description": "Nombre de candidatures par onglet (received, accepted...)."}}))

LIST_QUERY = obj({
    "tab": {"type": "string", "enum": TABS},
    "state": {"type": "string", "description": "un ou plusieurs statuts séparés par des virgules",
              "examples": ["submitted,read_by_employer"]},
    "offer_id": {"type": "string", "maxLength": 36},
    "week": ISO_WEEK,
    "grade": GRADE,
    "school_uai": {"type": "string", "maxLength": 10},
    "pupil_id": {"type": "string", "maxLength": 36},
    "q": {"type": "string", "maxLength": 100},
    "page": PAGE,
    "per_page": {"type": "integer", "minimum": 1, "maximum": 200, "default": 30},
})

REASON = {"type": "string", "maxLength": 1000}
MESSAGE = {"type": "string", "maxLength": 1500}
VIEWERS = ["pupil", "employer", "school_staff", "admin"]


def _filters(req) -> dict:
    return {k: v for k, v in (req.query or {}).items() if v not in (None, "")}


@route("POST", "/api/v1/offers/<offer_id>/applications", summary="Candidater à une offre", tags=TAGS,
       roles=["pupil"], body=FORM, response=APPLICATION, status=201, idempotent=True,
       description="Une seule candidature par élève et par offre ; renvoyer la même requête avec le même "
                   "en-tête Idempotency-Key rend la candidature déjà créée (200).",
       extra_responses={200: "Candidature déjà enregistrée (même Idempotency-Key) : la même candidature",
                        403: "Offre non ouverte à cet élève", 409: "Candidature impossible (motif en détail)"})
def submit(req):
    out = req.rpc("applications").submit(actor=req.actor, offer_id=req.path["offer_id"], form=req.body,
                                         idempotency_key=req.idempotency_key)
    created = out.pop("created", True)
    return (201 if created else 200), out


@route("GET", "/api/v1/applications", summary="Lister les candidatures visibles", tags=TAGS, roles=VIEWERS,
       query=LIST_QUERY, response=LIST,
       description="Élève : les siennes. Entreprise : celles reçues sur ses offres (onglets). Établissement : "
                   "celles de ses élèves. Les coordonnées de l'élève ne sont visibles de l'entreprise qu'une "
                   "fois la candidature acceptée.")
def list_applications(req):
    return req.rpc("applications").list_applications(actor=req.actor, filters=_filters(req))


@route("GET", "/api/v1/applications/export.csv", summary="Exporter ses candidatures (CSV)", tags=TAGS,
       roles=["employer", "admin"], query=LIST_QUERY, content_type="text/csv",
       response={"type": "string"})
def export_csv(req):
    out = req.rpc("applications").export_csv(actor=req.actor, filters=_filters(req))
    return Response(out["content"].encode("utf-8"), status=200, mimetype="text/csv",
                    headers={"Content-Type": out["content_type"],
                             "Content-Disposition": f'attachment; filename="{out["filename"]}"'})


CLASS = obj({"class_name": {"type": "string"}, "pupils": {"type": "integer"},
             "with_application": {"type": "integer"}, "confirmed": {"type": "integer"},
             "without_application": array(obj({"pupil_id": {"type": "string"}, "name": {"type": "string"}},
                                              additional=True))}, additional=True)


@route("GET", "/api/v1/applications/classes", summary="Candidatures par classe (qui n'a pas encore candidaté)",
       tags=TAGS, roles=["school_staff"],
       response=component("ClassSummary", obj({
           "school_uai": {"type": "string"}, "classes": array(CLASS), "pupils": {"type": "integer"},
           "with_application": {"type": "integer"}, "confirmed": {"type": "integer"}}, ["classes"], additional=True),
           {"school_uai": "0131884C", "pupils": 28, "with_application": 20, "confirmed": 12,
            "classes": [{"class_name": "3A", "pupils": 28, "with_application": 20, "confirmed": 12,
                         "without_application": [{"pupil_id": "c4e1f7a2-6b3d-4a8e-9f0c-1d2e3f4a5b6c",
                                                  "name": "Camille Martin"}]}]}))
def class_summary(req):
    return req.rpc("applications").class_summary(actor=req.actor)


@route("GET", "/api/v1/applications/<application_id>", summary="Lire une candidature et son historique",
       tags=TAGS, roles=VIEWERS, response=APPLICATION,
       description="L'entreprise qui ouvre une candidature reçue la marque comme lue.")
def get_application(req):
    svc = req.rpc("applications")
    if req.actor.get("role") == "employer":  # the employer opening it marks it read (idempotent)
        return svc.read(actor=req.actor, application_id=req.path["application_id"])
    return svc.get_application(application_id=req.path["application_id"], actor=req.actor)


def _action_route(action: str, summary: str, roles: list[str], body: dict | None, call):
    def handler(req):
        return call(req.rpc("applications"), req, req.body or {})

    handler.__name__ = f"{action}_application"
    route("POST", f"/api/v1/applications/<application_id>/{action}", summary=summary, tags=TAGS, roles=roles,
          body=body, response=APPLICATION, extra_responses={409: "Action impossible dans l'état actuel"})(handler)
    return handler


_action_route("read", "Marquer comme lue (l'entreprise l'ouvre)", ["employer"], None,
              lambda s, r, b: s.read(actor=r.actor, application_id=r.path["application_id"]))
_action_route("accept", "Accepter (message facultatif)", ["employer"], obj({"message": MESSAGE}),
              lambda s, r, b: s.accept(actor=r.actor, application_id=r.path["application_id"],
                                       message=b.get("message")))
_action_route("reject", "Refuser (motif obligatoire)", ["employer"], obj({"reason": REASON}, ["reason"]),
              lambda s, r, b: s.reject(actor=r.actor, application_id=r.path["application_id"],
                                       reason=b.get("reason")))
_action_route("transfer", "Transférer à une personne hors plateforme (lien à usage unique, 30 jours)",
              ["employer"], obj({"email": EMAIL, "message": MESSAGE}, ["email"]),
              lambda s, r, b: s.transfer(actor=r.actor, application_id=r.path["application_id"],
                                         email=b.get("email"), message=b.get("message")))
_action_route("confirm", "Confirmer le stage (élève, 15 jours après l'acceptation)", ["pupil"], None,
              lambda s, r, b: s.confirm(actor=r.actor, application_id=r.path["application_id"]))
_action_route("cancel", "Annuler (motif obligatoire pour l'entreprise)", ["pupil", "employer"],
              obj({"reason": REASON}),
              lambda s, r, b: s.cancel(actor=r.actor, application_id=r.path["application_id"],
                                       reason=b.get("reason")))
_action_route("restore", "Restaurer une candidature annulée (une fois)", ["pupil"], None,
              lambda s, r, b: s.restore(actor=r.actor, application_id=r.path["application_id"]))
_action_route("nudge", "Relancer l'entreprise (une fois)", ["pupil"], None,
              lambda s, r, b: s.nudge(actor=r.actor, application_id=r.path["application_id"]))
_action_route("invite_to_reapply", "Inviter l'élève à candidater de nouveau (candidature refusée : le refus reste "
              "définitif)", ["employer"], None,
              lambda s, r, b: s.invite_to_reapply(actor=r.actor, application_id=r.path["application_id"]))


BULK = obj({"action": {"type": "string", "enum": ["read", "accept", "reject"]},
            "application_ids": array({"type": "string", "maxLength": 36}, minItems=1, maxItems=200,
                                     uniqueItems=True),
            "reason": REASON, "message": MESSAGE}, ["action", "application_ids"])


@route("POST", "/api/v1/applications/bulk", summary="Traiter plusieurs candidatures d'un coup (tout ou rien)",
       tags=TAGS, roles=["employer"], body=BULK,
       response=component("ApplicationBulkResult", obj(
           {"action": {"type": "string"}, "count": {"type": "integer"}, "items": array(APPLICATION)},
           ["action", "count", "items"])),
       extra_responses={409: "Aucune n'a été traitée : le détail par candidature est dans errors"})
def bulk(req):
    b = req.body
    return req.rpc("applications").bulk(actor=req.actor, action=b["action"], application_ids=b["application_ids"],
                                        reason=b.get("reason"), message=b.get("message"))


TRANSFER_VIEW = component("ApplicationTransfer", obj(
    {"application": APPLICATION, "expires_at": {"type": "string", "format": "date-time"}},
    ["application", "expires_at"],
    description="La candidature transférée à un collègue, et la fin de validité du lien."))


@route("GET", "/api/v1/public/transfers/<token>", summary="Candidature transférée (lien reçu par e-mail)",
       tags=TAGS, auth="none", response=TRANSFER_VIEW, rate_limit=LINK_VIEW_BUDGETS,
       extra_responses={404: "Lien invalide", 409: "Lien déjà utilisé ou expiré"})
def get_transfer(req):
    return req.rpc("applications").get_transfer(token=req.path["token"])


@route("POST", "/api/v1/public/transfers/<token>/decision", summary="Accepter ou refuser la candidature transférée",
       tags=TAGS, auth="none", rate_limit=LINK_ACTION_BUDGETS,
       body=obj({"decision": {"type": "string", "enum": ["accept", "reject"]}, "reason": REASON,
                 "message": MESSAGE}, ["decision"]),
       response=APPLICATION, extra_responses={404: "Lien invalide", 409: "Lien déjà utilisé ou expiré"})
def decide_transfer(req):
    b = req.body
    return req.rpc("applications").decide_transfer(token=req.path["token"], decision=b["decision"],
                                                   reason=b.get("reason"), message=b.get("message"))


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
BUCKET = obj({"by_state": _COUNTS, "by_tab": _COUNTS, "total": {"type": "integer"},
              "pupils": {"type": "integer"}, "placed_pupils": {"type": "integer"},
              "placement_rate": {"type": ["number", "null"]}}, additional=True)


SCOPE = component("StatsScope", obj(
    {"kind": {"type": "string", "enum": ["school", "departement", "academie", "region", "national", "employer"]},
     "code": NULLABLE_TEXT}, additional=True,
    description="Le périmètre des chiffres : un type et un code, jamais un nom (entreprise : employer et son "
                "identifiant)."),
                  {"kind": "academie", "code": "02"})
SCOPE_QUERY = {
    "school_uai": {"type": "string", "maxLength": 10, "description": "un établissement (UAI) de votre périmètre"},
    "departement": {"type": "string", "maxLength": 3, "description": "code du département (13, 2A, 971)"},
    "academie": {"type": "string", "maxLength": 3, "description": "code de l'académie (02 : Aix-Marseille)"},
    "region": {"type": "string", "maxLength": 3, "description": "code de la région (93 : Provence-Alpes-Côte d'Azur)"},
}
SCOPE_DESCRIPTION = ("Chaque chiffre est calculé dans le périmètre de l'appelant : son établissement (personnel), "
                     "le département, l'académie, la région ou la France entière de son compte (statisticien), "
                     "la France entière (administrateur) ; les filtres school_uai, departement, academie, region "
                     "le restreignent à l'intérieur de ce périmètre (403 au-delà). Codes, jamais noms.")


@route("GET", "/api/v1/stats/applications", summary="Candidatures par statut (REP+, REP, QPV, autres)",
       tags=TAGS, roles=["employer", "school_staff", "statistician", "admin"],
       description=SCOPE_DESCRIPTION + " Entreprise : ses offres.",
       query=obj({**SCOPE_QUERY, "employer_id": {"type": "string", "maxLength": 36},
                  "offer_id": {"type": "string", "maxLength": 36}}),
       response=component("ApplicationStats", obj({
                     "scope": SCOPE, "total": BUCKET,
                     "by_category": obj({c: BUCKET for c in ("rep_plus", "rep", "qpv", "other")}),
                     "priority": obj({"pupils": {"type": "integer"}, "placed_pupils": {"type": "integer"},
                                      "placement_rate": {"type": ["number", "null"]}}, additional=True,
                                     description="Élèves prioritaires (REP, REP+, QPV) : élèves, élèves placés, taux."),
                     "by_month": {"type": "array", "description": "par mois de dépôt (heure de Paris), les "
                                  "candidatures déposées et combien sont aujourd'hui confirmées (élèves placés)",
                                  "items": obj({"month": {"type": "string", "example": "2027-01"},
                                                "applications": {"type": "integer"},
                                                "placed": {"type": "integer"}},
                                               ["month", "applications", "placed"])}},
                    ["total", "by_category"], additional=True)))
def stats(req):
    return req.rpc("applications").stats(actor=req.actor, filters=_filters(req))
