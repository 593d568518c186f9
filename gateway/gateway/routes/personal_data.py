"""A person's data export (GDPR right of access): everything the platform keeps about them, gathered from every
service by RPC. Each service answers for its own data (``export_personal_data(actor)``, docs/rpc/*.md); the
gateway only puts the parts together, in one JSON document or a ZIP with the PDFs of their agreements."""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import zipfile

import eventlet
from werkzeug.wrappers import Response

from common import settings
from common.errors import DomainError, ServiceUnavailable
from gateway.api import array, component, obj, route

TAG_ME = ["me"]
# Deadline of each service's part of the export (they are asked in parallel), and of the agreements' PDFs.
EXPORT_DEADLINE = settings.env_float("GATEWAY_EXPORT_DEADLINE", 20.0)
DOCUMENTS_DEADLINE = settings.env_float("GATEWAY_EXPORT_DOCUMENTS_DEADLINE", 60.0)

def _record(what: str) -> dict:
    """A stored record, as the owning service keeps it (its columns: free-form by design, see docs/rpc/*.md)."""
    return {"type": "object", "additionalProperties": True, "description": what}


def _nullable_record(what: str) -> dict:
    return {**_record(what), "type": ["object", "null"]}


PARTS = {
    "applications": obj({"applications": array(_record("Une de mes candidatures (élève), avec son historique et "
                                                        "les liens de transfert envoyés.")),
                         "actions": array(_record("Une action que j'ai faite sur une candidature d'un autre."))},
                        ["applications", "actions"], additional=True, description="Service des candidatures."),
    "agreements": obj({"agreements": array(_record("Une convention dont je suis partie, et mes signatures.")),
                       "signature_code": _nullable_record("Mon dernier code de signature (sans le code)."),
                       "school_signature_uploads": array(_record("Une image de signature que j'ai déposée."))},
                      ["agreements"], additional=True, description="Service des conventions."),
    "offers": obj({"offers": array(_record("Une offre que j'ai créée ou que je gère, supprimées comprises."))},
                  ["offers"], additional=True, description="Service des offres."),
    "notifications": obj({"messages": array(_record("Un message envoyé à mon adresse ou à mon mobile.")),
                          "in_app": array(_record("Une notification de ma boîte de réception.")),
                          "preferences": _nullable_record("Mes préférences de notification."),
                          "reminders": array(_record("Un rappel programmé pour moi."))},
                         ["messages", "in_app"], additional=True, description="Service des notifications."),
}
EXPORT = component("PersonalDataExport", obj({
    "generated_at": {"type": "string", "format": "date-time"},
    "account": _record("Mon compte (service des comptes)."),
    "school": _nullable_record("Mon établissement."),
    "sessions": array(_record("Une session (appareil, adresse IP, dates).")),
    "one_time_tokens": array(_record("Un lien à usage unique envoyé (activation, mot de passe...), sans le jeton.")),
    "activation_codes": array(_record("Un code d'activation (élève), sans le code.")),
    "pupil_imports": array(_record("Un import d'élèves que j'ai fait.")),
    "login_lock": _nullable_record("Le blocage de connexion après des essais erronés."),
    "retention": _record("Durées de conservation appliquées à mes données."),
    **PARTS,
}, ["generated_at", "account", *PARTS], additional=True,
    description="Toutes les données personnelles détenues sur moi, service par service (droit d'accès)."), {
    "generated_at": "2026-12-05T08:00:00+00:00",
    "account": {"id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "role": "employer", "first_name": "Claire",
                "last_name": "Durand", "email": "claire.durand@example.fr"},
    "school": None, "sessions": [], "one_time_tokens": [], "activation_codes": [], "pupil_imports": [],
    "login_lock": None, "retention": {"inactive_account_years": 3},
    "applications": {"applications": [], "actions": []},
    "agreements": {"agreements": [], "signature_code": None, "school_signature_uploads": []},
    "offers": {"offers": [{"id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11", "state": "published",
                           "title": "Découverte des métiers de la boulangerie"}]},
    "notifications": {"messages": [], "in_app": [], "preferences": None, "reminders": []}})
