"""The OpenAPI 3.1 document, generated from the declared routes."""
from __future__ import annotations

import copy

from .api import ROUTES, Route
from .problems import PROBLEM_SCHEMA, TITLES

VERSION = "1.0.0"
SERVICE_ERRORS = (401, 403, 404, 409, 429)


def _problem_ref(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _operation(r: Route) -> dict:
    op: dict = {"operationId": r.operation_id, "summary": r.summary, "tags": r.tags or ["platform"]}
    if r.description:
        op["description"] = r.description
    params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in r.path_params]
    if r.query:
        required = set(r.query.get("required", []))
        for name, schema in r.query.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required,
                           "schema": copy.deepcopy(schema),
                           **({"description": schema["description"]} if "description" in schema else {})})
    if r.idempotent:
        params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "Clé unique par action : un double envoi ne crée qu'une ressource.",
                       "schema": {"type": "string", "maxLength": 100}})
    if params:
        op["parameters"] = params
    if r.body is not None or r.request_content_types:
        content = {}
        if r.body is not None:
            content["application/json"] = {"schema": copy.deepcopy(r.body)}
        for ct in r.request_content_types or []:
            content[ct] = {"schema": {"type": "string", "format": "binary"}}
        op["requestBody"] = {"required": True, "content": content}
    ok: dict = {"description": "Succès"}
    if r.status != 204:
        schema = copy.deepcopy(r.response) if r.response is not None else {}
        if r.content_type == "application/json":
            ok["content"] = {"application/json": {"schema": schema}}
        else:
            ok["content"] = {r.content_type: {"schema": {"type": "string", "format": "binary"}}}
    responses = {str(r.status): ok}
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
    if r.rate_limit:
        errors.add(429)
    if r.body is not None or r.request_content_types:
        errors |= {413, 415}
    if r.tags != ["operations"] and r.path != "/openapi.json":
        # the owning service's typed errors (common.errors), whatever the route: a refused
        # credential, a role or ownership check, an unknown token or resource, a state conflict,
        # a limit per account
        errors |= set(SERVICE_ERRORS)
    errors |= set(r.extra_responses)
    for status in sorted(errors):
        responses[str(status)] = _problem_ref(r.extra_responses.get(status) or TITLES.get(status, "Erreur"))
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
                           "Erreurs au format application/problem+json, messages en français.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
