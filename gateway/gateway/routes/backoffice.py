"""HTTP routes of the back-office (issue 21): admins find and see accounts, lock / unlock them, send a new
activation link, end their sessions, create and correct schools, change a school's designated head, and read
the administration journal; school staff manage their school's classes and move pupils in bulk.

Every handler calls the identity service (docs/rpc/identity.md), which checks permissions again with ``actor``.
Admin actions take a ``reason`` (journalled with who and when); no answer ever carries a password hash, a TOTP
secret, an activation code or a link token."""
from __future__ import annotations

from gateway.api import GRADE, PAGE, UUID, array, component, obj, page_of, route

TAG_BACKOFFICE = ["admin"]
TAG_CLASSES = ["pupils"]

_STR = {"type": ["string", "null"]}
_REASON = {"type": "string", "minLength": 1, "maxLength": 1000,
           "description": "Le motif de l'action (5 à 1 000 caractères), inscrit au journal d'administration."}
REASON = obj({"reason": _REASON}, ["reason"])
ROLE = {"type": "string", "enum": ["employer", "operator", "school_staff", "pupil", "statistician", "admin"]}
UAI = {"type": "string", "pattern": "^[0-9]{7}[A-Za-z]$", "examples": ["0131884C"]}

_SUMMARY = {
    "id": UUID, "role": ROLE, "status": {"type": "string"}, "first_name": {"type": "string"},
    "last_name": {"type": "string"}, "email": _STR, "phone": _STR, "function": _STR, "job_title": _STR,
    "organisation_name": _STR, "school_uai": _STR, "school_name": _STR, "grade": _STR, "class_name": _STR,
    "stat_scope": _STR, "stat_scope_code": _STR, "staff_confirmed": {"type": "boolean"}, "created_at": _STR,
    "last_login_at": _STR}
ADMIN_USER_SUMMARY = component("AdminUserSummary", obj(_SUMMARY, ["id", "role", "status"], additional=True,
    description="Un compte tel qu'un administrateur le trouve (jamais de mot de passe, code ni jeton)."))

SESSION = obj({"id": UUID, "started_at": {"type": "string"}, "last_used_at": {"type": "string"}, "ip": _STR,
               "user_agent": _STR}, ["id", "started_at", "last_used_at"])
ADMIN_ACTION = component("AdminAction", obj({
    "id": UUID, "actor_id": _STR, "action": {"type": "string"}, "action_label": {"type": "string"},
    "target_kind": {"type": "string", "enum": ["user", "school", "signing_key"]}, "target_id": {"type": "string"},
    "reason": _STR, "details": {"type": "object"}, "at": {"type": "string", "format": "date-time"}},
    ["id", "action", "target_kind", "target_id", "at"], additional=True,
    description="Une action d'administration : qui, quand, quoi, sur quoi, pourquoi."),
    {"id": "2f0c3a4e-5d6b-4c7a-8e9f-0a1b2c3d4e5f", "actor_id": "5b4f7c1e-0000-4000-8000-000000000001",
     "action": "user.lock", "action_label": "Verrouillage du compte", "target_kind": "user",
     "target_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "reason": "Usurpation d'identité signalée",
     "details": {"previous_status": "active", "ended_sessions": 1}, "at": "2026-12-05T09:30:00+00:00"})
ADMIN_USER = obj({
    **_SUMMARY, "activated_at": _STR, "last_activity_at": _STR,
    "followed_classes": array({"type": "string"}), "totp_configured": {"type": "boolean"},
    "password_set": {"type": "boolean"}, "designated_head_of": array({"type": "string"}),
    "school": {"type": ["object", "null"]}, "sessions": array(SESSION), "journal": array(ADMIN_ACTION)},
    ["id", "role", "status", "sessions", "journal"], additional=True,
    description="Un compte vu par un administrateur : état, rôle, établissement, sessions ouvertes, dernière "
                "connexion, journal des actions d'administration le concernant.")


def _identity(req):
    return req.rpc("identity")


# -- accounts ----------------------------------------------------------------------------------------

