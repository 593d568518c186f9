"""The OpenAPI 3.1 document, generated from the declared routes."""
from __future__ import annotations

import copy

from .api import COMPONENTS, ROUTES, Route
from .examples import example_of, parameter_example, request_example_of
from .budgets import budgets_of
from .problems import PROBLEM_SCHEMA, TITLES

VERSION = "1.0.0"
SERVICE_ERRORS = (401, 403, 404, 409, 429)


def _problem_ref(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# Rate limits: Retry-After and the three RateLimit header fields of the IETF draft
# (draft-ietf-httpapi-ratelimit-headers, separate-fields form; Reset in seconds).
RATE_LIMIT_HEADERS = {
    "Retry-After": {"description": "Secondes à attendre avant de réessayer.",
                    "schema": {"type": "integer", "minimum": 1}},
    "RateLimit-Limit": {"description": "Nombre de requêtes permises dans la fenêtre de la limite la plus proche "
                                       "d'être atteinte (absent quand la limite est celle d'un compte).",
                        "schema": {"type": "integer", "minimum": 1}},
    "RateLimit-Remaining": {"description": "Requêtes encore permises dans cette fenêtre.",
                            "schema": {"type": "integer", "minimum": 0}},
    "RateLimit-Reset": {"description": "Secondes avant que la fenêtre libère une requête.",
                        "schema": {"type": "integer", "minimum": 0}},
}


def _header_refs(names) -> dict:
    return {n: {"$ref": f"#/components/headers/{n}"} for n in names}


def _operation(r: Route) -> dict:
    op: dict = {"operationId": r.operation_id, "summary": r.summary, "tags": r.tags or ["platform"]}
    if r.description:
        op["description"] = r.description
    if r.confirmed_staff:
        op["description"] = ((op.get("description") or "") + " Personnel d'établissement : compte confirmé "
                             "requis (403 staff_not_confirmed sinon).").strip()
        op["x-confirmed-staff"] = True
    params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in r.path_params]
    if r.query:
        required = set(r.query.get("required", []))
        for name, schema in r.query.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "schema": copy.deepcopy(schema),
                           **({"description": schema["description"]} if "description" in schema else {})})
    for param in params:
        example = parameter_example(param["name"], param["schema"])
        if example is not None:
            param["example"] = example
    if r.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "Clé unique par action : un double envoi ne crée qu'une ressource.",
                       "schema": {"type": "string", "maxLength": 100}})
    if params:
        op["parameters"] = params
    if r.body is not None or r.request_content_types:
        content = {}
        if r.body is not None:
            media = {"schema": copy.deepcopy(r.body_doc or r.body)}
            if r.body_examples:
                media["examples"] = {k: {"summary": v.get("summary", k), "value": v["value"]}
                                     if isinstance(v, dict) and "value" in v else {"summary": k, "value": v}
                                     for k, v in r.body_examples.items()}
            else:
                media["example"] = copy.deepcopy(r.body_example if r.body_example is not None
                                                 else request_example_of(r.body, COMPONENTS))
            content["application/json"] = media
        for ct in r.request_content_types or []:
            content[ct] = {"schema": {"type": "string", "format": "binary"}}
        op["requestBody"] = {"required": True, "content": content}
    ok: dict = {"description": "Succès"}
    if r.status != 204:
        schema = copy.deepcopy(r.response) if r.response is not None else {}
        if r.content_type == "application/json":
            example = r.response_example if r.response_example is not None else example_of(schema, COMPONENTS)
            ok["content"] = {"application/json": {"schema": schema, "example": copy.deepcopy(example)}}
        else:
            ok["content"] = {r.content_type: {"schema": {"type": "string", "format": "binary"}}}
    responses = {str(r.status): ok}
    budgets = budgets_of(r.rate_limit)
    if budgets:
        ok["headers"] = _header_refs(["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"])
    errors = {400, 422, 500, 503}
    if r.auth == "required":
        errors |= {401, 403}
        op["security"] = [{"bearer": []}]
    elif r.auth == "optional":
        errors.add(401)  # a token sent must be valid
        op["security"] = [{}, {"bearer": []}]
    else:
        op["security"] = []
    if r.path_params:
        errors.add(404)
    if budgets:
        errors.add(429)
    if r.body is not None or r.request_content_types:
        errors |= {413, 415}
    if r.tags != ["operations"] and r.path != "/openapi.json":
        # the owning service's typed errors (common.errors), whatever the route: a refused
        # credential, a role or ownership check, an unknown token or resource, a state conflict,
        # a limit per account
        errors |= set(SERVICE_ERRORS)
    errors |= {s for s in r.extra_responses if s >= 300}
    for status in sorted(s for s in r.extra_responses if s < 300):  # another success: the same body
        responses[str(status)] = {**copy.deepcopy(ok), "description": r.extra_responses[status]}
    for status in sorted(errors):
        responses[str(status)] = _problem_ref(r.extra_responses.get(status) or TITLES.get(status, "Erreur"))
    if 429 in errors:
        limited = responses["429"]
        if budgets:
            limited["description"] = (r.extra_responses.get(429, TITLES[429]) + " — limites : "
                                      + " ; ".join(b.describe() for b in budgets) + ".")
        limited["headers"] = _header_refs(RATE_LIMIT_HEADERS)
    op["responses"] = responses
    return op


def build(builtin: list[Route]) -> dict:
    paths: dict = {}
    for r in sorted([*builtin, *ROUTES], key=lambda r: (r.openapi_path, r.method)):
        paths.setdefault(r.openapi_path, {})[r.method.lower()] = _operation(r)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "1 élève, 1 stage — API",
            "version": VERSION,
            "description": "API de la plateforme des stages d'observation (4e, 3e, 2nde). "
                           "Erreurs au format application/problem+json, messages en français. "
                           "Chaque réponse de succès est décrite par un schéma nommé (components/schemas) "
                           "et un exemple. Listes paginées (paramètre page) : un seul schéma, Page "
                           "(items, page, per_page, total, has_more) ; page_size est un ancien nom de "
                           "per_page, encore envoyé par certaines listes (obsolète). La recherche d'offres "
                           "ne compte pas le total : elle donne has_more (PageInfo).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA, **copy.deepcopy(COMPONENTS)},
            "headers": copy.deepcopy(RATE_LIMIT_HEADERS),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
