"""HTTP routes of the identity domain: accounts, tokens, schools, pupils, personal data.

Every handler calls the identity service (docs/rpc/identity.md); the service checks
permissions again with ``actor``."""
from __future__ import annotations

import base64

from werkzeug.wrappers import Response

from gateway.api import GRADE, PAGE, UUID, array, component, obj, page_of, route
from gateway.budgets import Budget

TAG_AUTH = ["auth"]
TAG_ME = ["me"]
TAG_SCHOOLS = ["schools"]
TAG_PUPILS = ["pupils"]
TAG_ADMIN = ["admin"]

_NULLABLE_STR = {"type": ["string", "null"]}
ROLE = {"type": "string", "enum": ["employer", "operator", "school_staff", "pupil", "statistician", "admin"]}
FUNCTION = {"type": "string", "enum": ["head", "teacher", "cpe", "admin_staff"]}
UAI = {"type": "string", "pattern": "^[0-9]{7}[A-Za-z]$", "examples": ["0131884C"]}
PASSWORD = {"type": "string", "minLength": 1, "maxLength": 1000,
            "description": "12 à 128 caractères, avec minuscule, majuscule, chiffre et caractère spécial."}
DETAIL = component("Detail", obj({"status": {"type": "string"}, "detail": {"type": "string"}}, ["status"],
                                 additional=True, description="Ce qui a été fait, en une phrase."),
                   {"status": "accepted", "detail": "Si un compte correspond à cette adresse, un e-mail vient de "
                                                    "lui être envoyé."})

USER = obj({
    "id": UUID, "role": ROLE, "status": {"type": "string"}, "first_name": {"type": "string"},
    "last_name": {"type": "string"}, "function": _NULLABLE_STR, "job_title": _NULLABLE_STR,
    "organisation_name": _NULLABLE_STR, "school_uai": _NULLABLE_STR, "grade": _NULLABLE_STR,
    "class_name": _NULLABLE_STR, "stat_scope": _NULLABLE_STR, "stat_scope_code": _NULLABLE_STR,
    "created_at": _NULLABLE_STR, "activated_at": _NULLABLE_STR,
}, ["id", "role", "status"], additional=True)

SCHOOL = obj({
    "uai": {"type": "string"}, "kind": {"type": "string", "enum": ["college", "lycee"]}, "name": {"type": "string"},
    "sector": {"type": "string", "enum": ["public", "private"]}, "private_contract": _NULLABLE_STR,
    "status": {"type": "string"}, "postal_code": _NULLABLE_STR, "commune_insee": _NULLABLE_STR,
    "commune_name": {"type": "string"}, "dep_code": _NULLABLE_STR, "academie_code": _NULLABLE_STR,
    "academie_name": _NULLABLE_STR, "lat": {"type": ["number", "null"]}, "lon": {"type": ["number", "null"]},
    "education_prioritaire": {"type": ["string", "null"], "enum": ["REP", "REP+", None]},
    "qpv": {"type": ["boolean", "null"]}, "qpv_situation": _NULLABLE_STR,
    "street_address": _NULLABLE_STR, "address_complement": _NULLABLE_STR, "address_postal_code": _NULLABLE_STR,
    "address_city": _NULLABLE_STR,
    "distance_km": {"type": "number"},
}, ["uai", "kind", "name"], additional=True, description="Un établissement de l'annuaire (collège ou lycée).")
SCHOOL = component("School", SCHOOL, {
    "uai": "0131884C", "kind": "college", "name": "Collège Belle de Mai", "sector": "public",
    "private_contract": None, "status": "open", "postal_code": "13003", "commune_insee": "13203",
    "commune_name": "Marseille", "dep_code": "13", "academie_code": "02", "academie_name": "Aix-Marseille",
    "lat": 43.3112, "lon": 5.3869, "education_prioritaire": "REP+", "qpv": True, "qpv_situation": "dans un QPV",
    "street_address": "14 rue Belle de Mai", "address_complement": None, "address_postal_code": "13003",
    "address_city": "Marseille"})
USER_REF = component("User", {**USER, "description": "Un compte (sans coordonnées)."}, {
    "id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "role": "employer", "status": "active", "first_name": "Claire",
    "last_name": "Durand", "function": None, "job_title": "Gérante", "organisation_name": "Boulangerie du Vieux-Port",
    "school_uai": None, "grade": None, "class_name": None, "stat_scope": None, "stat_scope_code": None,
    "created_at": "2026-10-30T14:00:00Z", "activated_at": "2026-10-30T14:05:00Z"})