@route("GET", "/api/v1/admin/users", summary="Rechercher un compte (e-mail, téléphone, nom ou établissement)",
       description="q : une adresse e-mail (ou une partie), un numéro de téléphone (ou au moins 4 de ses chiffres), "
                   "un UAI, ou des mots du nom de la personne, de son organisation ou de son établissement "
                   "(sans accents ni majuscules). role : un profil.",
       tags=TAG_BACKOFFICE, roles=["admin"],
       query=obj({"q": {"type": "string", "minLength": 1, "maxLength": 200}, "role": ROLE, "page": PAGE,
                  "page_size": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}, ["q"]),
       response=component("AdminUserPage", page_of(ADMIN_USER_SUMMARY, {"query_kind": {
           "type": "string", "enum": ["email", "phone", "uai", "words"]}})))
def admin_search_users(req):
    q = req.query
    return _identity(req).admin_search_users(actor=req.actor, q=q["q"], role=q.get("role"), page=q.get("page", 1),
                                             page_size=q.get("page_size", 50))


@route("GET", "/api/v1/admin/users/<user_id>", summary="Un compte vu par un administrateur",
       tags=TAG_BACKOFFICE, roles=["admin"], response=ADMIN_USER)
def admin_get_user(req):
    return _identity(req).admin_get_user(actor=req.actor, user_id=req.path["user_id"])


_LOCK_ANSWER = obj({"user_id": UUID, "status": {"type": "string"}, "changed": {"type": "boolean"},
                    "ended_sessions": {"type": "integer"}}, ["user_id", "status", "changed"])


@route("POST", "/api/v1/admin/users/<user_id>/lock", summary="Verrouiller un compte",
       description="Le compte ne peut plus se connecter ni renouveler une session ; ses sessions sont fermées "
                   "(événement user.locked). Un compte déjà verrouillé le reste (changed: false).",
       tags=TAG_BACKOFFICE, roles=["admin"], body=REASON, response=_LOCK_ANSWER,
       body_example={"reason": "Usurpation d'identité signalée par l'établissement"})
def admin_lock_user(req):
    return _identity(req).admin_lock_user(actor=req.actor, user_id=req.path["user_id"], reason=req.body["reason"])


@route("POST", "/api/v1/admin/users/<user_id>/unlock", summary="Déverrouiller un compte",
       description="Le compte retrouve l'état qu'il avait avant d'être verrouillé (événement user.unlocked).",
       tags=TAG_BACKOFFICE, roles=["admin"], body=REASON, response=_LOCK_ANSWER)
def admin_unlock_user(req):
    return _identity(req).admin_unlock_user(actor=req.actor, user_id=req.path["user_id"], reason=req.body["reason"])


@route("POST", "/api/v1/admin/users/<user_id>/resend-activation", summary="Renvoyer le lien d'activation d'un compte",
       description="Pour un compte en attente d'activation : un nouveau lien par e-mail, l'ancien ne fonctionne "
                   "plus. Avec un Idempotency-Key, une seconde demande identique n'envoie rien de plus.",
       tags=TAG_BACKOFFICE, roles=["admin"], body=REASON, idempotent=True,
       response=obj({"user_id": UUID, "status": {"type": "string"}, "detail": {"type": "string"}},
                    ["user_id", "status"]))
def admin_resend_activation(req):
    return _identity(req).admin_resend_activation(actor=req.actor, user_id=req.path["user_id"],
                                                  reason=req.body["reason"], idempotency_key=req.idempotency_key)


@route("POST", "/api/v1/admin/users/<user_id>/end-sessions", summary="Fermer toutes les sessions d'un compte",
       description="Les jetons d'accès en cours cessent de fonctionner et les jetons de renouvellement sont refusés.",
       tags=TAG_BACKOFFICE, roles=["admin"], body=REASON,
       response=obj({"user_id": UUID, "ended_sessions": {"type": "integer"}}, ["user_id", "ended_sessions"]))
def admin_end_sessions(req):
    return _identity(req).admin_end_sessions(actor=req.actor, user_id=req.path["user_id"], reason=req.body["reason"])


@route("GET", "/api/v1/admin/audit", summary="Le journal d'administration",
       description="Les actions d'administration, les plus récentes d'abord : qui (actor_id), quand (at), quoi "
                   "(action), sur quoi (target_kind, target_id), pourquoi (reason).",
       tags=TAG_BACKOFFICE, roles=["admin"],
       query=obj({"target_id": {"type": "string", "maxLength": 64, "examples": ["0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21"],
                                "description": "L'identifiant d'un compte, un UAI ou l'identifiant d'une clé."},
                  "actor_id": {"type": "string", "maxLength": 64, "examples": ["5b4f7c1e-0000-4000-8000-000000000001"]},
                  "action": {"type": "string", "maxLength": 40, "examples": ["user.lock"]}, "page": PAGE,
                  "page_size": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}),
       response=component("AdminActionPage", page_of(ADMIN_ACTION)))
