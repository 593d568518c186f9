"""HTTP routes of the national pupil register (SYGNE through Omogen) and of the schools' internship weeks of 3e.

Every handler calls the identity service (docs/rpc/identity.md: register_import, list_register_imports,
set_register_connected, get_internship_weeks, set_internship_weeks, declared_weeks_near); the service checks
permissions again with ``actor``."""
from __future__ import annotations

from gateway.api import ISO_WEEK, UUID, array, component, obj, route

TAG_PUPILS = ["pupils"]
TAG_SCHOOLS = ["schools"]
TAG_ADMIN = ["admin"]
_NULLABLE_STR = {"type": ["string", "null"]}

COUNTS = obj({k: {"type": "integer"} for k in ("created", "updated", "moved", "unchanged", "errors")},
             ["created", "updated", "moved", "unchanged", "errors"], additional=True)
RUN_EXAMPLE = {
    "id": "3f9c2a7e-5b1d-4e8a-9c6f-1a2b3c4d5e6f", "school_uai": "0131884C", "trigger": "request", "status": "done",
    "requested_by": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "started_at": "2026-12-05T08:30:00Z",
    "finished_at": "2026-12-05T08:30:04Z",
    "counts": {"created": 4, "updated": 3, "moved": 1, "unchanged": 120, "errors": 1},
    "errors": [{"ine": "070112009ZZ", "reason": "invalid_birth_date"}]}
RUN = component("RegisterImport", obj({
    "id": UUID, "school_uai": {"type": "string"},
    "trigger": {"type": "string", "enum": ["request", "nightly"]},
    "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
    "requested_by": _NULLABLE_STR, "started_at": {"type": "string"}, "finished_at": _NULLABLE_STR,
    "counts": COUNTS,
    "errors": array(obj({"ine": _NULLABLE_STR, "reason": {"type": "string"}}, ["reason"], additional=True),
                    description="Élèves du registre non importés (INE et motif, sans nom)."),
}, ["id", "school_uai", "trigger", "status", "started_at", "counts", "errors"],
    description="Un import des élèves d'un établissement depuis le registre national (SYGNE) : son compte rendu."),
    RUN_EXAMPLE)
RUNS = component("RegisterImportList", obj({
    "school_uai": {"type": "string"}, "connected": {"type": "boolean"}, "items": array(RUN)},
    ["school_uai", "connected", "items"], description="Les imports d'un établissement, du plus récent au plus ancien."),
    {"school_uai": "0131884C", "connected": True, "items": [RUN_EXAMPLE]})
STATUS = component("RegisterStatus", obj({
    "school_uai": {"type": "string"}, "connected": {"type": "boolean"},
    "last_import": {"oneOf": [RUN, {"type": "null"}]}}, ["school_uai", "connected"],
    description="Un établissement relié (ou non) au registre national des élèves."),
    {"school_uai": "0131884C", "connected": True, "last_import": None})
WEEKS = component("SchoolInternshipWeeks", obj({
    "school_uai": {"type": "string"}, "weeks": array(ISO_WEEK),
    "restricting": array(ISO_WEEK, description="Les semaines déclarées pas encore passées : les seules où les élèves "
                                               "de 3e de l'établissement peuvent candidater (aucune : pas de "
                                               "restriction).")},
    ["school_uai", "weeks", "restricting"], description="Les semaines de stage de 3e déclarées par un collège."),
    {"school_uai": "0131884C", "weeks": ["2027-W03", "2027-W04"], "restricting": ["2027-W03", "2027-W04"]})
NEAR = component("DeclaredWeeksNear", obj({
    "radius_km": {"type": "number"},
    "items": array(obj({"week": ISO_WEEK, "schools": {"type": "integer"}}, ["week", "schools"]))},
    ["radius_km", "items"], description="Les semaines de stage de 3e déclarées par les collèges proches, avec le "
                                        "nombre de collèges pour chacune."),
    {"radius_km": 60, "items": [{"week": "2027-W03", "schools": 4}, {"week": "2027-W04", "schools": 2}]})


def _identity(req):
    return req.rpc("identity")