CLAIMS = obj({k: {"type": ["string", "boolean", "null"]} for k in (
    "user_id", "role", "function", "school_uai", "grade", "school_rep", "school_qpv", "academie", "staff_confirmed",
    "stat_scope", "stat_scope_code", "space_id")}, additional=True,
    description="Les droits portés par le jeton d'accès (les mêmes que ses claims), pour l'interface.")

TOKENS = obj({
    "access_token": {"type": "string", "description": "JWT RS256, 15 minutes."},
    "token_type": {"type": "string", "const": "Bearer"},
    "expires_in": {"type": "integer"},
    "refresh_token": {"type": "string", "description": "Opaque, à usage unique : chaque renouvellement en donne un nouveau."},
    "refresh_expires_at": {"type": "string", "format": "date-time"},
    "user": USER_REF,
    "claims": CLAIMS,
}, ["access_token", "token_type", "expires_in", "refresh_token", "user"], description="Une session ouverte.")
TOKENS = component("Tokens", TOKENS)

PUPIL = obj({
    "id": UUID, "first_name": {"type": "string"}, "last_name": {"type": "string"}, "class_name": _NULLABLE_STR,
    "grade": GRADE, "birth_date": _NULLABLE_STR, "ine": _NULLABLE_STR, "email": _NULLABLE_STR,
    "status": {"type": "string"}, "activated": {"type": "boolean"}, "last_activity_at": _NULLABLE_STR,
}, ["id", "first_name", "last_name", "grade"], additional=True, description="Un élève de l'établissement.")
PUPIL = component("Pupil", PUPIL, {
    "id": "c4e1f7a2-6b3d-4a8e-9f0c-1d2e3f4a5b6c", "first_name": "Camille", "last_name": "Martin", "class_name": "3A",
    "grade": "troisieme", "birth_date": "2012-03-04", "ine": None, "email": "camille.martin@example.fr",
    "status": "active", "activated": True, "last_activity_at": "2026-12-01T17:45:00Z"})

CODE = obj({"pupil_id": UUID, "last_name": {"type": "string"}, "first_name": {"type": "string"},
            "class_name": {"type": "string"}, "grade": GRADE, "code": {"type": "string", "examples": ["K7QM-2XHP"]}},
           ["pupil_id", "code"])

_NULLABLE_UUID = {"type": ["string", "null"], "format": "uuid"}
ROW_VALUES = {"type": "object", "additionalProperties": {"type": ["string", "integer", "null"]},
              "description": "La ligne lue : colonnes reconnues (nom, prénom, date de naissance, classe, niveau...)."}

IMPORT_REPORT = component("PupilImportReport", obj({
    "import_id": {**_NULLABLE_UUID, "description": "null pour un aperçu (dry_run)."}, "school_uai": {"type": "string"},
    "dry_run": {"type": "boolean", "description": "true : aperçu, rien n'a été enregistré."},
    "summary": obj({"created": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
                    "rejected": {"type": "integer"}}, ["created", "updated", "unchanged", "rejected"], additional=True),
    "report": obj({
        "created": array(obj({"line": {"type": "integer"}, "pupil_id": _NULLABLE_UUID,
                              "values": ROW_VALUES},
                             additional=True)),
        "updated": array(obj({"line": {"type": "integer"}, "pupil_id": UUID,
                              "changes": array({"type": "string"})}, additional=True)),
        "unchanged": array(obj({"line": {"type": "integer"}, "pupil_id": UUID}, additional=True)),
        "rejected": array(obj({"line": {"type": "integer"}, "values": ROW_VALUES,
                               "reasons": array({"type": "string"})}, additional=True)),
    }, ["created", "updated", "unchanged", "rejected"]),
    "codes": array(CODE),
    "codes_expire_at": _NULLABLE_STR,
    "sheet_pdf_base64": {"type": ["string", "null"], "description": "La fiche imprimable des codes (PDF, base64)."},
}, ["import_id", "summary", "report", "codes"], description="Le compte rendu d'un import d'élèves (ou de son "
                                                               "aperçu) et les codes d'activation des nouveaux."))

JWKS = component("Jwks", obj({"keys": array(obj(
    {"kty": {"type": "string"}, "use": {"type": "string"}, "alg": {"type": "string"}, "kid": {"type": "string"},
     "n": {"type": "string"}, "e": {"type": "string"}}, ["kty", "kid", "n", "e"], additional=True))}, ["keys"],
    description="Les clés publiques RSA qui vérifient les jetons d'accès (RFC 7517)."))


def _client(req) -> dict:
    c = req.client()
    return {"ip": c["ip"], "user_agent": c["user_agent"]}