def admin_list_actions(req):
    q = req.query
    return _identity(req).admin_list_actions(actor=req.actor, action=q.get("action"), target_id=q.get("target_id"),
                                             actor_id=q.get("actor_id"), page=q.get("page", 1),
                                             page_size=q.get("page_size", 50))


# -- schools ---------------------------------------------------------------------------------------------

SCHOOL_FIELDS = {
    "name": {"type": "string", "maxLength": 200}, "kind": {"type": "string", "enum": ["college", "lycee"]},
    "sector": {"type": "string", "enum": ["public", "private"]}, "private_contract": {**_STR, "maxLength": 100},
    "status": {"type": "string", "enum": ["OUVERT", "A OUVRIR", "A FERMER"]},
    "commune_insee": {"type": "string", "maxLength": 5, "description": "Code INSEE de la commune (référentiel)."},
    "postal_code": {**_STR, "maxLength": 5}, "lat": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
    "lon": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
    "education_prioritaire": {"type": ["string", "null"], "enum": ["REP", "REP+", None]},
    "qpv": {"type": ["boolean", "null"]}, "qpv_situation": {**_STR, "maxLength": 40},
    "street_address": {**_STR, "maxLength": 200}, "address_complement": {**_STR, "maxLength": 200},
    "address_postal_code": {**_STR, "maxLength": 5}, "address_city": {**_STR, "maxLength": 100},
}
SCHOOL_ANSWER = obj({"uai": {"type": "string"}, "name": {"type": "string"}, "created": {"type": "boolean"},
                     "changed": array({"type": "string"})}, ["uai", "name"], additional=True,
                    description="L'établissement tel qu'il est enregistré (mêmes champs que School).")


@route("POST", "/api/v1/admin/schools", summary="Créer un établissement absent de l'annuaire",
       description="Un nouveau lycée par exemple. L'UAI est vérifié (7 chiffres et la bonne lettre de contrôle) ; "
                   "la commune, le département et l'académie viennent du référentiel (commune_insee). Créer deux fois "
                   "le même établissement ne change rien (created: false) ; un autre avec le même UAI : 409.",
       tags=TAG_BACKOFFICE, roles=["admin"], status=201,
       body=obj({"uai": UAI, **SCHOOL_FIELDS, "reason": _REASON},
                ["uai", "name", "kind", "sector", "commune_insee", "reason"]),
       body_example={"uai": "0139999Y", "name": "Lycée des Docks", "kind": "lycee", "sector": "public",
                     "commune_insee": "13203", "education_prioritaire": "REP", "qpv": True,
                     "street_address": "1 quai d'Arenc", "reason": "Lycée ouvert à la rentrée 2026"},
       response=SCHOOL_ANSWER)
def admin_create_school(req):
    data = {k: v for k, v in req.body.items() if k != "reason"}
    out = _identity(req).admin_create_school(actor=req.actor, data=data, reason=req.body["reason"])
    return (201 if out.get("created") else 200), out


@route("PATCH", "/api/v1/admin/schools/<uai>", summary="Corriger un établissement",
       description="Seuls les champs donnés changent (nom, adresse, commune, REP / REP+, QPV...) ; rien de changé : "
                   "rien n'est journalisé (changed: []). Événement school.updated.",
       tags=TAG_BACKOFFICE, roles=["admin"],
       body=obj({**SCHOOL_FIELDS, "reason": _REASON}, ["reason"]), response=SCHOOL_ANSWER)
def admin_update_school(req):
    data = {k: v for k, v in req.body.items() if k != "reason"}
    return _identity(req).admin_update_school(actor=req.actor, uai=req.path["uai"], data=data,
                                              reason=req.body["reason"])


@route("PUT", "/api/v1/admin/schools/<uai>/head", summary="Changer le chef d'établissement désigné (administrateur)",
       description="Les mêmes règles que PUT /schools/{uai}/head (un chef d'établissement actif et confirmé de "
                   "l'établissement), avec le motif, journalisé. Déjà désigné : changed: false.",
       tags=TAG_BACKOFFICE, roles=["admin"], body=obj({"user_id": UUID, "reason": _REASON}, ["user_id", "reason"]),
       response=obj({"school_uai": {"type": "string"}, "user_id": UUID, "previous_user_id": _STR,
                     "changed": {"type": "boolean"}}, ["school_uai", "user_id", "changed"]))
