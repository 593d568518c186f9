"""HTTP routes of the platform's switches (issue 21): the opening calendar of a school year (owned by the
offers service: docs/rpc/offers.md « Opening calendar ») and the maintenance mode (owned by the gateway:
``gateway/maintenance.py``, shared by every replica through Redis)."""
from __future__ import annotations

import datetime as dt

from common.clock import PARIS
from common.errors import ValidationError

from gateway import maintenance
from gateway.api import component, obj, route

TAGS = ["platform"]
MOMENT = {"type": ["string", "null"], "maxLength": 40, "examples": ["2027-01-19T14:00"],
          "description": "Date et heure ISO 8601 (sans décalage : heure de Paris) ; null : pas de restriction."}
KINDS = ("publish_from", "browse_from", "apply_from")
GRADES = ("quatrieme", "troisieme", "seconde")
_ISO = {"type": ["string", "null"], "format": "date-time"}
_DATES = obj({"publish_from": _ISO, "browse_from": _ISO, "apply_from": _ISO}, list(KINDS))
_OPEN = obj({"publish": {"type": "boolean"}, "browse": {"type": "boolean"}, "apply": {"type": "boolean"}},
            ["publish", "browse", "apply"])
_BY_GRADE = obj({g: _DATES for g in GRADES}, list(GRADES))

_EX_DATES = {"publish_from": "2027-01-19T13:00:00+00:00", "browse_from": "2027-02-10T23:00:00+00:00",
             "apply_from": "2027-02-10T23:00:00+00:00"}
OPENING = component("OpeningCalendar", obj({
    "school_year": {"type": "string", "pattern": r"^\d{4}-\d{4}$"},
    "set": {"type": "boolean", "description": "Vrai si un administrateur a fixé les dates de cette année ; "
                                              "sinon aucune restriction."},
    "grades": _BY_GRADE,
    "open": obj({g: _OPEN for g in GRADES}, list(GRADES), description="Ce qui est ouvert maintenant, par niveau."),
    "proposed": {**_BY_GRADE, "description": "Dates proposées (reprises pour ce qu'un administrateur ne précise pas)."},
}, ["school_year", "set", "grades", "open", "proposed"],
    description="Calendrier d'ouverture d'une année scolaire, par niveau : publication des offres par les "
                "employeurs, consultation et candidatures des élèves (dates UTC)."),
    {"school_year": "2026-2027", "set": True, "grades": {g: _EX_DATES for g in GRADES},
     "open": {g: {"publish": False, "browse": False, "apply": False} for g in GRADES},
     "proposed": {g: _EX_DATES for g in GRADES}})
OPENING_BODY = obj({"grades": obj({g: obj({k: MOMENT for k in KINDS}) for g in GRADES})},
                   description="Les dates par niveau ; ce qui n'est pas précisé garde la date enregistrée, "
                               "sinon la date proposée.")

MAINTENANCE = component("Maintenance", obj({
    "active": {"type": "boolean"},
    "message": {"type": ["string", "null"], "description": "Message affiché aux utilisateurs."},
    "ends_at": {"type": ["string", "null"], "format": "date-time", "description": "Fin annoncée."},
    "updated_at": {"type": ["string", "null"], "format": "date-time"},
}, ["active", "message", "ends_at"], additional=True,
    description="Mode maintenance : tant qu'il est actif, les écritures répondent 503 (code maintenance, "
                "Retry-After) ; les lectures fonctionnent."),
    {"active": True, "message": "Maintenance en cours : la plateforme revient à 14 h.",
     "ends_at": "2027-01-19T13:00:00+00:00", "updated_at": "2027-01-19T11:00:00+00:00"})
