"""HTTP routes of the reporting and moderation of offers (rules: offers/domain/moderation.py; RPCs:
docs/rpc/offers.md « Reports and moderation »).

Anyone may report an offer, visitors included: a visitor is known to the offers service only by a hash of
their client address (``client_hash``; hashed again there), so one visitor reports an offer once, and the
request budgets below keep anyone from flooding the queue."""
from __future__ import annotations

import hashlib

from gateway.api import PAGE, UUID, array, component, obj, page_of, route
from gateway.budgets import Budget

TAGS = ["moderation"]
NTEXT = {"type": ["string", "null"]}
DT = {"type": "string", "format": "date-time"}
NDT = {"type": ["string", "null"], "format": "date-time"}
REASONS = ["not_observation", "disguised_work", "discriminatory", "dangerous_for_minor", "other"]
DECISIONS = ["keep", "request_changes", "remove"]
STATE = {"type": "string", "enum": ["draft", "published", "unpublished", "need_to_be_updated", "removed"]}
COUNTS = {"type": "object", "properties": {r: {"type": "integer"} for r in REASONS}, "additionalProperties": False,
          "description": "Nombre de signalements ouverts par motif."}
_COUNTS_EXAMPLE = {"not_observation": 0, "disguised_work": 2, "discriminatory": 0, "dangerous_for_minor": 0,
                   "other": 1}
_OFFER_ID = "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11"

REPORT_BODY = obj({
    "reason": {"type": "string", "enum": REASONS,
               "description": "not_observation : ce n'est pas un stage d'observation ; disguised_work : travail "
                              "dissimulé / emploi déguisé ; discriminatory : discriminatoire ; dangerous_for_minor : "
                              "dangereux pour un mineur ; other : autre (texte obligatoire)."},
    "text": {"type": ["string", "null"], "maxLength": 1000, "description": "Précisions (obligatoires pour other)."},
}, ["reason"])
REPORT = component("OfferReport", obj({
    "offer_id": UUID, "reason": {"type": "string", "enum": REASONS}, "reported_at": DT,
    "created": {"type": "boolean", "description": "Faux : vous aviez déjà signalé cette offre (rien ne change)."},
}, ["offer_id", "reason", "reported_at", "created"]),
    {"offer_id": _OFFER_ID, "reason": "disguised_work", "reported_at": "2026-11-23T09:00:00+00:00", "created": True})

QUEUE_ITEM = component("ModerationQueueItem", obj({
    "offer_id": UUID, "title": NTEXT, "organisation_name": NTEXT, "state": STATE,
    "hidden": {"type": "boolean", "description": "Masquée de la recherche (au moins deux personnes l'ont signalée)."},
    "reports": {"type": "integer", "description": "Signalements ouverts (un par personne)."},
    "counts": COUNTS,
    "texts": array(obj({"reason": {"type": "string", "enum": REASONS}, "text": {"type": "string"},
                        "reported_at": DT}, ["reason", "text", "reported_at"])),
    "first_reported_at": DT, "last_reported_at": DT,
}, ["offer_id", "state", "hidden", "reports", "counts", "first_reported_at"]),
    {"offer_id": _OFFER_ID, "title": "Découverte des métiers de la boulangerie",
     "organisation_name": "Boulangerie du Vieux-Port SARL", "state": "published", "hidden": True, "reports": 3,
     "counts": _COUNTS_EXAMPLE, "texts": [{"reason": "other", "text": "Horaires de nuit annoncés.",
                                           "reported_at": "2026-11-22T18:00:00+00:00"}],
     "first_reported_at": "2026-11-21T10:00:00+00:00", "last_reported_at": "2026-11-22T18:00:00+00:00"})
QUEUE = component("ModerationQueue", page_of(QUEUE_ITEM, description="Les offres signalées, la plus anciennement "
                                                                      "signalée d'abord (30 par page)."))

