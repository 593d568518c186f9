"""HTTP routes of the conventions domain (the rules live in the conventions service)."""
from __future__ import annotations

import base64

from werkzeug.wrappers import Response

from gateway.api import GRADE, ISO_WEEK, PAGE, UUID, array, component, obj, page_of, route
from gateway.budgets import LINK_ACTION_BUDGETS, LINK_VIEW_BUDGETS
from gateway.routes.applications import SCOPE, SCOPE_DESCRIPTION, SCOPE_QUERY

TAGS = ["conventions"]
STATES = ["draft", "started_by_employer", "completed_by_employer", "started_by_school", "validated",
          "signatures_started", "signed_by_all", "cancelled"]
ROLES = ["employer", "head_of_school", "pupil", "legal_representative"]
PARTIES = ["employer", "school_staff", "pupil", "admin"]
TEXT = {"type": ["string", "null"]}
DT = {"type": ["string", "null"], "format": "date-time"}
SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$",
          "examples": ["3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b"]}
NULL_SHA256 = {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"}

S = {"type": ["string", "null"], "maxLength": 1600}
SLOT = obj({"start": S, "end": S, "break_start": S, "break_end": S})
PERSON = obj({"name": S, "function": S, "email": S, "phone": S})
HOURS = obj({
    "mode": {"type": "string", "enum": ["same", "per_day"]},
    "weekdays": array({"type": "string", "enum": ["monday", "tuesday", "wednesday", "thursday", "friday",
                                                   "saturday"]}),
    "same": SLOT,
    "days": {"type": "object", "additionalProperties": {"oneOf": [SLOT, {"type": "null"}]}},
}, description="Horaires : identiques chaque jour (mode « same ») ou jour par jour (« per_day »), HH:MM")
FIELDS = obj({
    "representative": obj({"name": S, "function": S}), "tutor": PERSON, "activities": S, "hours": HOURS,
    "lunch_break": S,
    "school_representative": PERSON, "pupil_address": S, "pupil_phone": S,
    "referent_teacher": obj({"name": S, "email": S, "phone": S}),
    "legal_representatives": array(obj({"name": S, "email": S, "phone": S}), maxItems=2),
    "pai": {"type": ["boolean", "null"]},
    "emergency_kit_by": {"type": ["string", "null"], "enum": ["pupil", "legal_representative", "school", None]},
    "board_deliberation_date": {"type": ["string", "null"], "format": "date"},
    "school_address": {"oneOf": [obj({"street": S, "complement": S, "postal_code": S, "city": S}), {"type": "null"}],
                       "description": "adresse de l'établissement imprimée sur la convention, à la place de celle de "
                                      "l'annuaire (ne modifie pas l'annuaire) ; null : celle de l'annuaire"},
}, minProperties=1)

OPEN = {"type": "object", "additionalProperties": True, "properties": {}}
PERIOD = obj({"start": {**TEXT, "examples": ["2027-01-18"]}, "end": {**TEXT, "examples": ["2027-01-22"]}},
             additional=True, type=["object", "null"],
             description="Période du stage : premier jour (lundi) et dernier jour (vendredi), ISO 8601.")
PARTY = {**{k: v for k, v in FIELDS.items() if k != "minProperties"}, "additionalProperties": True}
SIGNATURE = obj({"id": UUID, "role": {"type": "string", "enum": ROLES}, "role_label": TEXT,
                 "signer_name": {"type": "string"}, "method": {"type": "string"},
                 "signed_at": {"type": "string", "format": "date-time"}, "document_hash": SHA256},
                ["role", "signer_name", "signed_at", "document_hash"], additional=True)
CONVENTION = obj({
    "id": UUID, "application_id": UUID, "offer_id": TEXT, "organisation_id": TEXT, "school_uai": {"type": "string"},
    "pupil_user_id": {"type": "string"}, "employer_user_id": {"type": "string"}, "grade": GRADE,
    "weeks": array(ISO_WEEK), "period": PERIOD, "pupil_name": TEXT, "class_name": TEXT,
    "organisation_name": TEXT, "offer_title": TEXT,
    "state": {"type": "string", "enum": STATES}, "state_label": {"type": "string"},
    "document_hash": NULL_SHA256, "employer_completed_at": DT, "school_completed_at": DT, "validated_at": DT,
    "signed_by_all_at": DT, "cancelled_at": DT,
    "signatures": array(SIGNATURE), "missing_signatures": array({"type": "string", "enum": ROLES}),
    "allowed_actions": array({"type": "string"}),
    "prefill": {**OPEN, "description": "Valeurs proposées pour les champs à compléter (mêmes clés que PATCH)."},
    "employer": {**PARTY, "description": "Les champs saisis par l'organisme d'accueil (mêmes clés que PATCH)."},
    "school": {**PARTY, "description": "Les champs saisis par l'établissement (mêmes clés que PATCH)."},
    "editable_fields": array({"type": "string"}),
}, ["id", "application_id", "state", "state_label", "signatures", "missing_signatures", "allowed_actions"],
    additional=True, description="Une convention de stage et l'état de ses signatures.")
CONVENTION = component("Convention", CONVENTION, {
    "id": "7e2c9b1a-4d3f-4a5e-8c6b-2f1e0d9c8b7a", "application_id": "9a3d7c2e-1b4f-4e6a-8d5c-3f2e1a0b9c87",
    "offer_id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11", "school_uai": "0131884C",
    "pupil_user_id": "c4e1f7a2-6b3d-4a8e-9f0c-1d2e3f4a5b6c", "employer_user_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21",
    "grade": "troisieme", "weeks": ["2027-W03"], "period": {"start": "2027-01-18", "end": "2027-01-22"},
    "pupil_name": "Camille Martin", "class_name": "3A", "organisation_name": "Boulangerie du Vieux-Port",
    "offer_title": "Découverte des métiers de la boulangerie", "state": "validated", "state_label": "Validée",
    "document_hash": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
    "validated_at": "2027-01-05T10:00:00Z", "signatures": [], "missing_signatures": ["employer", "head_of_school"],
    "allowed_actions": ["sign"], "editable_fields": []})
LIST = component("ConventionPage", page_of(CONVENTION, {
    "counts": {"type": "object", "additionalProperties": {"type": "integer"},
               "description": "Nombre de conventions par état (avec les filtres, sans la pagination)."}}))
LIST_QUERY = obj({
    "state": {"type": "string", "description": "un ou plusieurs états séparés par des virgules",
              "examples": ["validated,signatures_started"]},
    "class_name": {"type": "string", "maxLength": 60},
    "missing_signature": {"type": "string", "enum": [*ROLES, "any"],
                          "description": "conventions en attente de la signature de ce rôle (« any » : d'une signature)"},
    "q": {"type": "string", "maxLength": 100, "description": "nom de l'élève"},
    "page": PAGE, "per_page": {"type": "integer", "minimum": 1, "maximum": 100, "default": 30},
})
SIGN_BODY = obj({
    "document_hash": {**SHA256, "description": "l'empreinte du document lu (GET) : refusé s'il a changé depuis"},
    "code": {"type": "string", "pattern": "^[0-9]{6}$", "examples": ["482913"],
             "description": "organisme d'accueil : code reçu par SMS"},
    "method": {"type": "string", "enum": ["image", "typed_name"], "description": "chef d'établissement"},
    "typed_name": {"type": "string", "maxLength": 200},
}, ["document_hash"])
SIGN_MANY_BODY = obj({
    "conventions": array(obj({"convention_id": UUID, "document_hash": SHA256}, ["convention_id", "document_hash"]),
                         minItems=1, maxItems=200),
    "code": SIGN_BODY["properties"]["code"], "method": SIGN_BODY["properties"]["method"],
    "typed_name": SIGN_BODY["properties"]["typed_name"],
}, ["conventions"])
PUBLIC_VIEW = obj({"convention_id": UUID, "state": {"type": "string"}, "state_label": {"type": "string"},
                   "document_hash": SHA256, "grade": GRADE, "pupil_name": TEXT, "organisation_name": TEXT,
                   "offer_title": TEXT, "period": PERIOD, "representative_name": TEXT,
                   "signatures": array(obj({"role": {"type": "string"}, "role_label": TEXT, "signer_name": TEXT,
                                            "signed_at": DT}, additional=True))},
                  ["convention_id", "document_hash"], additional=True,
                  description="Ce que voit le représentant légal par son lien : la convention à signer.")
PUBLIC_VIEW = component("PublicConvention", PUBLIC_VIEW)
PDF = {"type": "string", "format": "binary"}
LINK_ERRORS = {404: "Lien invalide ou remplacé", 409: "Lien déjà utilisé, ou convention signée, rouverte ou annulée",
               423: "Lien bloqué après 5 noms erronés (type …/problems/link_locked) : l'établissement ou l'élève "
                    "envoie un nouveau lien"}


def _pdf_response(out: dict) -> Response:
    return Response(base64.b64decode(out["content_base64"]), status=200, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{out["filename"]}"',
                             "X-Document-Hash": out.get("document_hash") or "",
                             "Cache-Control": "private, no-store"})