def _identity(req):
    return req.rpc("identity")


# -- authentication ------------------------------------------------------------------------

REGISTER = obj({
    "role": {"type": "string", "enum": ["employer", "operator", "school_staff", "statistician"]},
    "first_name": {"type": "string", "maxLength": 100}, "last_name": {"type": "string", "maxLength": 100},
    "function": {"type": "string", "maxLength": 100,
                 "description": "Personnel d'établissement : head, teacher, cpe ou admin_staff. "
                                "Autres profils : intitulé du poste."},
    "email": {"type": "string", "maxLength": 254,
              "description": "Personnel d'établissement : adresse académique (…@ac-<académie>.fr) de l'académie de l'établissement."},
    "phone": {"type": ["string", "null"], "maxLength": 30, "description": "Mobile, facultatif."},
    "password": PASSWORD,
    "school_uai": {"type": ["string", "null"], "description": "Personnel d'établissement : UAI de l'établissement."},
    "organisation_name": {"type": ["string", "null"], "maxLength": 200, "description": "Opérateurs."},
    "stat_scope": {"type": ["string", "null"], "enum": ["departement", "academie", "region", "national", None]},
    "stat_scope_code": {"type": ["string", "null"], "maxLength": 10},
}, ["role", "first_name", "last_name", "email", "password"])


@route("POST", "/api/v1/auth/register", summary="Créer un compte (employeur, opérateur, personnel, statisticien)",
       description="Le compte doit ensuite être activé par le lien envoyé par e-mail (valable 7 jours). La réponse est "
                   "la même si l'adresse a déjà un compte.",
       tags=TAG_AUTH, auth="none", body=REGISTER, response=DETAIL, status=201,
       body_example={"role": "employer", "first_name": "Claire", "last_name": "Durand", "function": "Gérante",
                     "email": "claire.durand@example.fr", "phone": "06 12 34 56 78", "password": "Boulangerie-2027!"},
       response_example={"status": "pending_activation", "detail": "Compte créé : cliquez sur le lien envoyé par "
                                                                  "e-mail pour l'activer (valable 7 jours)."},
       rate_limit=[Budget(5, 3600, per="body:email"), Budget(1000, 3600, per="ip")])
def register(req):
    return _identity(req).register(data=req.body, client=_client(req))


@route("POST", "/api/v1/auth/activate", summary="Activer un compte avec le jeton reçu par e-mail", tags=TAG_AUTH,
       auth="none", body=obj({"token": {"type": "string", "minLength": 1, "maxLength": 200}}, ["token"]),
       response=obj({"status": {"type": "string"}, "user_id": UUID, "detail": {"type": "string"}}, ["status"]))
def activate(req):
    return _identity(req).activate(token=req.body["token"])


@route("POST", "/api/v1/auth/activate/resend", summary="Renvoyer le lien d'activation", tags=TAG_AUTH, auth="none",
       body=obj({"email": {"type": "string", "maxLength": 254}}, ["email"]), response=DETAIL, status=202,
       extra_responses={429: "Trop de demandes : 3 par heure et par adresse (300 par heure et par adresse IP)"})
def resend_activation(req):
    return _identity(req).resend_activation(email=req.body["email"], client=_client(req))


@route("POST", "/api/v1/auth/login", summary="Se connecter (e-mail ou mobile, et mot de passe)",
       description="8 échecs bloquent le compte 15 minutes (429 avec Retry-After). Les administrateurs ajoutent "
                   "le code TOTP (totp_code). La réponse ne révèle jamais si un compte existe.",
       tags=TAG_AUTH, auth="none",
       body=obj({"identifier": {"type": "string", "maxLength": 254, "description": "E-mail ou numéro de mobile."},
                 "password": {"type": "string", "maxLength": 1000},
                 "totp_code": {"type": ["string", "null"], "maxLength": 10}}, ["identifier", "password"]),
       response=TOKENS,
       extra_responses={429: "Compte bloqué 15 minutes après 8 échecs, ou plus de 1 000 échecs en 15 minutes depuis "
                             "la même adresse IP"})
def login(req):
    b = req.body
    return _identity(req).login(identifier=b["identifier"], password=b["password"], totp_code=b.get("totp_code"),
                                client=_client(req))


@route("POST", "/api/v1/auth/refresh", summary="Renouveler les jetons (rotation du jeton de renouvellement)",
       description="Un jeton de renouvellement déjà utilisé révoque toute la session (détection de rejeu).",
       tags=TAG_AUTH, auth="none", body=obj({"refresh_token": {"type": "string", "maxLength": 200}}, ["refresh_token"]),
       response=TOKENS)
