"""The lifecycle of personal data (docs/privacy.md): a person deletes their account (two steps: the request
tells whether an agreement in progress holds it and until when; the confirmation, with the password, anonymises
it like an idle account)."""
from __future__ import annotations

from gateway.api import component, obj, route

TAG_ME = ["me"]
DATE = {"type": ["string", "null"], "format": "date"}

DELETION_STATUS = component("AccountDeletionStatus", obj({
    "status": {"type": "string", "enum": ["held", "confirmation_required"],
               "description": "held : une convention en cours empêche la suppression jusqu'à held_until."},
    "held_until": {**DATE, "description": "Premier jour où la suppression sera possible (null : inconnu ou "
                                          "sans objet)."},
    "confirm_with": {"type": "string", "enum": ["password"]},
    "message": {"type": "string"},
}, ["status", "held_until", "confirm_with", "message"]), {
    "status": "held", "held_until": "2027-03-20", "confirm_with": "password",
    "message": "Votre compte ne peut pas être supprimé pour l'instant : une convention de stage vous concernant "
               "est en cours. Vous pourrez le supprimer à partir du 20/03/2027."})
DELETED = component("AccountDeleted", obj({"deleted": {"type": "boolean"}, "user_id": {"type": "string",
                                                                                       "format": "uuid"}},
                                          ["deleted", "user_id"]),
                    {"deleted": True, "user_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21"})


@route("POST", "/api/v1/me/deletion", summary="Demander la suppression de mon compte",
       description="Ne supprime rien : indique si une convention en cours (non signée par tous, ou stage non "
                   "terminé) empêche la suppression et jusqu'à quand, sinon qu'il faut confirmer avec le mot de "
                   "passe (POST /api/v1/me/deletion/confirm).",
       tags=TAG_ME, response=DELETION_STATUS)
def request_deletion(req):
    return req.rpc("identity").request_deletion(actor=req.actor)


@route("POST", "/api/v1/me/deletion/confirm", summary="Confirmer la suppression de mon compte (mot de passe)",
       description="Le compte est anonymisé tout de suite, comme un compte inactif, et toutes ses sessions "
                   "fermées ; chaque service efface ce qu'il détient (les conventions signées sont conservées le "
                   "temps exigé par la loi). 409 deletion_held avec held_until si une convention en cours "
                   "l'empêche.",
       tags=TAG_ME, body=obj({"password": {"type": "string", "maxLength": 1000}}, ["password"]),
       response=DELETED,
       extra_responses={409: "Une convention en cours empêche la suppression (held_until : à partir de quand)",
                        429: "Trop d'essais de mot de passe : 5 par quart d'heure"})
def confirm_deletion(req):
    return req.rpc("identity").confirm_deletion(actor=req.actor, password=req.body["password"])