@route("GET", "/api/v1/conventions", summary="Lister ses conventions", tags=TAGS, roles=PARTIES,
       query=LIST_QUERY, response=LIST,
       description="Entreprise : ses conventions ; établissement : celles de ses élèves (filtres par classe, état, "
                   "signature manquante) ; élève : la sienne.")
def conventions_list_conventions(req):
    filters = dict(req.query)
    if filters.get("state"):
        filters["state"] = [s.strip() for s in str(filters["state"]).split(",") if s.strip()]
    return req.rpc("conventions").list(actor=req.actor, filters=filters)


@route("GET", "/api/v1/conventions/stats", summary="Nombre de conventions par état", tags=TAGS,
       roles=["statistician", "admin", "school_staff", "employer"],
       description=SCOPE_DESCRIPTION + " Entreprise : ses conventions.",
       query=obj({**SCOPE_QUERY, "grade": GRADE}),
       response=component("ConventionStats", obj({
                     "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                     "total": {"type": "integer"}, "scope": SCOPE,
                     "by_class": {"type": ["object", "null"], "additionalProperties": {
                         "type": "object", "additionalProperties": {"type": "integer"}},
                         "description": "Établissement : par classe, le nombre de conventions par état."}},
                    ["counts", "total"]),
           {"counts": {"validated": 3, "signed_by_all": 12}, "total": 15, "scope": {"kind": "school", "code": "0131884C"},
            "by_class": {"3A": {"validated": 1, "signed_by_all": 7}, "3B": {"validated": 2, "signed_by_all": 5}}}))