MAINTENANCE_BODY = obj({
    "active": {"type": "boolean"},
    "message": {"type": ["string", "null"], "maxLength": 500},
    "ends_at": {"type": ["string", "null"], "maxLength": 40, "examples": ["2027-01-19T14:00"],
                "description": "Fin annoncée, ISO 8601 (sans décalage : heure de Paris)."},
}, ["active"])
MSG_REQUIRED = "Ce champ est obligatoire pour activer la maintenance."
MSG_MESSAGE = "Le message doit contenir de 5 à 500 caractères."
MSG_ENDS_AT = "Date et heure invalides (format attendu : AAAA-MM-JJTHH:MM, heure de Paris)."
MSG_ENDS_PAST = "La fin annoncée doit être dans le futur."
MAX_DAYS = 30
MSG_ENDS_FAR = "La fin annoncée doit être dans les 30 prochains jours."


# -- opening calendar ------------------------------------------------------------------------------
@route("GET", "/api/v1/calendar", summary="Calendrier d'ouverture de l'année scolaire (public)", tags=TAGS,
       auth="none", query=obj({"school_year": {"type": "string", "pattern": r"^\d{4}-\d{4}$"}}), response=OPENING,
       description="Par niveau : à partir de quand les employeurs publient, les élèves consultent les offres et "
                   "candidatent ; l'année en cours par défaut. Les services appliquent ces dates eux-mêmes.")
def get_opening_calendar(req):
    return req.rpc("offers").get_opening_calendar(school_year=req.query.get("school_year"))


@route("PUT", "/api/v1/admin/calendar/<school_year>", summary="Fixer le calendrier d'ouverture d'une année (admin)",
       tags=TAGS, roles=["admin"], body=OPENING_BODY, response=OPENING,
       description="Idempotent : envoyer deux fois les mêmes dates donne le même calendrier (événement "
                   "calendar.changed).")
def set_opening_calendar(req):
    return req.rpc("offers").set_opening_calendar(actor=req.actor, school_year=req.path["school_year"],
                                                  grades=(req.body or {}).get("grades"))


# -- maintenance -------------------------------------------------------------------------------------
def _view(state: dict) -> dict:
    return {k: state.get(k) for k in ("active", "message", "ends_at", "updated_at")}


@route("GET", "/api/v1/maintenance", summary="Mode maintenance (public)", tags=TAGS, auth="none",
       response=MAINTENANCE)
def get_maintenance(req):
    return _view(maintenance.current())


def _ends_at(value, errors: dict, now: dt.datetime) -> str | None:
    try:
        at = dt.datetime.fromisoformat(value.strip())
        at = (at.replace(tzinfo=PARIS) if at.tzinfo is None else at).astimezone(dt.timezone.utc)
    except (AttributeError, ValueError, OverflowError):   # OverflowError: 0001-01-01T00:00 in Paris
        errors["ends_at"] = [MSG_ENDS_AT]
        return None
    if at <= now:
        errors["ends_at"] = [MSG_ENDS_PAST]
    elif at > now + dt.timedelta(days=MAX_DAYS):
        errors["ends_at"] = [MSG_ENDS_FAR]
    return at.isoformat()


@route("PUT", "/api/v1/admin/maintenance", summary="Activer ou arrêter le mode maintenance (admin)", tags=TAGS,
       roles=["admin"], body=MAINTENANCE_BODY, response=MAINTENANCE,
       description="active=true demande un message (5 à 500 caractères) et une fin annoncée (ends_at, dans les "
                   "30 prochains jours). "
                   "Idempotent. Cette route et la connexion restent ouvertes pendant la maintenance.")
def set_maintenance(req):
    body, now = req.body, dt.datetime.now(dt.timezone.utc)
    if not body["active"]:
        return _view(maintenance.store({"active": False, "updated_at": now.isoformat()}))
    errors: dict = {}
    message = (body.get("message") or "").strip()
    if not message:
        errors["message"] = [MSG_REQUIRED]
    elif not 5 <= len(message) <= 500:
        errors["message"] = [MSG_MESSAGE]
    ends_at = None
    if not body.get("ends_at"):
        errors["ends_at"] = [MSG_REQUIRED]
    else:
        ends_at = _ends_at(body["ends_at"], errors, now)
    if errors:
        raise ValidationError(None, errors)
    return _view(maintenance.store({"active": True, "message": message, "ends_at": ends_at,
                                    "updated_at": now.isoformat(), "updated_by": (req.actor or {}).get("user_id")}))
