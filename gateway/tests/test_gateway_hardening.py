"""Bad input never answers 500 (issue 14): the gateway's request decoding, with an in-process
gateway and probe routes. Each refusal is a 4xx problem+json with a French message, and the
handler never runs (it records what it received)."""
import json
import socket

import pytest
import requests

from testkit.harness import free_port
from gateway import api, decoding, service
from gateway.api import PAGE, obj, route

RECEIVED: list = []

HARD_BODY = obj({
    "name": {"type": "string", "maxLength": 200},
    "seats": {"type": "integer", "minimum": 1, "maximum": 6000},
    "ratio": {"type": "number"},
    "tags": {"type": "array", "items": {"type": "string"}},
    "nested": {"type": "object"},
}, ["name"])


def _register_probe_routes():
    if any(r.path == "/api/v1/_hard" for r in api.ROUTES):
        return

    @route("POST", "/api/v1/_hard", summary="probe", auth="none", body=HARD_BODY, status=201,
           response={"type": "object"})
    def hard(req):
        RECEIVED.append(req.body)
        return {"name": req.body["name"], "seats": req.body.get("seats")}

    @route("GET", "/api/v1/_hard/<item_id>", summary="probe path", auth="none",
           query=obj({"q": {"type": "string"}, "page": PAGE}), response={"type": "object"})
    def hard_item(req):
        RECEIVED.append((req.path, req.query))
        return {"id": req.path["item_id"], "query": req.query}