def conventions_stats(req):
    return req.rpc("conventions").stats(actor=req.actor, filters=dict(req.query))


@route("POST", "/api/v1/conventions/signature-code", summary="Recevoir un code de signature (organisme d'accueil)",
       tags=TAGS, roles=["employer"], rate_limit=(5, 600),
       body=obj({"convention_ids": array(UUID, maxItems=200)}),
       response=obj({"sent": {"type": "boolean"}, "expires_at": {"type": "string", "format": "date-time"},
                     "max_attempts": {"type": "integer"}}, ["sent", "expires_at"]),
       description="Code à 6 chiffres envoyé par SMS (ou par e-mail sans téléphone mobile), valable 10 minutes, "
                   "5 essais ; il permet de signer plusieurs conventions.")
def conventions_request_code(req):
    return req.rpc("conventions").request_signature_code(actor=req.actor,
                                                          convention_ids=(req.body or {}).get("convention_ids"))


@route("POST", "/api/v1/conventions/sign", summary="Signer plusieurs conventions", tags=TAGS,
       confirmed_staff=True, roles=["employer", "school_staff"], body=SIGN_MANY_BODY, rate_limit=(30, 60),
       response=component("ConventionSignResult", obj({"count": {"type": "integer"}, "items": array(CONVENTION)},
                                                       ["count", "items"])),
       description="Tout ou rien : si l'une ne peut pas être signée, aucune ne l'est (409 avec le détail par "
                   "convention).")
