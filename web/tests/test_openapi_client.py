"""The hand-written gateway client calls only operations that the gateway's OpenAPI document declares."""
import re

from stages_web.gateway import ENDPOINTS


def _openapi() -> dict:
    from gateway import openapi
    from gateway.routes import load_all
    from gateway.service import BUILTIN
    load_all()  # what the gateway does at start: the document is the one /openapi.json serves
    return openapi.build(BUILTIN)


def test_every_endpoint_of_the_client_is_an_operation_of_the_openapi_document():
    paths = _openapi()["paths"]
    missing = []
    for name, (method, template) in ENDPOINTS.items():
        ops = paths.get(template)
        if ops is None or method.lower() not in ops:
            missing.append(f"{name}: {method} {template}")
    assert not missing, f"the client calls operations the gateway does not declare: {missing}"


def test_path_parameters_of_the_client_are_named_as_in_the_document():
    paths = _openapi()["paths"]
    for name, (method, template) in ENDPOINTS.items():
        params = {p["name"] for p in paths[template][method.lower()].get("parameters", []) if p.get("in") == "path"}
        assert set(re.findall(r"{(\w+)}", template)) == params, name
