"""The answers that were 500 in issue 14, on the real routes of the real suite: each is now a 4xx
problem+json in French, and changes nothing."""
import json
import uuid

import pytest

pytestmark = pytest.mark.suite

PASSWORD = "Correct-Horse-42!"
COLLEGE = "0131884C"  # demo collège (Belle de Mai, REP+)
BIG = 9223372036854775808  # bigint + 1


def _problem(r, status=422):
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == "application/problem+json"
    return r.json()


@pytest.fixture(scope="module")
def people(suite):
    from testkit.pytest_plugin import ApiClient
    api = ApiClient(suite.url)
    with suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
    email = f"bad.input.{uuid.uuid4().hex[:10]}@example.com"
    assert api.post("/api/v1/auth/register", json={
        "role": "employer", "first_name": "Paul", "last_name": "Durand", "function": "Gérant", "email": email,
        "password": PASSWORD}).status_code == 201
    with suite.rpc() as rpc:
        token = rpc.identity_test_hooks.last_secret("activation", email)
    assert api.post("/api/v1/auth/activate", json={"token": token}).status_code == 200

    def login(identifier, password):
        r = api.post("/api/v1/auth/login", json={"identifier": identifier, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    return {"employer": login(email, PASSWORD), "head": login(demo["head"]["email"], demo["password"])}


def test_item1_a_null_body_on_every_anonymous_route_that_takes_an_object(api):
    doc = api.get("/openapi.json").json()
    routes = [(method.upper(), path) for path, ops in doc["paths"].items() for method, op in ops.items()
              if "application/json" in op.get("requestBody", {}).get("content", {})
              and op["requestBody"]["content"]["application/json"]["schema"].get("type") == "object"
              and op.get("security") in ([], [{}, {"bearer": []}])]
    assert len(routes) >= 11 and ("POST", "/api/v1/auth/login") in routes
    for method, path in routes:
        path = path.replace("{token}", "x" * 20)
        for raw in ("null", "[]") if path == "/api/v1/auth/login" else ("null",):  # public links: 10/min
            r = api.request(method, path, data=raw, headers={"Content-Type": "application/json"})
            body = _problem(r)
            assert body["errors"] == {"body": ["Ce champ doit être un objet."]}, (path, raw, body)


def test_item2_nul_characters_in_json_query_and_csv(api, people):
    body = _problem(api.post("/api/v1/auth/login", json={"identifier": "a\u0000@example.com", "password": "x"}))
    assert list(body["errors"]) == ["identifier"]
    body = _problem(api.get("/api/v1/schools?q=Belle%00Mai"))
    assert list(body["errors"]) == ["q"]
    csv = "Nom;Prénom;Date de naissance;Classe;Niveau\nDU\u0000PONT;Lou;04/03/2012;3A;3EME\n".encode()
    body = _problem(api.post(f"/api/v1/schools/{COLLEGE}/pupils/import", data=csv, token=people["head"],
                             headers={"Content-Type": "text/csv"}))
    assert body["errors"]["file"][0].startswith("Ligne 2 : caractère nul")


@pytest.mark.parametrize("who,path", [
    ("head", f"/api/v1/schools/{COLLEGE}/pupils"), ("employer", "/api/v1/conventions"),
    ("employer", "/api/v1/me/notifications"), ("employer", "/api/v1/me/offers"),
    ("employer", "/api/v1/applications"),
])
def test_item3_pages_beyond_bigint_are_refused(api, people, who, path):
    body = _problem(api.get(f"{path}?page={BIG}", token=people[who]))
    assert body["errors"] == {"page": ["La valeur doit être inférieure ou égale à 10000."]}
    assert api.get(f"{path}?page=10000", token=people[who]).status_code == 200


def test_item3_integers_beyond_64_bits_in_a_body(api, people):
    raw = '{"step": "planning", "seats": %d}' % (2 ** 64)
    body = _problem(api.post("/api/v1/offers", data=raw, token=people["employer"],
                             headers={"Content-Type": "application/json"}))
    assert "seats" in body["errors"]
    assert api.get("/api/v1/me/offers", token=people["employer"]).json()["items"] == []  # nothing created


def test_item4_and_item5_deep_json_and_lone_surrogates(api):
    deep = '{"identifier": ' + "[" * 1000 + "]" * 1000 + ', "password": "x"}'
    body = _problem(api.post("/api/v1/auth/login", data=deep, headers={"Content-Type": "application/json"}))
    assert "trop imbriqué" in body["errors"]["body"][0]
    body = _problem(api.post("/api/v1/auth/login", data='{"identifier": "\\ud800", "password": "x"}',
                             headers={"Content-Type": "application/json"}))
    assert list(body["errors"]) == ["identifier"]


def test_item6_and_stray_quote_a_class_list_with_a_huge_cell_and_a_stray_quote(api, people):
    tag = uuid.uuid4().hex[:6].upper()
    lines = ["Nom;Prénom;Date de naissance;Classe;Niveau",
             f"AAA-{tag};Lou;04/03/2012;3A;3EME",
             f'BBB-{tag};"Jules;02/02/2012;3A;3EME',
             f"{'C' * (130 * 1024)};Noé;02/02/2012;3A;3EME",
             f"DDD-{tag};Inès;01/01/2012;3B;3EME"]
    r = api.post(f"/api/v1/schools/{COLLEGE}/pupils/import", data="\n".join(lines).encode(),
                 token=people["head"], headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text[:500]
    report = r.json()
    assert sorted(x["line"] for x in report["report"]["rejected"]) == [3, 4]
    assert report["summary"]["created"] == 2


def test_chunked_bodies_and_control_characters_in_paths(api):
    def chunks():
        yield b'{"identifier": "nobody@example.com", '
        yield b'"password": "Wrong-Password-1!"}'

    r = api.post("/api/v1/auth/login", data=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 401 and r.headers["Content-Type"] == "application/problem+json"  # read, then refused
    _problem(api.get("/api/v1/offers/%0A"), 404)
    _problem(api.get("/api/v1/offers/a%00b"), 404)
    body = _problem(api.post("/api/v1/auth/login", data="{oops", headers={"Content-Type": "application/json"}))
    assert body["errors"] == {"body": ["JSON invalide (ligne 1, colonne 2)."]}
    assert "Expecting" not in json.dumps(body)
