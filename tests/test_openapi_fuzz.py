"""Fuzzing the gateway from its own OpenAPI document (issue 14): schemathesis generates requests for
every operation, valid ones and invalid ones, anonymously, as an employer and as a pupil (tokens
obtained through the real API), against the real suite. Any 5xx fails the test; so does an error
answer that is not problem+json, or an answer that breaks its documented schema, status code or
content type.

It runs in its own suite (``Suite(name="fuzz")``): the fuzzer's thousands of requests, failed logins
and registrations must not spend the per-address budgets of the other cross-service tests.

Two phases per operation and actor:
- coverage (schemathesis' deterministic edge cases: ``null`` and list bodies, missing fields, wrong
  types, values at and beyond each bound, unknown fields, other content types), for the actors that get
  past the token and role checks, at most ``STAGES_FUZZ_COVERAGE`` cases (default 40) evenly spread;
- random valid and invalid requests (hypothesis), ``STAGES_FUZZ_EXAMPLES`` of each (default 4).
Bounded and deterministic: hypothesis' database off, derandomized, no shrinking (every failure is
reported with the request that caused it, so shrinking would only cost time).
"""
from __future__ import annotations

import base64
import math
import os
import uuid
from pathlib import Path

import pytest
import requests

from common import settings
from testkit.harness import Suite

pytestmark = pytest.mark.suite

EXAMPLES = int(os.environ.get("STAGES_FUZZ_EXAMPLES", "4"))
COVERAGE_CASES = int(os.environ.get("STAGES_FUZZ_COVERAGE", "40"))
PASSWORD = "Fuzz-Stages-2026!"
SCHOOL_UAI = "0131884C"  # Collège Belle de Mai, Marseille (in the reference data)
# Operations that can end the actor's session run last, so that they do not hide the others.
LAST = ("POST /api/v1/auth/logout", "POST /api/v1/auth/password", "POST /api/v1/me/deletion/confirm")
# /readyz answers a documented 503 when a service is slow to answer its health RPC (the fuzzer's load
# on 2 cores); it is the only 5xx the API may send on purpose.
DOCUMENTED_5XX = {("GET", "/readyz"): {503}}
MAX_REPORTED = 3  # failures kept per operation and actor


@pytest.fixture(scope="module")
def fuzz_suite(backends, _database_templates):
    log_dir = Path(os.environ.get("STAGES_TEST_LOG_DIR") or settings.REPO_ROOT / "var" / "test-logs") \
        / backends.run_id / "fuzz"
    # copies of the run's migrated databases (reference data loaded): far faster than a fresh setup
    databases = {service: backends.clone_database(_database_templates(service), f"t{backends.run_id}_fuzz_{service}")
                 for service in settings.SERVICES}
    s = Suite(backends, log_dir, name="fuzz", databases=databases)
    try:
        s.start_all()
        yield s
    finally:
        s.stop_all()