DECISION_BODY = obj({
    "decision": {"type": "string", "enum": DECISIONS,
                 "description": "keep : conserver (visible de nouveau) ; request_changes : dépubliée jusqu'à sa "
                                "modification par l'employeur ; remove : supprimée (candidatures en cours annulées)."},
    "reason": {"type": ["string", "null"], "maxLength": 2000,
               "description": "Motif, envoyé à l'employeur ; obligatoire pour request_changes et remove."},
}, ["decision"])
DECISION = component("ModerationDecision", obj({
    "id": UUID, "offer_id": UUID, "decision": {"type": "string", "enum": DECISIONS}, "decision_label": NTEXT,
    "reason": NTEXT, "report_counts": COUNTS, "decided_at": DT,
    "author_id": {"type": ["string", "null"], "description": "L'administrateur (pour les administrateurs seulement)."},
}, ["id", "offer_id", "decision", "decided_at"]),
    {"id": "9a1c2b3d-4e5f-4a6b-8c7d-1e2f3a4b5c6d", "offer_id": _OFFER_ID, "decision": "request_changes",
     "decision_label": "Modifications demandées", "reason": "Décrivez les activités d'observation proposées.",
     "report_counts": _COUNTS_EXAMPLE, "decided_at": "2026-11-23T10:00:00+00:00",
     "author_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21"})
HISTORY = component("ModerationHistory", obj({
    "offer_id": UUID, "hidden": {"type": "boolean"},
    "status": {"type": ["string", "null"], "enum": ["changes_requested", "changes_made", None],
               "description": "changes_requested : modifiez l'offre avant de la republier."},
    "items": array(DECISION),
}, ["offer_id", "hidden", "items"]),
    {"offer_id": _OFFER_ID, "hidden": False, "status": "changes_requested",
     "items": [{"id": "9a1c2b3d-4e5f-4a6b-8c7d-1e2f3a4b5c6d", "offer_id": _OFFER_ID, "decision": "request_changes",
                "decision_label": "Modifications demandées",
                "reason": "Décrivez les activités d'observation proposées.", "report_counts": _COUNTS_EXAMPLE,
                "decided_at": "2026-11-23T10:00:00+00:00", "author_id": None}]})

# a visitor or a user may report a few offers an hour; one address (a school's network) a few dozen
REPORT_BUDGETS = [Budget(20, 3600, per="caller"), Budget(60, 3600, per="ip")]


def _offers(req):
    return req.rpc("offers")


def client_hash(req) -> str | None:
    """What identifies a visitor who reports (their client address, hashed: never sent in clear)."""
    if req.actor:
        return None
    return hashlib.sha256(("offer-report:" + str(req.ip)).encode()).hexdigest()


@route("POST", "/api/v1/offers/<offer_id>/reports", summary="Signaler une offre", tags=TAGS, auth="optional",
       body=REPORT_BODY, response=REPORT, status=201, rate_limit=REPORT_BUDGETS,
       description="Toute personne, connectée ou non, signale une offre avec un motif de la liste (texte obligatoire "
                   "pour « autre »). Un signalement par personne et par offre : le répéter ne change rien "
                   "(created=false). Une offre signalée par deux personnes est masquée de la recherche jusqu'à la "
                   "décision d'un administrateur.")
def report_offer(req):
    return _offers(req).report_offer(actor=req.actor, offer_id=req.path["offer_id"], data=req.body,
                                     client_hash=client_hash(req))


@route("GET", "/api/v1/admin/moderation/offers", summary="File de modération des offres signalées (admin)",
       tags=TAGS, roles=["admin"], query=obj({"page": PAGE}), response=QUEUE)
def moderation_queue(req):
    return _offers(req).moderation_queue(actor=req.actor, page=req.query.get("page", 1))


@route("POST", "/api/v1/admin/offers/<offer_id>/moderation", summary="Décider d'une offre signalée (admin)",
       tags=TAGS, roles=["admin"], body=DECISION_BODY, response=DECISION, status=201, idempotent=True,
       description="keep, request_changes ou remove, avec le motif (obligatoire sauf pour keep). Les signalements "
                   "ouverts sont clos ; la décision est enregistrée avec son auteur et visible de l'employeur. Même "
                   "Idempotency-Key : la même décision.")
def moderate_offer(req):
    return _offers(req).moderate_offer(actor=req.actor, offer_id=req.path["offer_id"], data=req.body,
                                       idempotency_key=req.idempotency_key)


@route("GET", "/api/v1/offers/<offer_id>/moderation", summary="Historique de modération d'une offre", tags=TAGS,
       roles=["employer", "admin"], response=HISTORY,
       description="Pour l'employeur de l'offre et les administrateurs : chaque décision avec son motif.")
def moderation_history(req):
    return _offers(req).moderation_history(actor=req.actor, offer_id=req.path["offer_id"])
