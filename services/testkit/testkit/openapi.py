"""Checking JSON bodies against the gateway's OpenAPI document (its ``#/components/schemas`` resolved):
the document's own examples (gateway/tests) and real answers of the suite (tests/test_openapi_answers.py)."""
from __future__ import annotations

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_BASE = "urn:stages-openapi"


def _rebase(schema):
    if isinstance(schema, dict):
        return {k: (_BASE + v if k == "$ref" and isinstance(v, str) and v.startswith("#/") else _rebase(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


def validator(doc: dict, schema: dict) -> jsonschema.Draft202012Validator:
    """A validator of ``schema`` (a part of ``doc``) whose ``$ref`` resolve in ``doc``."""
    registry = Registry().with_resource(_BASE, Resource.from_contents(
        {"components": doc.get("components", {})}, default_specification=DRAFT202012))
    return jsonschema.Draft202012Validator(_rebase(schema), registry=registry,
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def errors(doc: dict, schema: dict, value) -> list[str]:
    return [f"{e.message[:300]} at {list(e.absolute_path)}" for e in validator(doc, schema).iter_errors(value)]


def answer_errors(doc: dict, method: str, template: str, status: int, body) -> list[str]:
    """What is wrong with a JSON answer of ``method template`` (an OpenAPI path template) given its
    status: undocumented status, or a body its schema refuses."""
    op = doc["paths"][template][method.lower()]
    documented = op["responses"].get(str(status))
    if documented is None:
        return [f"{method} {template}: status {status} is not documented"]
    media = (documented.get("content") or {}).get("application/json")
    if media is None:
        return []
    return [f"{method} {template} -> {status}: {e}" for e in errors(doc, media["schema"], body)]