def refresh(req):
    return _identity(req).refresh(refresh_token=req.body["refresh_token"], client=_client(req))


@route("POST", "/api/v1/auth/logout", summary="Se déconnecter (révoquer la session, ou toutes)",
       tags=TAG_AUTH, auth="optional",
       body=obj({"refresh_token": {"type": ["string", "null"], "maxLength": 200},
                 "all_sessions": {"type": "boolean", "default": False}}),
       response=obj({"status": {"type": "string"}, "revoked_sessions": {"type": "integer"},
                     "end_session_url": {"type": "string", "description": "Session ouverte par ÉduConnect ou FIM "
                                         "(jeton d'accès présenté) : l'adresse qui ferme aussi celle du fournisseur."}},
                    ["status"]))
def logout(req):
    b = req.body or {}
    out = _identity(req).logout(refresh_token=b.get("refresh_token"), actor=req.actor,
                                all_sessions=bool(b.get("all_sessions")) and req.actor is not None)
    from gateway.routes.federation import end_session_of   # national sign-in (docs/federation.md)
    end = end_session_of(req)
    return {**out, "end_session_url": end} if end else out


@route("POST", "/api/v1/auth/password-reset", summary="Demander un lien de réinitialisation du mot de passe",
       description="Réponse identique que le compte existe ou non. Lien valable 1 heure.",
       tags=TAG_AUTH, auth="none", body=obj({"email": {"type": "string", "maxLength": 254}}, ["email"]),
       response=DETAIL, status=202,
       extra_responses={429: "Trop de demandes : 3 par heure et par compte (300 par heure et par adresse IP)"})
def password_reset(req):
    return _identity(req).request_password_reset(email=req.body["email"], client=_client(req))


@route("POST", "/api/v1/auth/password-reset/confirm", summary="Choisir un nouveau mot de passe (ferme toutes les sessions)",
       tags=TAG_AUTH, auth="none",
       body=obj({"token": {"type": "string", "minLength": 1, "maxLength": 200}, "password": PASSWORD},
                ["token", "password"]),
       response=obj({"status": {"type": "string"}, "revoked_sessions": {"type": "integer"},
                     "detail": {"type": "string"}}, ["status"]))
def password_reset_confirm(req):
    return _identity(req).confirm_password_reset(token=req.body["token"], password=req.body["password"])


@route("POST", "/api/v1/auth/pupil-activate", summary="Élève : activer son compte avec le code remis par l'établissement",
       description="Le code sert une seule fois. L'élève choisit son mot de passe et, si l'établissement n'en a pas "
                   "fourni, l'adresse e-mail (ou le mobile) qui lui servira d'identifiant. Renvoie une session.",
       tags=TAG_AUTH, auth="none",
       body=obj({"code": {"type": "string", "maxLength": 20, "examples": ["K7QM-2XHP"]}, "password": PASSWORD,
                 "email": {"type": ["string", "null"], "maxLength": 254},
                 "phone": {"type": ["string", "null"], "maxLength": 30}}, ["code", "password"]),
       response=TOKENS,
       extra_responses={429: "Plus de 300 codes erronés en 15 minutes depuis la même adresse IP"})
def pupil_activate(req):
    b = req.body
    return _identity(req).pupil_activate(code=b["code"], password=b["password"], email=b.get("email"),
                                         phone=b.get("phone"), client=_client(req))


@route("POST", "/api/v1/auth/invitation/accept", summary="Accepter l'invitation d'un collègue",
       tags=TAG_AUTH, auth="none",
       body=obj({"token": {"type": "string", "minLength": 1, "maxLength": 200},
                 "first_name": {"type": "string", "maxLength": 100}, "last_name": {"type": "string", "maxLength": 100},
                 "password": PASSWORD, "phone": {"type": ["string", "null"], "maxLength": 30}},
                ["token", "first_name", "last_name", "password"]),
       response=obj({"status": {"type": "string"}, "user_id": UUID, "detail": {"type": "string"}}, ["status"]))
def accept_invitation(req):
    b = req.body
    return _identity(req).accept_invitation(token=b["token"], first_name=b["first_name"], last_name=b["last_name"],
                                            password=b["password"], phone=b.get("phone"))


@route("POST", "/api/v1/auth/password", summary="Changer son mot de passe (ferme toutes les sessions)", tags=TAG_AUTH,
       body=obj({"current_password": {"type": "string", "maxLength": 1000}, "new_password": PASSWORD},
                ["current_password", "new_password"]),
       response=obj({"status": {"type": "string"}, "revoked_sessions": {"type": "integer"}}, ["status"]),
       rate_limit=(10, 300))