UNAVAILABLE = "Un service n'a pas répondu à temps : export incomplet, réessayez"
SERVICE_OF = {"applications": "applications", "agreements": "conventions", "offers": "offers",
              "notifications": "notifications"}
LABELS = {"identity": "comptes", "applications": "candidatures", "conventions": "conventions",
          "offers": "offres", "notifications": "notifications"}


def _unavailable(service: str, exc: Exception) -> ServiceUnavailable:
    return ServiceUnavailable(f"L'export de vos données n'a pas pu être complété : le service des "
                              f"{LABELS.get(service, service)} n'a pas répondu à temps. Réessayez dans quelques "
                              f"instants.", code="export_incomplete", extra={"service": service})


def collect(req) -> dict:
    """The whole export: identity's part at the top level (account, sessions, ...), then one key per other
    service. A service that does not answer in time makes the whole export fail (503): a partial export would
    look complete."""
    actor = req.actor
    try:
        out = dict(req.rpc("identity").with_timeout(EXPORT_DEADLINE).export_personal_data(actor=actor))
    except DomainError as exc:
        if isinstance(exc, ServiceUnavailable):
            raise _unavailable("identity", exc) from None
        raise
    account = out.get("account") or {}
    addresses = [a for a in (account.get("email"), account.get("phone")) if a]

    def ask(part):
        service = SERVICE_OF[part]
        kwargs = {"actor": actor}
        if service == "notifications":
            kwargs["addresses"] = addresses
        try:
            return part, req.rpc(service).with_timeout(EXPORT_DEADLINE).export_personal_data(**kwargs), None
        except Exception as exc:  # noqa: BLE001  (rebuilt below, in the request's green thread)
            return part, None, exc

    pool = eventlet.GreenPool(len(SERVICE_OF))
    for part, value, exc in pool.imap(ask, list(SERVICE_OF)):
        if exc is not None:
            if isinstance(exc, ServiceUnavailable) or not isinstance(exc, DomainError):
                raise _unavailable(SERVICE_OF[part], exc) from None
            raise exc
        out[part] = value
    out["generated_at"] = dt.datetime.now(dt.timezone.utc).isoformat()
    return out


@route("GET", "/api/v1/me/data", summary="Toutes les données personnelles détenues sur moi", tags=TAG_ME,
       response=EXPORT, rate_limit=(60, 3600), extra_responses={503: UNAVAILABLE},
       description="Un document JSON : le compte (identité, sessions, jetons, codes d'activation) au premier niveau, "
                   "puis la part de chaque service, qui répond pour ses propres données : `applications` "
                   "(candidatures complètes : motivation, adresse, coordonnées, représentant légal, historique ; "
                   "actions faites sur d'autres candidatures), `agreements` (conventions dont on est partie : "
                   "champs, signatures avec adresse IP et navigateur de ses propres signatures), `offers` (offres "
                   "publiées), `notifications` (messages envoyés, notifications, préférences, rappels). "
                   "503 si un service ne répond pas à temps (jamais d'export incomplet). Les PDF des conventions : "
                   "`GET /api/v1/me/data.zip`.")
def my_data(req):
    return collect(req)


@route("GET", "/api/v1/me/data.zip", summary="Mes données personnelles et les PDF de mes conventions (ZIP)",
       tags=TAG_ME, content_type="application/zip", response={"type": "string", "format": "binary"},
       rate_limit=(10, 3600), extra_responses={503: UNAVAILABLE},
       description="Une archive ZIP : `donnees.json` (le même document que `GET /api/v1/me/data`) et, dans "
                   "`conventions/`, le PDF de chaque convention dont on est partie (le document scellé une fois "
                   "signée par tous).")
def my_data_zip(req):
    data = collect(req)
    try:
        docs = req.rpc("conventions").with_timeout(DOCUMENTS_DEADLINE).export_personal_documents(actor=req.actor)
    except ServiceUnavailable as exc:
        raise _unavailable("conventions", exc) from None
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("donnees.json", json.dumps(data, ensure_ascii=False, indent=2))
        for d in docs.get("documents") or []:
            z.writestr(f"conventions/{d['filename']}", base64.b64decode(d["content_base64"]))
    return Response(buf.getvalue(), status=200, mimetype="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="mes-donnees.zip"',
                             "Cache-Control": "private, no-store"})