def conventions_sign_many(req):
    b = req.body
    return req.rpc("conventions").sign_many(actor=req.actor, items=b["conventions"], code=b.get("code"),
                                            method=b.get("method"), typed_name=b.get("typed_name"),
                                            client=req.client())


@route("GET", "/api/v1/conventions/<convention_id>", summary="Lire une convention", tags=TAGS, roles=PARTIES,
       response=CONVENTION)
def conventions_get_convention(req):
    return req.rpc("conventions").get(actor=req.actor, convention_id=req.path["convention_id"])


@route("PATCH", "/api/v1/conventions/<convention_id>", summary="Enregistrer ses champs (brouillon)", tags=TAGS,
       confirmed_staff=True, roles=["employer", "school_staff"], body=FIELDS, response=CONVENTION,
       description="Chaque partie remplit ses champs (le service des conventions dit lesquels : "
                   "`editable_fields` de la convention). Convention inconnue ou d'un autre : 404 ; écrire un champ "
                   "de l'autre partie : 403 (`field_not_owned`, les champs en cause dans `errors`).")
def conventions_update_convention(req):
    return req.rpc("conventions").update(actor=req.actor, convention_id=req.path["convention_id"], fields=req.body)


@route("POST", "/api/v1/conventions/<convention_id>/complete", summary="Déclarer sa partie complète", tags=TAGS,
       confirmed_staff=True, roles=["employer", "school_staff"], response=CONVENTION)
def conventions_complete(req):
    return req.rpc("conventions").complete(actor=req.actor, convention_id=req.path["convention_id"])


@route("POST", "/api/v1/conventions/<convention_id>/validate",
       summary="Valider la convention (établissement) : le document est figé, les signatures s'ouvrent",
       tags=TAGS, confirmed_staff=True, roles=["school_staff"], response=CONVENTION)
def conventions_validate(req):
    return req.rpc("conventions").validate(actor=req.actor, convention_id=req.path["convention_id"])


@route("POST", "/api/v1/conventions/<convention_id>/reopen",
       summary="Rouvrir une convention validée (établissement) : les signatures sont effacées", tags=TAGS,
       confirmed_staff=True, roles=["school_staff"],
       body=obj({"to": {"type": "string", "enum": ["school", "employer"]}}),
       response=CONVENTION)
def conventions_reopen(req):
    return req.rpc("conventions").reopen(actor=req.actor, convention_id=req.path["convention_id"],
                                         to=(req.body or {}).get("to") or "school")


@route("POST", "/api/v1/conventions/<convention_id>/sign", summary="Signer une convention", tags=TAGS,
       confirmed_staff=True, roles=["employer", "school_staff", "pupil"], body=SIGN_BODY, response=CONVENTION,
       rate_limit=(30, 60),
       description="Organisme d'accueil : avec le code reçu ; chef d'établissement : image de signature de "
                   "l'établissement ou nom saisi ; élève : connecté.")
def conventions_sign(req):
    b = req.body
    return req.rpc("conventions").sign(actor=req.actor, convention_id=req.path["convention_id"],
                                       document_hash=b["document_hash"], code=b.get("code"), method=b.get("method"),
                                       typed_name=b.get("typed_name"), client=req.client())