def change_password(req):
    return _identity(req).change_password(actor=req.actor, current_password=req.body["current_password"],
                                          new_password=req.body["new_password"])


@route("GET", "/.well-known/jwks.json", summary="Clés publiques de signature des jetons (JWKS)", tags=TAG_AUTH,
       auth="none", response=JWKS)
def jwks(req):
    return Response(__import__("json").dumps(_identity(req).get_jwks()), status=200, mimetype="application/json",
                    headers={"Cache-Control": "public, max-age=60"})


# -- me --------------------------------------------------------------------------------------

@route("GET", "/api/v1/me", summary="Mon compte", tags=TAG_ME,
       response=component("Me", obj({**USER["properties"], "email": _NULLABLE_STR, "phone": _NULLABLE_STR,
                                     "school": {"oneOf": [SCHOOL, {"type": "null"}]},
                                     "totp_enabled": {"type": "boolean"}},
                                    ["id", "role", "status"], additional=True,
                                    description="Mon compte, mes coordonnées et mon établissement.")))
def me(req):
    return _identity(req).get_me(actor=req.actor)


# GET /api/v1/me/data and /api/v1/me/data.zip: gateway/routes/personal_data.py (every service's part).


@route("PUT", "/api/v1/me/classes", summary="Personnel : les classes que je suis (messages « professeur de l'élève »)",
       tags=TAG_ME, roles=["school_staff"],
       body=obj({"classes": array({"type": "string", "minLength": 1, "maxLength": 40}, maxItems=50)}, ["classes"]),
       response=obj({"classes": array({"type": "string"})}, ["classes"]))
def set_my_classes(req):
    return _identity(req).set_my_classes(actor=req.actor, classes=req.body["classes"])


@route("POST", "/api/v1/me/totp", summary="Administrateur : générer un nouveau secret TOTP", tags=TAG_ME,
       roles=["admin"], response=obj({"secret": {"type": "string"}, "provisioning_uri": {"type": "string"}},
                                     ["secret", "provisioning_uri"]))
def totp_setup(req):
    return _identity(req).totp_setup(actor=req.actor)


# -- schools -------------------------------------------------------------------------------------

@route("GET", "/api/v1/schools", summary="Rechercher un établissement (nom ou commune) ou les établissements proches",
       description="Avec q : recherche insensible aux accents, classée. Avec lat et lon : établissements dans un "
                   "rayon de radius_km, du plus proche au plus loin. Filtres facultatifs, dans les deux cas : "
                   "education_prioritaire (REP, REP+ ou les deux : « REP,REP+ ») et qpv (true : établissements en "
                   "quartier prioritaire de la politique de la ville ; false : hors QPV).",
       tags=TAG_SCHOOLS, auth="none",
       query=obj({"q": {"type": "string", "maxLength": 100}, "kind": {"type": "string", "enum": ["college", "lycee"]},
                  "education_prioritaire": array({"type": "string", "enum": ["REP", "REP+"]}, minItems=1, maxItems=2,
                                                 description="Réseau d'éducation prioritaire : REP, REP+ "
                                                             "(plusieurs valeurs : l'un ou l'autre)."),
                  "qpv": {"type": "boolean", "description": "Établissement en quartier prioritaire (QPV) ou non."},
                  "lat": {"type": "number", "minimum": -90, "maximum": 90},
                  "lon": {"type": "number", "minimum": -180, "maximum": 180},
                  "radius_km": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 10},
                  "limit": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20}}),
       response=obj({"items": array(SCHOOL), "total": {"type": "integer"}}, ["items"]))
def search_schools(req):
    q = req.query
    if q.get("lat") is not None or q.get("lon") is not None:
        from common.errors import ValidationError
        if q.get("lat") is None or q.get("lon") is None:
            raise ValidationError(errors={"lat" if q.get("lat") is None else "lon": ["Ce champ est obligatoire."]})
        return _identity(req).schools_near(lat=q["lat"], lon=q["lon"], radius_km=q.get("radius_km", 10),
                                           kind=q.get("kind"), limit=q.get("limit", 20),
                                           education_prioritaire=q.get("education_prioritaire"), qpv=q.get("qpv"))
    if not q.get("q"):
        from common.errors import ValidationError
        raise ValidationError(errors={"q": ["Saisissez un nom ou une commune (ou lat et lon)."]})
    return _identity(req).search_schools(q=q["q"], kind=q.get("kind"), limit=q.get("limit", 20),
                                         education_prioritaire=q.get("education_prioritaire"), qpv=q.get("qpv"))


