"""pytest fixtures of the platform (loaded by the root conftest).

- ``backends``: this run's PostgreSQL and RabbitMQ (see ``testkit.harness``).
- ``amqp_uri``: a vhost of this run and test module for in-process service tests.
- ``service_db(name)``: a migrated database (reference data loaded) of this
  run and test module for a service; also exported as ``<NAME>_DATABASE_URL``
  for in-process containers.
- ``start_service(cls, **config)``: a nameko container of ``cls`` on this run's
  vhost, killed after the test.
- ``suite``: the five services and the gateway as processes (session-wide).
- ``api``: an HTTP client of the suite's gateway.
"""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
import requests

from common import settings
from common.boot import prepare_process
from .harness import Backends, BackendsUnavailable, Suite, prepare_service_database


# in-process service containers of tests do not open operations endpoints (common.ops): parallel runs
# would fight for the default ports; the suite gives each process a free port of its own
os.environ.setdefault("STAGES_OPS_ADDRESS", "off")
prepare_process()   # a test run is a process that talks to the bus and the databases

_vhost_numbers = itertools.count(1)
_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def backends():
    try:
        b = Backends()
    except BackendsUnavailable as exc:
        pytest.exit(str(exc), returncode=3)
    # in-process services and gateways of this run use its Redis prefix (the suite's processes get
    # their own, see Suite)
    old = {k: os.environ.get(k) for k in ("STAGES_REDIS_URL", "STAGES_REDIS_PREFIX")}
    # the run's queues: classic unless a suite asks otherwise (docs/bus.md « Queues »): one test node holds the
    # vhosts of several suites at once, and some 300 quorum queues on it made a vhost creation hang once
    # (RabbitMQ 3.10.8). test_queues.py and the fault suite run on quorum queues.
    os.environ.setdefault("STAGES_QUEUE_TYPE", os.environ.get("STAGES_TEST_QUEUE_TYPE", "classic"))
    os.environ["STAGES_REDIS_URL"] = b.redis_url
    os.environ["STAGES_REDIS_PREFIX"] = b.redis_prefix
    yield b
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    b.close()


@pytest.fixture(scope="module")
def amqp_uri(backends, request):
    """A vhost per test module: durable queues (and the events waiting in
    them) never leak from one module's services into another's."""
    name = f"t{backends.run_id}_{next(_vhost_numbers)}"
    uri = backends.create_vhost(name)
    old = os.environ.get("AMQP_URI")
    os.environ["AMQP_URI"] = uri
    yield uri
    if old is None:
        os.environ.pop("AMQP_URI", None)
    else:
        os.environ["AMQP_URI"] = old
    backends.delete_vhost(name)


@pytest.fixture(scope="session")
def _database_templates(backends):
    """One migrated database per service, with its reference data, made once
    per run; each test module gets copies of them."""
    made: dict[str, str] = {}

    def template(service: str) -> str:
        if service not in made:
            prepare_service_database(backends, service, f"t{backends.run_id}_tpl", reference=True)
            made[service] = f"t{backends.run_id}_tpl_{service}"
        return made[service]

    return template


@pytest.fixture(scope="module")
def service_db(backends, _database_templates):
    """``service_db("offers")``: this module's own migrated database of a
    service (reference data loaded), also exported as OFFERS_DATABASE_URL for
    in-process containers. Modules never see each other's rows."""
    made: dict[str, str] = {}
    module_number = next(_db_numbers)
    old_env = {}

    def make(service: str, reference: bool = True) -> str:
        if service not in made:
            name = f"t{backends.run_id}_m{module_number}_{service}"
            made[service] = backends.clone_database(_database_templates(service), name)
            key = f"{service.upper()}_DATABASE_URL"
            old_env.setdefault(key, os.environ.get(key))
            os.environ[key] = made[service]
        return made[service]

    yield make
    for key, value in old_env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    for service in made:
        backends.drop_database(f"t{backends.run_id}_m{module_number}_{service}")


@pytest.fixture
def start_service(amqp_uri):
    from nameko.containers import ServiceContainer

    containers = []

    def start(cls, **config):
        cfg = {"AMQP_URI": amqp_uri, "serializer": "json", "max_workers": 20, **config}
        container = ServiceContainer(cls, cfg)
        container.start()
        containers.append(container)
        return container

    yield start
    for c in reversed(containers):
        try:
            c.stop()
        except Exception:
            c.kill()


@pytest.fixture(scope="session")
def suite(backends, tmp_path_factory):
    log_dir = Path(os.environ.get("STAGES_TEST_LOG_DIR") or settings.REPO_ROOT / "var" / "test-logs") / backends.run_id
    s = Suite(backends, log_dir)
    try:
        s.start_all()
    except Exception:
        s.stop_all()
        raise
    yield s
    s.stop_all()


class ApiClient:
    """``api.post("/api/v1/offers", json=..., token=...)`` -> requests.Response."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.http = requests.Session()

    def request(self, method: str, path: str, token: str | None = None, headers=None, **kwargs):
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 60)
        return self.http.request(method, self.base_url + path, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def api(suite):
    client = ApiClient(suite.url)
    yield client
    client.http.close()


@pytest.fixture
def suite_clock(suite):
    """Move the services' clocks; put them back after the test."""
    yield suite.set_clock_offset
    suite.set_clock_offset(0)