@route("POST", "/api/v1/schools/<uai>/register-import",
       summary="Importer les élèves de l'établissement depuis le registre national (SYGNE)",
       description="Élèves de 4e, 3e (et SEGPA) et 2nde GT, leur classe et leurs représentants légaux. Réimporter ne "
                   "change rien si le registre n'a pas changé ; un élève arrivé d'un autre établissement y est "
                   "déplacé. Chef d'établissement, personnel administratif (confirmés) et administrateurs ; "
                   "établissements reliés au registre seulement (les autres importent un CSV). Les établissements "
                   "reliés sont aussi importés chaque nuit. L'import est mis en file (état « queued ») et fait "
                   "dans les secondes qui suivent : son compte rendu est dans GET …/register-imports. Avec "
                   "Idempotency-Key : le même import.",
       tags=TAG_PUPILS, roles=["school_staff", "admin"], confirmed_staff=True, response=RUN, status=202)
def register_import(req):
    return _identity(req).register_import(actor=req.actor, uai=req.path["uai"], idempotency_key=req.idempotency_key)


@route("GET", "/api/v1/schools/<uai>/register-imports",
       summary="Les imports de l'établissement depuis le registre national (comptes rendus)",
       tags=TAG_PUPILS, roles=["school_staff", "admin"],
       query=obj({"limit": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}), response=RUNS)
def list_register_imports(req):
    return _identity(req).list_register_imports(actor=req.actor, uai=req.path["uai"],
                                                limit=req.query.get("limit", 50))


@route("PUT", "/api/v1/admin/schools/<uai>/register",
       summary="Administrateur : relier un établissement au registre national des élèves (ou l'en détacher)",
       tags=TAG_ADMIN, roles=["admin"], body=obj({"connected": {"type": "boolean"}}, ["connected"]),
       response=STATUS)
def set_register_connected(req):
    return _identity(req).set_register_connected(actor=req.actor, uai=req.path["uai"],
                                                 connected=req.body["connected"])


@route("GET", "/api/v1/schools/<uai>/internship-weeks", summary="Les semaines de stage de 3e d'un collège",
       tags=TAG_SCHOOLS, auth="none", response=WEEKS)
def get_internship_weeks(req):
    return _identity(req).get_internship_weeks(uai=req.path["uai"])


@route("PUT", "/api/v1/schools/<uai>/internship-weeks", summary="Déclarer les semaines de stage de 3e du collège",
       description="Semaines ISO (AAAA-Sss), 20 au plus ; la liste remplace la précédente (vide : aucune "
                   "restriction). Les élèves de 3e du collège ne peuvent candidater que sur les semaines déclarées "
                   "pas encore passées. Chef d'établissement, personnel administratif (confirmés) et administrateurs.",
       tags=TAG_SCHOOLS, roles=["school_staff", "admin"], confirmed_staff=True,
       body=obj({"weeks": array(ISO_WEEK, maxItems=20)}, ["weeks"]), response=WEEKS)
def set_internship_weeks(req):
    return _identity(req).set_internship_weeks(actor=req.actor, uai=req.path["uai"], weeks=req.body["weeks"])


@route("GET", "/api/v1/internship-weeks/near",
       summary="Les semaines de stage de 3e déclarées par les collèges proches d'un lieu",
       description="Pour l'étape « planning » d'une offre : chaque semaine pas encore passée déclarée par des "
                   "collèges dans un rayon de radius_km (60 par défaut) autour du lieu, et le nombre de collèges.",
       tags=TAG_SCHOOLS, auth="none",
       query=obj({"lat": {"type": "number", "minimum": -90, "maximum": 90},
                  "lon": {"type": "number", "minimum": -180, "maximum": 180},
                  "radius_km": {"type": "number", "exclusiveMinimum": 0, "maximum": 100, "default": 60}},
                 ["lat", "lon"]), response=NEAR)
def declared_weeks_near(req):
    q = req.query
    return _identity(req).declared_weeks_near(lat=q["lat"], lon=q["lon"], radius_km=q.get("radius_km", 60))