@route("GET", "/api/v1/schools/<uai>", summary="Un établissement, par son UAI", tags=TAG_SCHOOLS, auth="none",
       response=SCHOOL)
def get_school(req):
    return _identity(req).get_school(uai=req.path["uai"])


@route("POST", "/api/v1/schools/<uai>/colleagues", summary="Inviter un collègue (chef d'établissement, administration)",
       description="Un e-mail porte le lien d'invitation (/invitation?token=…, valable 7 jours). Invité par un "
                   "chef d'établissement confirmé ou par un administrateur, le collègue est confirmé dès qu'il "
                   "accepte ; invité par le personnel administratif, il attend la confirmation du chef "
                   "d'établissement. Seuls un chef d'établissement ou un administrateur invitent un chef "
                   "d'établissement.",
       tags=TAG_SCHOOLS, roles=["school_staff", "admin"], confirmed_staff=True,
       body=obj({"email": {"type": "string", "maxLength": 254}, "function": FUNCTION,
                 "first_name": {"type": ["string", "null"], "maxLength": 100},
                 "last_name": {"type": ["string", "null"], "maxLength": 100}}, ["email", "function"]),
       response=obj({"user_id": UUID, "status": {"type": "string"}, "email": {"type": "string"},
                     "function": {"type": "string"}, "school_uai": {"type": "string"},
                     "expires_at": {"type": "string"}}, ["user_id", "status"]), status=201)
def invite_colleague(req):
    b = req.body
    return _identity(req).invite_colleague(actor=req.actor, email=b["email"], function=b["function"],
                                           first_name=b.get("first_name"), last_name=b.get("last_name"),
                                           school_uai=req.path["uai"])


STAFF_MEMBER = obj({
    "user_id": UUID, "first_name": {"type": "string"}, "last_name": {"type": "string"}, "email": _NULLABLE_STR,
    "function": {"type": "string", "enum": [*FUNCTION["enum"], "other"],
                 "description": "other : autre personnel connu par l'authentification des personnels (FIM)."},
    "school_uai": {"type": "string"}, "status": {"type": "string"},
    "confirmed": {"type": "boolean"}, "confirmed_at": _NULLABLE_STR, "confirmed_by": _NULLABLE_STR,
    "confirmed_how": {"type": ["string", "null"],
                      "enum": ["admin", "head", "invitation", "migration", "demo", "federation", None]},
    "designated_head": {"type": "boolean"}, "activated_at": _NULLABLE_STR,
}, ["user_id", "function", "confirmed", "designated_head"], additional=True)


@route("GET", "/api/v1/schools/<uai>/staff", summary="Les personnels de l'établissement et leur confirmation",
       description="Personnels (confirmés ou non), chef d'établissement désigné et historique des confirmations "
                   "et changements de chef d'établissement. Personnel de l'établissement et administrateurs.",
       tags=TAG_SCHOOLS, roles=["school_staff", "admin"],
       response=obj({"school_uai": {"type": "string"}, "designated_head_id": {"type": ["string", "null"]},
                     "items": array(STAFF_MEMBER),
                     "history": array(obj({"action": {"type": "string", "enum": ["confirmed", "head_designated"]},
                                           "user_id": UUID, "how": _NULLABLE_STR, "actor_id": _NULLABLE_STR,
                                           "actor_role": _NULLABLE_STR, "previous_user_id": _NULLABLE_STR,
                                           "at": {"type": "string"}}, additional=True))},
                    ["items", "designated_head_id"]))
def list_staff(req):
    return _identity(req).list_staff(actor=req.actor, school_uai=req.path["uai"])


@route("POST", "/api/v1/schools/<uai>/staff/<user_id>/confirm", summary="Confirmer le compte d'un personnel",
       description="Le premier chef d'établissement d'un établissement est confirmé par un administrateur (il "
                   "devient alors le chef d'établissement désigné) ; les autres personnels par un chef "
                   "d'établissement confirmé de l'établissement ou par un administrateur. Avant confirmation, un "
                   "compte de personnel ne peut que consulter.",
       tags=TAG_SCHOOLS, roles=["school_staff", "admin"], confirmed_staff=True,
       response=obj({**STAFF_MEMBER["properties"], "designated_now": {"type": "boolean"}},
                    ["user_id", "confirmed"], additional=True))
def confirm_staff(req):
    return _identity(req).confirm_staff(actor=req.actor, school_uai=req.path["uai"], user_id=req.path["user_id"])


