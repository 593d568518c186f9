"""The walking skeleton as a whole: real processes, real broker and databases."""
import pytest
from openapi_spec_validator import validate

from common import settings

pytestmark = pytest.mark.suite


def test_every_service_is_ready_through_the_gateway(api):
    r = api.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready"
    assert set(body["services"]) == set(settings.SERVICES)
    assert all(s["status"] == "ok" and s["db"] == "ok" for s in body["services"].values())


def test_a_stopped_service_turns_readiness_to_503_naming_it(api, suite):
    suite.stop("offers")
    try:
        r = api.get("/readyz")
        assert r.status_code == 503
        services = r.json()["services"]
        assert services["offers"]["status"] == "down"
        assert all(services[s]["status"] == "ok" for s in settings.SERVICES if s != "offers")
    finally:
        suite.start("offers")
        suite.wait_ready()
    assert api.get("/readyz").status_code == 200


def test_the_real_gateway_serves_a_valid_openapi_document(api):
    doc = api.get("/openapi.json").json()
    validate(doc)
    assert doc["openapi"] == "3.1.0"


def test_request_ids_are_returned_and_errors_are_problem_json(api):
    r = api.get("/api/v1/does-not-exist", headers={"X-Request-ID": "trace-123"})
    assert r.status_code == 404
    assert r.headers["X-Request-ID"] == "trace-123"
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["request_id"] == "trace-123"
