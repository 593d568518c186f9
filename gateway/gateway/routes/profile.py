"""HTTP routes of one's own profile: name, function and job title at once; a new e-mail address or mobile number
once confirmed from it (identity: ``update_profile``, ``request_email_change``, ``confirm_email_change``,
``request_phone_change``, ``confirm_phone_change``; docs/rpc/identity.md)."""
from __future__ import annotations

from gateway.api import obj, route

TAG_ME = ["me"]
ME = {"$ref": "#/components/schemas/Me"}   # declared with GET /api/v1/me (routes/identity.py)
_NULLABLE_TEXT = {"type": ["string", "null"], "maxLength": 100}
ACCEPTED = obj({"status": {"type": "string", "const": "accepted"}, "detail": {"type": "string"}},
               ["status", "detail"], description="La demande est prise en compte ; rien ne change avant la "
                                                 "confirmation.")
CHANGED = obj({"status": {"type": "string", "const": "changed"}, "email": {"type": "string"},
               "phone": {"type": "string"}, "detail": {"type": "string"}}, ["status", "detail"],
              description="Le changement est fait ; l'ancienne adresse (ou l'ancien numéro) en a été informée.")


def _identity(req):
    return req.rpc("identity")


@route("PATCH", "/api/v1/me", summary="Modifier mes informations (nom, prénom, fonction, intitulé du poste)",
       description="Appliqué tout de suite. Personnel d'établissement : « function » (un changement de fonction "
                   "demande une nouvelle confirmation du compte). Autres profils : « job_title ». L'adresse e-mail "
                   "et le numéro de mobile se changent par POST /api/v1/me/email et /api/v1/me/phone.",
       tags=TAG_ME,
       body=obj({"first_name": {"type": "string", "maxLength": 100}, "last_name": {"type": "string", "maxLength": 100},
                 "function": {"type": "string", "enum": ["head", "teacher", "cpe", "admin_staff"]},
                 "job_title": _NULLABLE_TEXT}, minProperties=1),
       body_example={"first_name": "Claire", "last_name": "Durand", "job_title": "Gérante"},
       response=ME, rate_limit=(30, 300))
def update_profile(req):
    return _identity(req).update_profile(actor=req.actor, data=req.body)


@route("POST", "/api/v1/me/email", summary="Changer d'adresse e-mail (confirmation depuis la nouvelle adresse)",
       description="Un lien valable 24 heures est envoyé à la nouvelle adresse ; l'adresse actuelle reste celle du "
                   "compte jusqu'à la confirmation. La réponse est la même si l'adresse appartient déjà à un autre "
                   "compte (son titulaire en est informé).",
       tags=TAG_ME, body=obj({"email": {"type": "string", "maxLength": 254}}, ["email"]),
       body_example={"email": "claire.durand@boulangerie-vieux-port.fr"}, response=ACCEPTED, status=202,
       response_example={"status": "accepted", "detail": "Si cette adresse peut être utilisée, un lien de "
                                                         "confirmation valable 24 heures vient de lui être envoyé."},
       rate_limit=(10, 3600), extra_responses={429: "Plus de 5 demandes par heure"})
def request_email_change(req):
    return _identity(req).request_email_change(actor=req.actor, email=req.body["email"])


@route("POST", "/api/v1/me/email/confirm", summary="Confirmer ma nouvelle adresse e-mail (lien reçu)",
       description="Le jeton du lien envoyé à la nouvelle adresse suffit (usage unique, 24 heures) ; connecté, il doit "
                   "être celui du même compte. L'ancienne adresse reçoit un avis du changement.",
       tags=TAG_ME, auth="optional", body=obj({"token": {"type": "string", "minLength": 1, "maxLength": 200}},
                                              ["token"]),
       response=CHANGED,
       response_example={"status": "changed", "email": "claire.durand@boulangerie-vieux-port.fr",
                         "detail": "Votre adresse e-mail est modifiée : utilisez-la désormais pour vous connecter."},
       rate_limit=(30, 300))
def confirm_email_change(req):
    return _identity(req).confirm_email_change(token=req.body["token"], actor=req.actor)


@route("POST", "/api/v1/me/phone", summary="Changer de numéro de mobile (code envoyé par SMS au nouveau numéro)",
       description="Un code à 6 chiffres, valable 15 minutes (5 essais), est envoyé au nouveau numéro ; le numéro "
                   "actuel reste celui du compte jusqu'à la confirmation. La réponse est la même si le numéro "
                   "appartient déjà à un autre compte.",
       tags=TAG_ME, body=obj({"phone": {"type": "string", "maxLength": 30}}, ["phone"]),
       body_example={"phone": "06 12 34 56 78"}, response=ACCEPTED, status=202,
       response_example={"status": "accepted", "detail": "Si ce numéro peut être utilisé, un code de confirmation "
                                                         "valable 15 minutes vient de lui être envoyé par SMS."},
       rate_limit=(10, 3600), extra_responses={429: "Plus de 5 demandes par heure"})
def request_phone_change(req):
    return _identity(req).request_phone_change(actor=req.actor, phone=req.body["phone"])


@route("POST", "/api/v1/me/phone/confirm", summary="Confirmer mon nouveau numéro avec le code reçu par SMS",
       tags=TAG_ME, body=obj({"code": {"type": "string", "maxLength": 10, "examples": ["482913"]}}, ["code"]),
       response=CHANGED,
       response_example={"status": "changed", "phone": "+33612345678", "detail": "Votre numéro de mobile est modifié."},
       rate_limit=(30, 300))
def confirm_phone_change(req):
    return _identity(req).confirm_phone_change(actor=req.actor, code=req.body["code"])