@route("POST", "/api/v1/conventions/<convention_id>/resend-link",
       summary="Renvoyer le lien de signature au(x) représentant(s) légal(aux)", tags=TAGS,
       roles=["pupil", "school_staff"], rate_limit=(5, 600),
       body=obj({"rep_index": {"type": "integer", "minimum": 0, "maximum": 1}}),
       response=obj({"convention_id": UUID, "links_sent": {"type": "integer"}, "links": {"type": "integer"}}))
def conventions_resend_link(req):
    return req.rpc("conventions").resend_link(actor=req.actor, convention_id=req.path["convention_id"],
                                              rep_index=(req.body or {}).get("rep_index"))


@route("GET", "/api/v1/conventions/<convention_id>/pdf", summary="Le document PDF scellé", tags=TAGS,
       roles=PARTIES, content_type="application/pdf", response=PDF)
def conventions_get_pdf(req):
    return _pdf_response(req.rpc("conventions").get_pdf(actor=req.actor, convention_id=req.path["convention_id"]))


@route("PUT", "/api/v1/schools/<uai>/signature", summary="Enregistrer l'image de signature de l'établissement",
       tags=TAGS, confirmed_staff=True, roles=["school_staff"], request_content_types=["image/png", "image/jpeg"],
       max_body=2 * 1024 * 1024 + 1024,
       response=obj({"school_uai": {"type": "string"}, "mime": {"type": "string"}, "size": {"type": "integer"},
                     "sha256": SHA256, "uploaded_at": {"type": "string", "format": "date-time"}}, ["school_uai"]),
       description="Corps : l'image PNG ou JPEG (2 Mo au plus), vérifiée d'après son contenu.")
def conventions_set_school_signature(req):
    return req.rpc("conventions").set_school_signature(actor=req.actor, school_uai=req.path["uai"],
                                                       image_base64=base64.b64encode(req.data or b"").decode())


@route("GET", "/api/v1/schools/<uai>/signature", summary="Image de signature enregistrée ?", tags=TAGS,
       roles=["school_staff"], response=obj({"school_uai": {"type": "string"}, "registered": {"type": "boolean"}},
                                            ["school_uai", "registered"], additional=True))
def conventions_get_school_signature(req):
    return req.rpc("conventions").get_school_signature(actor=req.actor, school_uai=req.path["uai"])


@route("GET", "/api/v1/public/conventions/<token>", summary="Convention à signer (lien du représentant légal)",
       tags=TAGS, auth="none", rate_limit=LINK_VIEW_BUDGETS, response=PUBLIC_VIEW, extra_responses=LINK_ERRORS)
def conventions_public_view(req):
    return req.rpc("conventions").public_view(token=req.path["token"])


@route("GET", "/api/v1/public/conventions/<token>/pdf", summary="Le document à signer (lien du représentant légal)",
       tags=TAGS, auth="none", rate_limit=LINK_ACTION_BUDGETS, content_type="application/pdf", response=PDF,
       extra_responses=LINK_ERRORS)
def conventions_public_pdf(req):
    return _pdf_response(req.rpc("conventions").public_pdf(token=req.path["token"]))


@route("POST", "/api/v1/public/conventions/<token>", summary="Signer en tant que représentant légal", tags=TAGS,
       auth="none", rate_limit=LINK_ACTION_BUDGETS,
       body=obj({"full_name": {"type": "string", "minLength": 1, "maxLength": 200}, "document_hash": SHA256},
                ["full_name", "document_hash"]),
       response=obj({"convention_id": UUID, "state": {"type": "string"}, "signed_at": {"type": "string"},
                     "document_hash": SHA256}, ["convention_id", "state"]),
       extra_responses=LINK_ERRORS)
def conventions_public_sign(req):
    b = req.body
    return req.rpc("conventions").public_sign(token=req.path["token"], full_name=b["full_name"],
                                              document_hash=b["document_hash"], client=req.client())
