"""Each process's own operations endpoint (common.ops): /healthz, /readyz and /metrics, scraped on a
running suite (real processes, broker and databases)."""
import time
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from common import settings

pytestmark = pytest.mark.suite

PROCESSES = (*settings.SERVICES, "gateway")


def scrape(suite, name) -> dict:
    """{(sample name, frozenset of labels): value} of ``name``'s /metrics."""
    r = requests.get(suite.ops_url(name) + "/metrics", timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def sample(metrics, name, **labels):
    wanted = set(labels.items())
    found = [v for (n, ls), v in metrics.items() if n == name and wanted <= ls]
    return sum(found) if found else None


def wait_for(check, timeout=30):
    """Poll until ``check()`` returns something truthy (a positive signal), and return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


@pytest.mark.parametrize("name", PROCESSES)
def test_each_process_answers_live_and_ready_on_its_own_port(suite, name):
    r = requests.get(suite.ops_url(name) + "/healthz", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok", "service": name}
    r = requests.get(suite.ops_url(name) + "/readyz", timeout=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["broker"] == "ok"
    if name != "gateway":
        assert body["database"] == "ok"
    assert requests.get(suite.ops_url(name) + "/nope", timeout=5).status_code == 404


def test_services_export_rpc_calls_outbox_backlog_and_timer_lag(api, suite):
    assert api.get("/readyz").status_code == 200  # one health RPC to each service
    for name in settings.SERVICES:
        metrics = scrape(suite, name)
        assert sample(metrics, "stages_rpc_calls_total", service=name, method="health", outcome="ok") >= 1, name
        assert sample(metrics, "stages_rpc_duration_seconds_count", service=name, method="health") >= 1, name
        assert sample(metrics, "stages_outbox_pending", service=name) is not None, name
        assert sample(metrics, "stages_outbox_oldest_pending_age_seconds", service=name) is not None, name
        assert sample(metrics, "stages_ops_scrape_error", service=name) == 0, name
    assert sample(scrape(suite, "applications"), "stages_timer_lag_seconds", timer="expiry") is not None
    assert sample(scrape(suite, "notifications"), "stages_timer_lag_seconds", timer="dispatch") is not None
    assert sample(scrape(suite, "conventions"), "stages_agreement_render_seconds_count") is not None


def test_a_refused_rpc_is_counted_apart_from_errors(api, suite):
    r = api.get(f"/api/v1/offers/{uuid.uuid4()}")
    assert r.status_code == 404, r.text
    metrics = scrape(suite, "offers")
    assert sample(metrics, "stages_rpc_calls_total", service="offers", outcome="refused") >= 1


def test_gateway_exports_requests_by_route_template_and_status(api, suite):
    offer_id = uuid.uuid4()
    assert api.get(f"/api/v1/offers/{offer_id}").status_code == 404
    assert api.get("/api/v1/does-not-exist").status_code == 404
    metrics = scrape(suite, "gateway")
    assert sample(metrics, "stages_http_requests_total", route="/api/v1/offers/<offer_id>", status="404") >= 1
    assert sample(metrics, "stages_http_requests_total", route="unmatched", status="404") >= 1
    assert sample(metrics, "stages_http_request_duration_seconds_count", route="/api/v1/offers/<offer_id>") >= 1
    assert not any(str(offer_id) in str(labels) for (_, labels) in metrics)  # templates, not raw paths


def test_event_handling_and_messages_are_counted(api, suite):
    email = f"employeur.{uuid.uuid4().hex[:10]}@example.com"
    r = api.post("/api/v1/auth/register", json={"role": "employer", "first_name": "Paul", "last_name": "Durand",
                                                "function": "Gérant", "email": email,
                                                "password": "Un-Mot-De-Passe-2026!"})
    assert r.status_code == 201, r.text
    # the activation e-mail is sent (or retried when no SMTP server listens): either way it is counted
    assert wait_for(lambda: sample(scrape(suite, "notifications"), "stages_messages_total", channel="email"))
    with suite.rpc() as rpc:
        token = rpc.identity_test_hooks.last_secret("activation", email)
    assert api.post("/api/v1/auth/activate", json={"token": token}).status_code == 200
    handled = wait_for(lambda: sample(scrape(suite, "notifications"), "stages_events_handled_total",
                                      service="notifications", event_type="user.activated", outcome="ok"))
    assert handled and handled >= 1