def _register_employer(suite, http) -> str:
    email = f"fuzz.employer.{uuid.uuid4().hex[:10]}@example.com"
    r = http.post(suite.url + "/api/v1/auth/register", json={
        "role": "employer", "first_name": "Camille", "last_name": "Fuzz", "function": "Gérante",
        "email": email, "phone": "06 12 34 56 78", "password": PASSWORD}, timeout=30)
    assert r.status_code == 201, r.text
    with suite.rpc() as rpc:
        token = rpc.identity_test_hooks.last_secret("activation", email)
    r = http.post(suite.url + "/api/v1/auth/activate", json={"token": token}, timeout=30)
    assert r.status_code == 200, r.text
    r = http.post(suite.url + "/api/v1/auth/login", json={"identifier": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def _activate_pupil(suite, http) -> str:
    tag = uuid.uuid4().hex[:8].upper()
    csv = ("Nom;Prénom;Date de naissance;Classe;Niveau\r\n"
           f"FUZZ-{tag};Camille;04/03/2012;3A;3EME\r\n").encode()
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}  # staff must be real, confirmed accounts
    with suite.rpc() as rpc:
        imported = rpc.identity.import_pupils(actor=admin, uai=SCHOOL_UAI,
                                              content_base64=base64.b64encode(csv).decode(),
                                              filename="classe.csv", with_pdf=False)
    code = next(c["code"] for c in imported["codes"] if str(c.get("last_name", "")).upper() == f"FUZZ-{tag}")
    r = http.post(suite.url + "/api/v1/auth/pupil-activate", json={
        "code": code, "password": PASSWORD, "email": f"fuzz.pupil.{tag.lower()}@example.com"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture(scope="module")
def schema(fuzz_suite):
    import schemathesis

    doc = requests.get(fuzz_suite.url + "/openapi.json", timeout=30).json()
    return schemathesis.openapi.from_dict(doc)


def _label(op) -> str:
    return f"{op.method.upper()} {op.path}"


class Checker:
    """Sends cases of one operation as one actor and records what breaks (at most ``MAX_REPORTED``)."""

    def __init__(self, op, url: str, headers: dict):
        self.op, self.url, self.headers = op, url, headers
        self.session = requests.Session()
        self.calls = 0
        self.found: list[str] = []
        self.allowed_5xx = DOCUMENTED_5XX.get((op.method.upper(), op.path), set())

    @property
    def full(self) -> bool:
        return len(self.found) >= MAX_REPORTED

    def send(self, case) -> None:
        from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                                       status_code_conformance)
        if self.full:
            return
        self.calls += 1
        label = _label(self.op)
        try:
            response = case.call(base_url=self.url, session=self.session, headers=self.headers, timeout=60)
        except requests.RequestException as exc:  # the gateway closed the connection: as bad as a 500
            self.found.append(f"{label}: no answer ({type(exc).__name__}) to "
                              f"{case.as_curl_command(base_url=self.url)[:800]}")
            return
        problems = []
        status = response.status_code
        if status >= 500 and status not in self.allowed_5xx:
            problems.append(f"server error {status}: {response.text[:300]}")
        ctype = (response.headers.get("content-type") or [""])[0]  # schemathesis: lowercase keys, lists
        if status >= 400 and not ctype.startswith("application/problem+json"):
            problems.append(f"error {status} answered as {ctype!r}, not problem+json")
        checks = [content_type_conformance, response_schema_conformance]
        if case.method.upper() == self.op.method.upper():  # not for the coverage phase's unexpected methods
            checks.insert(0, status_code_conformance)
        for check in checks:
            try:
                case.validate_response(response, checks=[check])
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis' failure (group) names what broke
                problems.append(f"{check.__name__}: {str(exc).strip()[:600]}")
        if problems:
            self.found.append(f"{label} -> {status}\n    " + "\n    ".join(problems)
                              + f"\n    request: {case.as_curl_command(headers=self.headers, base_url=self.url)[:800]}")


def _coverage(schema, op, checker: Checker) -> None:
    """schemathesis' coverage phase: deterministic edge cases of every parameter and body (a ``null``
    or list body, each field missing, of each wrong type, at and beyond each bound, unknown fields,
    other content types), at most ``COVERAGE_CASES`` of them, evenly spread."""
    from schemathesis import GenerationMode

    config = schema.config.generation_for(operation=op, phase="coverage")
    cases = list(schema.iter_coverage_cases(op, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                            generation_config=config))
    step = max(1, math.ceil(len(cases) / COVERAGE_CASES))
    for case in cases[::step]:
        checker.send(case)


def _fuzz(op, checker: Checker) -> None:
    """Random valid and invalid requests (hypothesis), ``EXAMPLES`` of each."""
    from hypothesis import HealthCheck, Phase, given, settings as hsettings, strategies as st
    from schemathesis import GenerationMode

    strategy = st.one_of(op.as_strategy(generation_mode=GenerationMode.POSITIVE),
                         op.as_strategy(generation_mode=GenerationMode.NEGATIVE))

    @hsettings(max_examples=EXAMPLES * 2, database=None, derandomize=True, deadline=None,
               phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        checker.send(case)

    run()


def _reaches_validation(op, actor: str) -> bool:
    """Whether ``actor`` gets past the gateway's token and role checks on ``op`` (else every case
    answers 401/403 before its input is read: the random phase covers that)."""
    from gateway import api, service

    service.build_router()
    route = next(r for r in [*service.BUILTIN, *api.ROUTES]
                 if r.method == op.method.upper() and r.openapi_path == op.path)
    if route.auth == "none":
        return actor == "anonymous"
    if actor == "anonymous":
        return route.auth == "optional"
    return route.roles is None or actor in route.roles


def test_no_operation_answers_5xx_or_breaks_its_documented_schema(fuzz_suite, schema):
    http = requests.Session()
    actors = {"anonymous": {}, "employer": {"Authorization": f"Bearer {_register_employer(fuzz_suite, http)}"},
              "pupil": {"Authorization": f"Bearer {_activate_pupil(fuzz_suite, http)}"}}
    operations = [result.ok() for result in schema.get_all_operations()]
    operations.sort(key=lambda op: _label(op) in LAST)
    assert len(operations) >= 80  # every operation of the document (86 when this test was written)

    failures: list[str] = []
    calls = 0
    for actor, headers in actors.items():
        for op in operations:
            checker = Checker(op, fuzz_suite.url, headers)
            if _reaches_validation(op, actor):
                _coverage(schema, op, checker)
            _fuzz(op, checker)
            calls += checker.calls
            failures += [f"[{actor}] {f}" for f in checker.found]
    print(f"\nfuzzing: {len(operations)} operations x {len(actors)} actors, {calls} requests, "
          f"{len(failures)} failures")
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures)
