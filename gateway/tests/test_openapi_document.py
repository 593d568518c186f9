"""The OpenAPI document describes every body: a typed success schema (a named component or a typed
object), an example of each request and success body that its schema accepts, and one pagination
scheme (the Page/PageInfo components) for every list paged with ``page``."""
from __future__ import annotations

import pytest

from gateway import openapi
from gateway.routes import load_all
from gateway.service import BUILTIN
from testkit import openapi as openapi_check


@pytest.fixture(scope="module")
def doc() -> dict:
    load_all()
    out = openapi.build(BUILTIN)
    # only the platform's own routes (other tests of this process declare probe routes)
    out["paths"] = {p: ops for p, ops in out["paths"].items() if not p.startswith("/api/v1/_")}
    return out


def _operations(doc):
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            yield f"{method.upper()} {path}", op


def _validator(doc, schema):
    return openapi_check.validator(doc, schema)


def _successes(op):
    return {s: r for s, r in op["responses"].items() if s.startswith("2") and s != "204"}


def test_every_success_body_has_a_typed_schema_and_an_example(doc):
    missing = []
    for label, op in _operations(doc):
        successes = _successes(op)
        if not successes and "204" not in op["responses"]:
            missing.append(f"{label}: no success response")
        for status, response in successes.items():
            media = response["content"].get("application/json")
            if media is None:
                continue  # PDF, CSV, ZIP: a binary body
            schema = media["schema"]
            if not ("$ref" in schema or schema.get("type") in ("object", "array") or "allOf" in schema):
                missing.append(f"{label} {status}: untyped success body {schema}")
            if "example" not in media:
                missing.append(f"{label} {status}: no example")
    assert not missing, "\n".join(missing)


def test_every_example_is_valid_against_its_schema(doc):
    wrong = []
    for name, schema in doc["components"]["schemas"].items():
        for example in schema.get("examples", []):
            for error in _validator(doc, {k: v for k, v in schema.items() if k != "examples"}).iter_errors(example):
                wrong.append(f"component {name}: {error.message} at {list(error.absolute_path)}")
    for label, op in _operations(doc):
        bodies = [(f"{label} request", m) for m in op.get("requestBody", {}).get("content", {}).values()]
        bodies += [(f"{label} {s}", m) for s, r in _successes(op).items() for m in r.get("content", {}).values()]
        for where, media in bodies:
            if media["schema"].get("format") == "binary":
                continue
            examples = [media["example"]] if "example" in media else [e["value"] for e in
                                                                      media.get("examples", {}).values()]
            if not examples:
                wrong.append(f"{where}: no example")
            for example in examples:
                for error in _validator(doc, media["schema"]).iter_errors(example):
                    wrong.append(f"{where}: {error.message[:200]} at {list(error.absolute_path)}")
    assert not wrong, "\n".join(wrong)


def test_every_parameter_has_an_example_its_schema_accepts(doc):
    wrong = []
    for label, op in _operations(doc):
        for param in op.get("parameters", []):
            if param["in"] not in ("path", "query"):
                continue
            if "example" not in param:
                wrong.append(f"{label}: parameter {param['name']} has no example")
                continue
            for error in _validator(doc, param["schema"]).iter_errors(param["example"]):
                wrong.append(f"{label}: parameter {param['name']}: {error.message}")
    assert not wrong, "\n".join(wrong)


def _uses_page_info(doc, schema, depth=0) -> bool:
    if depth > 5 or not isinstance(schema, dict):
        return False
    if schema.get("$ref") == "#/components/schemas/PageInfo":
        return True
    if "$ref" in schema:
        return _uses_page_info(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], depth + 1)
    return any(_uses_page_info(doc, part, depth + 1) for part in schema.get("allOf", []))


def test_every_paged_list_uses_the_pagination_component(doc):
    paged = 0
    for label, op in _operations(doc):
        if not any(p["name"] == "page" and p["in"] == "query" for p in op.get("parameters", [])):
            continue
        media = _successes(op)["200"]["content"].get("application/json")
        if media is None:
            continue  # a CSV export of a list
        paged += 1
        schema = media["schema"]
        assert _uses_page_info(doc, schema), f"{label}: a paged list without the Page component"
    assert paged >= 8


def test_offer_steps_are_documented_one_schema_per_step(doc):
    schemas = doc["components"]["schemas"]
    for step in ("Place", "Organisation", "Planning"):
        assert schemas[f"OfferStep{step}"]["properties"]["step"]["enum"] == [step.lower()]
    assert "manual_entry" in schemas["OfferStepOrganisation"]["properties"]["organisation"]["properties"]
    for method, path in (("post", "/api/v1/offers"), ("patch", "/api/v1/offers/{offer_id}")):
        media = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert {"place", "organisation", "organisation_manual_entry", "planning"} <= set(media["examples"])


def test_an_idempotent_replay_of_an_application_is_documented_as_an_application(doc):
    responses = doc["paths"]["/api/v1/offers/{offer_id}/applications"]["post"]["responses"]
    for status in ("200", "201"):
        assert responses[status]["content"]["application/json"]["schema"] == \
            {"$ref": "#/components/schemas/Application"}