@route("PUT", "/api/v1/schools/<uai>/head", summary="Changer de chef d'établissement désigné",
       description="Un seul chef d'établissement désigné par établissement (représentant de l'établissement). "
                   "Le changement est fait par un administrateur ou par le chef d'établissement désigné, vers un "
                   "chef d'établissement confirmé de l'établissement ; il est tracé (historique, événement "
                   "school.head_designated).",
       tags=TAG_SCHOOLS, roles=["school_staff", "admin"], confirmed_staff=True,
       body=obj({"user_id": UUID}, ["user_id"]),
       response=obj({"school_uai": {"type": "string"}, "user_id": UUID, "previous_user_id": _NULLABLE_STR,
                     "designated_at": {"type": "string"}}, ["school_uai", "user_id"]))
def designate_head(req):
    return _identity(req).designate_head(actor=req.actor, school_uai=req.path["uai"], user_id=req.body["user_id"])


# -- pupils ----------------------------------------------------------------------------------------

@route("POST", "/api/v1/schools/<uai>/pupils/import", summary="Importer une liste d'élèves (CSV du logiciel de vie scolaire)",
       description="Corps : le fichier CSV brut (en-têtes français : Nom, Prénom, Date de naissance, Classe, Niveau, "
                   "INE et Email facultatifs ; séparateur « ; » ou « , » ; UTF-8 ou Latin-1). Réimporter le même "
                   "fichier ne change rien. Réponse : le rapport (créés, mis à jour, inchangés, rejetés avec motifs) "
                   "et la fiche des codes d'activation ; avec ?format=pdf, directement la fiche PDF. Avec ?dry_run=true : "
                   "l'aperçu de l'import (mêmes lignes à créer, mettre à jour, rejeter avec leurs motifs), sans rien "
                   "enregistrer (ni élève, ni code, ni fiche).",
       tags=TAG_PUPILS, roles=["school_staff", "admin"], confirmed_staff=True,
       request_content_types=["text/csv", "application/csv", "text/plain", "application/octet-stream"],
       max_body=2 * 1024 * 1024,
       query=obj({"filename": {"type": "string", "maxLength": 255},
                  "format": {"type": "string", "enum": ["json", "pdf"], "default": "json"},
                  "dry_run": {"type": "boolean", "default": False,
                              "description": "Aperçu sans rien enregistrer (toujours en JSON)."}}),
       response=IMPORT_REPORT, status=200)
def import_pupils(req):
    dry_run = bool(req.query.get("dry_run"))
    out = _identity(req).import_pupils(actor=req.actor, uai=req.path["uai"],
                                       content_base64=base64.b64encode(req.data or b"").decode("ascii"),
                                       filename=req.query.get("filename"), with_pdf=not dry_run, dry_run=dry_run)
    if req.query.get("format") == "pdf" and not dry_run:
        pdf = base64.b64decode(out.get("sheet_pdf_base64") or "")
        return Response(pdf, status=200, mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="codes-{out["school_uai"]}.pdf"',
                                 "X-Import-Id": out["import_id"]})
    return out


@route("GET", "/api/v1/schools/<uai>/pupils", summary="Les élèves de l'établissement (personnel de l'établissement)",
       tags=TAG_PUPILS, roles=["school_staff", "admin"],
       query=obj({"class_name": {"type": "string", "maxLength": 40}, "grade": GRADE,
                  "q": {"type": "string", "maxLength": 100},
                  "page": PAGE,
                  "page_size": {"type": "integer", "minimum": 1, "maximum": 500, "default": 100}}),
       response=component("PupilPage", page_of(PUPIL, {"classes": array({"type": ["string", "null"]})})))
def list_pupils(req):
    q = req.query
    return _identity(req).list_pupils(actor=req.actor, uai=req.path["uai"], class_name=q.get("class_name"),
                                      grade=q.get("grade"), q=q.get("q"), page=q.get("page", 1),
                                      page_size=q.get("page_size", 100))


@route("POST", "/api/v1/schools/<uai>/pupils/codes", summary="Nouveaux codes d'activation (élèves pas encore activés)",
       description="Les anciens codes de ces élèves cessent de fonctionner.",
       tags=TAG_PUPILS, roles=["school_staff", "admin"], confirmed_staff=True,
       body=obj({"pupil_ids": array(UUID, minItems=1, maxItems=1000)}, ["pupil_ids"]),
       response=obj({"codes": array(CODE), "sheet_pdf_base64": {"type": ["string", "null"]}}, ["codes"]))
def regenerate_codes(req):
    return _identity(req).regenerate_codes(actor=req.actor, uai=req.path["uai"], pupil_ids=req.body["pupil_ids"])


