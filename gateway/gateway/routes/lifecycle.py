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


# -- end-of-year rollover (admins) --------------------------------------------------------------------------
_STEP = obj({"changed": {"type": "integer"}, "seen": {"type": "integer"}, "remaining": {"type": "integer"},
             "finished": {"type": "boolean"}}, ["changed", "seen", "remaining", "finished"])
_PART = obj({
    "service": {"type": "string"}, "school_year": {"type": "string"},
    "status": {"type": "string", "enum": ["not_started", "in_progress", "finished"]},
    "started_at": {"type": ["string", "null"], "format": "date-time"},
    "finished_at": {"type": ["string", "null"], "format": "date-time"},
    "steps": {"type": "object", "additionalProperties": _STEP}},
    ["service", "school_year", "status", "steps"], description="La part d'un service.")
ROLLOVER = component("RolloverReport", obj({
    "school_year": {"type": "string"},
    "status": {"type": "string", "enum": ["not_started", "in_progress", "finished"]},
    "services": obj({"identity": _PART, "conventions": _PART}, ["identity", "conventions"]),
}, ["school_year", "status", "services"]), {
    "school_year": "2026-2027", "status": "in_progress",
    "services": {"identity": {
        "service": "identity", "school_year": "2026-2027", "status": "in_progress",
        "started_at": "2027-07-02T06:00:00+00:00", "finished_at": None,
        "steps": {"pupils": {"changed": 500, "seen": 500, "remaining": 1200, "finished": False},
                  "staff_classes": {"changed": 0, "seen": 0, "remaining": 80, "finished": False}}},
        "conventions": {
            "service": "conventions", "school_year": "2026-2027", "status": "finished",
            "started_at": "2027-07-02T06:00:00+00:00", "finished_at": "2027-07-02T06:01:10+00:00",
            "steps": {"signed_agreements": {"changed": 310, "seen": 4200, "remaining": 0, "finished": True}}}}})
PARTS = ("identity", "conventions")   # the services with a rollover of their own (docs/privacy.md « End-of-year rollover »)


def _overall(parts: dict) -> str:
    states = {p["status"] for p in parts.values()}
    return states.pop() if len(states) == 1 else "in_progress"


@route("POST", "/api/v1/admin/rollover/<school_year>", summary="Passer à l'année scolaire suivante (ou reprendre)",
       description="Une fois l'année terminée (1er juillet) : les classes sont archivées, les élèves de 4e passent "
                   "en 3e, ceux de 3e et de 2nde quittent leur établissement ; les conventions signées dont la "
                   "durée de conservation (5 ans après le stage) est passée sont purgées. Par lots ; relancer reprend là où "
                   "l'exécution s'est arrêtée, et ne change rien une fois terminé (docs/privacy.md).",
       tags=["admin"], roles=["admin"], response=ROLLOVER,
       extra_responses={422: "Année scolaire invalide ou pas encore terminée"})
def start_rollover(req):
    school_year = req.path["school_year"]
    parts = {name: req.rpc(name).rollover(actor=req.actor, school_year=school_year) for name in PARTS}
    return {"school_year": school_year, "status": _overall(parts), "services": parts}


@route("GET", "/api/v1/admin/rollover/<school_year>", summary="Avancement du passage à l'année suivante",
       tags=["admin"], roles=["admin"], response=ROLLOVER)
def rollover_progress(req):
    school_year = req.path["school_year"]
    parts = {name: req.rpc(name).rollover_report(actor=req.actor, school_year=school_year) for name in PARTS}
    return {"school_year": school_year, "status": _overall(parts), "services": parts}