@pytest.fixture
def gateway(start_service):
    _register_probe_routes()
    service.GatewayService.router = None
    RECEIVED.clear()
    port = free_port()
    start_service(service.GatewayService, WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    return f"http://127.0.0.1:{port}"


def _post(gateway, raw: bytes | str, **headers):
    return requests.post(gateway + "/api/v1/_hard", data=raw,
                         headers={"Content-Type": "application/json", **headers})


def _refused(r, status=422):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize("raw", ["null", "[]", "1", '"texte"', "true", '[{"name": "x"}]'])
def test_item1_a_body_that_is_not_an_object_is_refused(gateway, raw):
    body = _refused(_post(gateway, raw))
    assert body["errors"] == {"body": ["Ce champ doit être un objet."]}
    assert RECEIVED == []


def test_item2_a_nul_character_is_refused_in_strings_keys_query_and_path(gateway):
    body = _refused(_post(gateway, json.dumps({"name": "Du\u0000pont", "tags": ["ok", "a\u0000"]})))
    assert body["errors"] == {"name": [decoding.MSG_FORBIDDEN_CHAR], "tags.1": [decoding.MSG_FORBIDDEN_CHAR]}
    body = _refused(_post(gateway, json.dumps({"name": "x", "nested": {"k\u0000": 1}})))
    assert body["errors"] == {"nested": [decoding.MSG_FORBIDDEN_CHAR]}
    body = _refused(requests.get(gateway + "/api/v1/_hard/abc?q=a%00b"))
    assert body["errors"] == {"q": [decoding.MSG_FORBIDDEN_CHAR]}
    _refused(requests.get(gateway + "/api/v1/_hard/a%00b"), 404)
    assert RECEIVED == []


def test_item3_integers_beyond_64_bits_and_pages_beyond_bounds_are_refused(gateway):
    for seats in (2 ** 64, -(2 ** 63) - 1, 10 ** 30):
        body = _refused(_post(gateway, '{"name": "x", "seats": %d}' % seats))
        assert body["errors"]["seats"] == [decoding.MSG_OUT_OF_RANGE]
    body = _refused(_post(gateway, '{"name": "x", "ratio": 1e400, "nested": {"n": 123456789012345678901234567890}}'))
    assert body["errors"] == {"ratio": [decoding.MSG_OUT_OF_RANGE], "nested.n": [decoding.MSG_OUT_OF_RANGE]}
    body = _refused(requests.get(gateway + "/api/v1/_hard/abc?page=9223372036854775808"))
    assert body["errors"] == {"page": [f"La valeur doit être inférieure ou égale à {api.MAX_PAGE}."]}
    assert RECEIVED == []
    assert requests.get(gateway + f"/api/v1/_hard/abc?page={api.MAX_PAGE}").status_code == 200


def test_item3_every_integer_a_request_carries_has_documented_bounds():
    service.build_router()
    missing = []

    def walk(schema, where):
        if isinstance(schema, dict):
            types = schema.get("type")
            types = types if isinstance(types, list) else [types]
            if "integer" in types and not ("minimum" in schema and "maximum" in schema):
                missing.append(where)
            for key, sub in schema.items():
                walk(sub, f"{where}/{key}")
        elif isinstance(schema, list):
            for i, sub in enumerate(schema):
                walk(sub, f"{where}/{i}")

    for r in [*service.BUILTIN, *api.ROUTES]:
        walk(r.body, f"{r.method} {r.path} body")
        walk(r.query, f"{r.method} {r.path} query")
    assert missing == []


@pytest.mark.parametrize("depth", [decoding.MAX_JSON_DEPTH + 1, 1000, 100000])
def test_item4_json_nested_too_deep_is_refused(gateway, depth):
    raw = '{"name": "x", "nested": ' + '{"a": ' * (depth - 1) + "1" + "}" * (depth - 1) + "}"
    body = _refused(_post(gateway, raw))
    assert body["errors"] == {"body": [decoding.MSG_TOO_DEEP]}
    raw = '{"name": "x", "tags": ' + "[" * depth + "]" * depth + "}"
    _refused(_post(gateway, raw))
    assert RECEIVED == []
    ok = '{"name": "x", "nested": ' + '{"a": ' * (decoding.MAX_JSON_DEPTH - 1) + "1" + "}" * decoding.MAX_JSON_DEPTH
    assert _post(gateway, ok).status_code == 201


def test_item5_a_lone_surrogate_is_refused(gateway):
    body = _refused(_post(gateway, '{"name": "a\\ud800b"}'))
    assert body["errors"] == {"name": [decoding.MSG_FORBIDDEN_CHAR]}
    assert _post(gateway, '{"name": "\\ud83d\\ude00"}').status_code == 201  # a pair is an emoji: fine
    assert RECEIVED == [{"name": "\U0001F600"}]


def test_invalid_json_and_invalid_utf8_are_explained_in_french_without_internals(gateway):
    body = _refused(_post(gateway, '{"name": "x",\n  oops}'))
    assert body["detail"] == "Le corps de la requête n'est pas un JSON valide."
    assert body["errors"] == {"body": ["JSON invalide (ligne 2, colonne 3)."]}
    body = _refused(_post(gateway, b'{"name": "\xff"}'))
    assert body["errors"] == {"body": ["Octet invalide en position 10 : UTF-8 attendu."]}
    body = _refused(_post(gateway, '{"name": "x", "ratio": NaN}'))
    assert "NaN" in body["errors"]["body"][0]
    for text in (json.dumps(b) for b in (body,)):
        assert "Expecting" not in text and "char " not in text


def test_a_control_character_in_a_path_answers_problem_json(gateway):
    for path in ("/api/v1/_hard/a%0Ab", "/api/v1/%0A", "/%0D", "/api/v1/_hard/%09"):
        r = requests.get(gateway + path)
        _refused(r, 404)
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    _refused(requests.post(gateway + "/"), 405)


def test_a_chunked_body_is_read(gateway):
    def chunks():
        yield b'{"name": '
        yield b'"chunked", "seats": 3}'

    r = requests.post(gateway + "/api/v1/_hard", data=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json() == {"name": "chunked", "seats": 3}

    def big():
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    body = _refused(requests.post(gateway + "/api/v1/_hard", data=big(),
                                  headers={"Content-Type": "application/json"}), 413)
    assert body["code"] == "payload_too_large"


def test_a_raw_chunked_request_on_the_socket(gateway):
    host, port = gateway.removeprefix("http://").split(":")
    payload = b'{"name": "raw"}'
    request = (b"POST /api/v1/_hard HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               + f"{len(payload):x}\r\n".encode() + payload + b"\r\n0\r\n\r\n")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:200]


# -- item 13: CORS ---------------------------------------------------------------------------
WEB = "http://127.0.0.1:8080"


def _preflight(gateway, path, origin, method="POST"):
    return requests.options(gateway + path, headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type"})


def test_item13_preflights_are_answered_for_the_configured_origins_only(gateway, monkeypatch):
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", f"{WEB}, https://stages.example.gouv.fr")
    r = _preflight(gateway, "/api/v1/_hard", WEB)
    assert r.status_code == 204, r.text
    assert r.headers["Access-Control-Allow-Origin"] == WEB
    assert set(r.headers["Access-Control-Allow-Methods"].split(", ")) == {"POST", "OPTIONS"}
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(
        r.headers["Access-Control-Allow-Headers"].split(", "))
    assert int(r.headers["Access-Control-Max-Age"]) > 0
    assert "Access-Control-Allow-Credentials" not in r.headers  # bearer tokens, never cookies
    assert "Origin" in r.headers["Vary"]

    r = _preflight(gateway, "/api/v1/_hard", "https://evil.example.com")
    assert r.status_code == 403 and r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "cors_origin_forbidden" and "Access-Control-Allow-Origin" not in r.headers
    _refused(_preflight(gateway, "/api/v1/nowhere", WEB), 404)

    # the actual request carries the origin back and exposes the headers a front end reads
    r = requests.post(gateway + "/api/v1/_hard", json={"name": "x"}, headers={"Origin": WEB})
    assert r.status_code == 201 and r.headers["Access-Control-Allow-Origin"] == WEB
    assert "X-Request-ID" in r.headers["Access-Control-Expose-Headers"]
    r = requests.post(gateway + "/api/v1/_hard", json={"name": None}, headers={"Origin": WEB})
    assert r.status_code == 422 and r.headers["Access-Control-Allow-Origin"] == WEB  # errors are readable too
    r = requests.post(gateway + "/api/v1/_hard", json={"name": "x"}, headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_item13_no_origin_is_allowed_by_default(gateway, monkeypatch):
    monkeypatch.delenv("GATEWAY_CORS_ORIGINS", raising=False)
    r = _preflight(gateway, "/api/v1/_hard", WEB)
    assert r.status_code == 403 and "Access-Control-Allow-Origin" not in r.headers
    r = requests.post(gateway + "/api/v1/_hard", json={"name": "x"}, headers={"Origin": WEB})
    assert r.status_code == 201 and "Access-Control-Allow-Origin" not in r.headers
    # a plain OPTIONS (no preflight) lists the methods
    r = requests.options(gateway + "/api/v1/_hard")
    assert r.status_code == 204 and set(r.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


# -- item 14: security headers ---------------------------------------------------------------
SECURITY = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


def test_item14_every_answer_carries_the_security_headers(gateway):
    answers = [
        requests.post(gateway + "/api/v1/_hard", json={"name": "x"}),  # 201 JSON
        requests.get(gateway + "/api/v1/_hard/abc"),  # 200 JSON
        _post(gateway, "null"),  # 422 problem
        requests.get(gateway + "/nowhere"),  # 404 of the gateway's router
        requests.get(gateway + "/api/v1/%0A"),  # 404 of nameko's router
        requests.delete(gateway + "/api/v1/_hard"),  # 405
        requests.get(gateway + "/openapi.json"),
    ]
    for r in answers:
        for name, value in SECURITY.items():
            assert r.headers.get(name) == value, (r.request.method, r.url, r.status_code, name, r.headers)