def admin_change_head(req):
    return _identity(req).admin_change_head(actor=req.actor, school_uai=req.path["uai"], user_id=req.body["user_id"],
                                            reason=req.body["reason"])


# -- classes (school staff) ----------------------------------------------------------------------------------

CLASS_NAME = {"type": "string", "minLength": 1, "maxLength": 40}
SCHOOL_CLASS = component("SchoolClass", obj({
    "id": {"type": ["string", "null"]}, "name": {"type": "string"}, "grade": {"type": ["string", "null"]},
    "pupils": {"type": "integer"}, "created_at": _STR}, ["name", "pupils"], additional=True,
    description="Une classe de l'établissement et son nombre d'élèves."),
    {"id": "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "name": "3A", "grade": "troisieme", "pupils": 27,
     "created_at": "2026-09-01T08:00:00+00:00"})


@route("GET", "/api/v1/schools/<uai>/classes", summary="Les classes de l'établissement",
       description="Avec leur nombre d'élèves (y compris les noms de classe venus d'un import). Personnel de "
                   "l'établissement et administrateurs.",
       tags=TAG_CLASSES, roles=["school_staff", "admin"],
       response=obj({"school_uai": {"type": "string"}, "items": array(SCHOOL_CLASS)}, ["items"]))
def list_classes(req):
    return _identity(req).list_classes(actor=req.actor, uai=req.path["uai"])


@route("POST", "/api/v1/schools/<uai>/classes", summary="Créer une classe",
       description="Le niveau est déduit du nom (« 3A » : troisieme) s'il n'est pas donné. Créer une classe qui "
                   "existe déjà ne change rien (created: false).",
       tags=TAG_CLASSES, roles=["school_staff", "admin"], confirmed_staff=True, status=201,
       body=obj({"name": CLASS_NAME, "grade": GRADE}, ["name"]), response=SCHOOL_CLASS)
def create_class(req):
    out = _identity(req).create_class(actor=req.actor, uai=req.path["uai"], name=req.body["name"],
                                      grade=req.body.get("grade"))
    return (201 if out.get("created") else 200), out


@route("POST", "/api/v1/schools/<uai>/classes/rename", summary="Renommer une classe",
       description="Ses élèves et les personnels qui la suivent suivent le nouveau nom ; grade (facultatif) change "
                   "le niveau de la classe et de ses élèves.",
       tags=TAG_CLASSES, roles=["school_staff", "admin"], confirmed_staff=True,
       body=obj({"name": CLASS_NAME, "new_name": CLASS_NAME, "grade": GRADE}, ["name", "new_name"]),
       response=SCHOOL_CLASS)
def rename_class(req):
    b = req.body
    return _identity(req).rename_class(actor=req.actor, uai=req.path["uai"], name=b["name"], new_name=b["new_name"],
                                       grade=b.get("grade"))


@route("POST", "/api/v1/schools/<uai>/classes/delete", summary="Supprimer une classe vide",
       description="Refusé (409 class_not_empty) tant que la classe compte des élèves : déplacez-les d'abord "
                   "(POST /schools/{uai}/pupils/move).",
       tags=TAG_CLASSES, roles=["school_staff", "admin"], confirmed_staff=True,
       body=obj({"name": CLASS_NAME}, ["name"]),
       response=obj({"name": {"type": "string"}, "deleted": {"type": "boolean"}}, ["name", "deleted"]))
def delete_class(req):
    return _identity(req).delete_class(actor=req.actor, uai=req.path["uai"], name=req.body["name"])


@route("POST", "/api/v1/schools/<uai>/pupils/move", summary="Changer plusieurs élèves de classe",
       description="Les élèves prennent le niveau de la classe quand elle en a un.",
       tags=TAG_CLASSES, roles=["school_staff", "admin"], confirmed_staff=True,
       body=obj({"pupil_ids": array(UUID, minItems=1, maxItems=500), "class_name": CLASS_NAME},
                ["pupil_ids", "class_name"]),
       response=obj({"school_uai": {"type": "string"}, "class_name": {"type": "string"}, "moved": {"type": "integer"},
                     "pupil_ids": array(UUID)}, ["class_name", "moved"]))
def move_pupils(req):
    return _identity(req).move_pupils(actor=req.actor, uai=req.path["uai"], pupil_ids=req.body["pupil_ids"],
                                      class_name=req.body["class_name"])