@route("PATCH", "/api/v1/pupils/<pupil_id>", summary="Changer un élève de classe", tags=TAG_PUPILS,
       roles=["school_staff", "admin"], confirmed_staff=True,
       body=obj({"class_name": {"type": "string", "minLength": 1, "maxLength": 40}, "grade": GRADE}, ["class_name"]),
       response=PUPIL)
def move_pupil(req):
    return _identity(req).move_pupil(actor=req.actor, pupil_id=req.path["pupil_id"],
                                     class_name=req.body["class_name"], grade=req.body.get("grade"))


# -- admin --------------------------------------------------------------------------------------------

@route("POST", "/api/v1/admin/identity/anonymize-inactive",
       summary="Prévenir puis anonymiser les comptes inactifs (élèves : 1 an, autres : 2 ans)",
       description="Les comptes à 14 jours du seuil sont prévenus par e-mail ; ceux prévenus depuis 14 jours au "
                   "moins et toujours inactifs sont anonymisés (docs/privacy.md).", tags=TAG_ADMIN, roles=["admin"],
       response=obj({"anonymized": {"type": "integer"}, "user_ids": array(UUID), "warned": {"type": "integer"},
                     "warned_ids": array(UUID)}, ["anonymized"]))
def anonymize_inactive(req):
    return _identity(req).anonymize_inactive(actor=req.actor)


@route("POST", "/api/v1/admin/identity/signing-keys", summary="Faire tourner la clé de signature des jetons",
       description="L'ancienne clé reste publiée le temps de vie d'un jeton d'accès (15 min).",
       tags=TAG_ADMIN, roles=["admin"],
       body=obj({"activate_in_seconds": {"type": "integer", "minimum": 0, "maximum": 86400}}),
       response=obj({"kid": {"type": "string"}, "activated_at": {"type": "string"}, "retired": _NULLABLE_STR},
                    ["kid"]), status=201)
def rotate_signing_key(req):
    return _identity(req).rotate_signing_key(actor=req.actor,
                                             activate_in_seconds=(req.body or {}).get("activate_in_seconds", 0))


@route("GET", "/api/v1/admin/school-staff", summary="Personnels d'établissement en attente de confirmation",
       description="Comptes de personnel actifs mais non confirmés, les plus anciens d'abord (dont ceux d'avant la "
                   "confirmation : voir docs/school-staff.md). Confirmer : "
                   "POST /schools/{uai}/staff/{user_id}/confirm.",
       tags=TAG_ADMIN, roles=["admin"],
       query=obj({"school_uai": UAI, "academie": {"type": "string", "maxLength": 50, "examples": ["Aix-Marseille"]},
                  "function": FUNCTION, "page": PAGE,
                  "page_size": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}),
       response=component("UnconfirmedStaffPage", page_of(obj({
           **STAFF_MEMBER["properties"], "school_name": {"type": "string"}, "academie_name": _NULLABLE_STR,
           "school_has_designated_head": {"type": "boolean"}}, ["user_id", "school_uai"], additional=True))))
def list_unconfirmed_staff(req):
    q = req.query
    return _identity(req).list_unconfirmed_staff(actor=req.actor, school_uai=q.get("school_uai"),
                                                 academie=q.get("academie"), function=q.get("function"),
                                                 page=q.get("page", 1), page_size=q.get("page_size", 50))


@route("GET", "/api/v1/admin/statisticians", summary="Comptes statisticiens en attente de validation",
       description="Les plus anciens d'abord. Valider : POST /admin/users/{user_id}/validate.",
       tags=TAG_ADMIN, roles=["admin"],
       query=obj({"page": PAGE, "page_size": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}),
       response=component("PendingStatisticiansPage", page_of(obj({
           "id": UUID, "first_name": {"type": "string"}, "last_name": {"type": "string"}, "email": _NULLABLE_STR,
           "organisation_name": _NULLABLE_STR, "job_title": _NULLABLE_STR, "stat_scope": _NULLABLE_STR,
           "stat_scope_code": _NULLABLE_STR, "created_at": _NULLABLE_STR}, ["id"], additional=True))))
def list_pending_statisticians(req):
    q = req.query
    return _identity(req).list_pending_statisticians(actor=req.actor, page=q.get("page", 1),
                                                     page_size=q.get("page_size", 50))


@route("POST", "/api/v1/admin/users/<user_id>/validate", summary="Valider un compte statisticien", tags=TAG_ADMIN,
       roles=["admin"], response=obj({"user_id": UUID, "status": {"type": "string"}}, ["user_id", "status"]))
def validate_statistician(req):
    return _identity(req).validate_statistician(actor=req.actor, user_id=req.path["user_id"])
