"""Errors as ``application/problem+json`` (RFC 9457), with French ``detail``
and, for bad input, per-field ``errors``."""
from __future__ import annotations

import json

from werkzeug.wrappers import Response

from common.errors import DomainError

TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    413: "Requête trop volumineuse",
    415: "Type de contenu non pris en charge",
    422: "Données invalides",
    423: "Ressource verrouillée",
    429: "Trop de requêtes",
    500: "Erreur interne",
    503: "Service indisponible",
}

PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                   "description": "Messages par champ (chemin pointé, ex. « legal_representative.email »)."},
    },
}


def problem(status: int, detail: str, *, code: str | None = None, errors: dict | None = None,
            instance: str | None = None, request_id: str | None = None, headers: dict | None = None,
            extra: dict | None = None) -> Response:
    body = {
        "type": f"https://stages.example.gouv.fr/problems/{code or status}",
        "title": TITLES.get(status, "Erreur"),
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    if instance:
        body["instance"] = instance
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    headers=headers or {}, mimetype="application/problem+json")


def from_domain_error(exc: DomainError, **kwargs) -> Response:
    headers = {}
    extra = dict(exc.extra)
    if exc.status == 429:
        retry = str(int(extra.get("retry_after", 60)))
        headers.update({"Retry-After": retry, "RateLimit-Remaining": "0", "RateLimit-Reset": retry})
        if extra.get("limit"):
            headers["RateLimit-Limit"] = str(int(extra["limit"]))
    return problem(exc.status, exc.detail, code=exc.code, errors=exc.errors, headers=headers,
                   extra=extra, **kwargs)
