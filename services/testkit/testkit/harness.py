"""Test harness shared by every service's tests and the cross-service tests.

Each run gets its own databases (``t<run>_<service>``) and RabbitMQ vhosts,
created at the start and removed at the end, so runs never see each other's
data. Where the servers are comes from the environment:

- ``STAGES_TEST_PG``: an admin URL, e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``
- ``STAGES_TEST_AMQP``: a broker URL, e.g. ``amqp://guest:guest@127.0.0.1:5672/``
- ``STAGES_TEST_AMQP_ADMIN``: how to create vhosts: ``rabbitmqctl`` (default when the
  broker is local) or a management API URL ``http://guest:guest@127.0.0.1:15672``.
- ``STAGES_TEST_REDIS``: the Redis URL (default ``redis://127.0.0.1:6379/0``). Each run writes its
  keys under its own prefix ``t<run>`` (``STAGES_REDIS_PREFIX``) and deletes them at the end.

Where neither is set and a Docker engine answers, testcontainers starts
PostgreSQL and RabbitMQ; otherwise the run stops with a message that says
what to start (``make services`` does it on Debian).
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg

from common import settings

SERVICE_CLASSES = {s: f"{s}.service:{s.capitalize()}Service" for s in settings.SERVICES}
GATEWAY_CLASS = "gateway.service:GatewayService"
HOOKS = {  # the test-only service run beside each process (testkit.hooks), never in production
    name: f"testkit.hooks:{name.capitalize()}TestHooks" for name in (*settings.SERVICES, "gateway")}


class BackendsUnavailable(RuntimeError):
    pass


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except Exception:
        return False


class Backends:
    """Where this test run's PostgreSQL and RabbitMQ are, and what it created there."""

    def __init__(self):
        self.run_id = os.environ.get("STAGES_TEST_RUN") or uuid.uuid4().hex[:8]
        self._containers = []
        pg = os.environ.get("STAGES_TEST_PG")
        amqp = os.environ.get("STAGES_TEST_AMQP")
        if not (pg and amqp) and _docker_answers():
            pg, amqp = self._start_containers(pg, amqp)
        if not (pg and amqp):
            raise BackendsUnavailable(
                "Les tests ont besoin de PostgreSQL et RabbitMQ. Définissez STAGES_TEST_PG "
                "(ex. postgresql://postgres@127.0.0.1:5432/postgres) et STAGES_TEST_AMQP "
                "(ex. amqp://guest:guest@127.0.0.1:5672/), lancez `make services` pour les installer "
                "et les démarrer sur Debian, ou démarrez un moteur Docker (testcontainers).")
        self.pg_admin = pg
        self.amqp_root = amqp
        self.amqp_admin = os.environ.get("STAGES_TEST_AMQP_ADMIN", "rabbitmqctl")
        self.databases: list[str] = []
        self.vhosts: list[str] = []
        # Redis (rate-limit budgets, revoked sessions): passed explicitly to every process of the run,
        # with this run's own key prefix.
        self.redis_url = os.environ.get("STAGES_TEST_REDIS") or "redis://127.0.0.1:6379/0"
        self.redis_prefix = f"t{self.run_id}"

    def _start_containers(self, pg, amqp):
        from testcontainers.postgres import PostgresContainer
        from testcontainers.rabbitmq import RabbitMqContainer

        if not pg:
            c = PostgresContainer("postgres:15", username="postgres", password="postgres", dbname="postgres")
            c.start()
            self._containers.append(c)
            pg = (f"postgresql://postgres:postgres@{c.get_container_host_ip()}:"
                  f"{c.get_exposed_port(5432)}/postgres")
        if not amqp:
            c = RabbitMqContainer("rabbitmq:3.10-management")
            c.with_exposed_ports(5672, 15672)
            c.start()
            self._containers.append(c)
            host = c.get_container_host_ip()
            amqp = f"amqp://guest:guest@{host}:{c.get_exposed_port(5672)}/"
            os.environ.setdefault("STAGES_TEST_AMQP_ADMIN", f"http://guest:guest@{host}:{c.get_exposed_port(15672)}")
        return pg, amqp

    # -- PostgreSQL --------------------------------------------------------
    def _pg_url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        parts = urllib.parse.urlsplit(self.pg_admin)
        return urllib.parse.urlunsplit((driver, parts.netloc, "/" + database, parts.query, ""))

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return self._pg_url(name)

    def clone_database(self, template: str, name: str) -> str:
        """A copy of ``template`` (a file copy: far faster than migrating and loading again)."""
        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self.databases.append(name)
        return self._pg_url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.databases:
            self.databases.remove(name)

    def drop_databases(self) -> None:
        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            for name in self.databases:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.databases.clear()

    # -- RabbitMQ ----------------------------------------------------------
    def _mgmt(self, method: str, path: str, body=None) -> None:
        parts = urllib.parse.urlsplit(self.amqp_admin)
        url = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}{path}"
        req = urllib.request.Request(url, method=method, data=json.dumps(body or {}).encode())
        token = base64.b64encode(f"{parts.username or 'guest'}:{parts.password or 'guest'}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        req.add_header("Content-Type", "application/json")
        urllib.request.urlopen(req, timeout=10).read()

    def create_vhost(self, name: str) -> str:
        user = urllib.parse.urlsplit(self.amqp_root).username or "guest"
        if self.amqp_admin == "rabbitmqctl":
            subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=False, capture_output=True)
            subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", name, user, ".*", ".*", ".*"],
                           check=True, capture_output=True)
        else:
            q = urllib.parse.quote(name, safe="")
            self._mgmt("PUT", f"/api/vhosts/{q}")
            self._mgmt("PUT", f"/api/permissions/{q}/{user}", {"configure": ".*", "write": ".*", "read": ".*"})
        self.vhosts.append(name)
        parts = urllib.parse.urlsplit(self.amqp_root)
        return urllib.parse.urlunsplit(("pyamqp", parts.netloc, "/" + urllib.parse.quote(name, safe=""), "", ""))

    def delete_vhost(self, name: str) -> None:
        if self.amqp_admin == "rabbitmqctl":
            subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)
        else:
            try:
                self._mgmt("DELETE", f"/api/vhosts/{urllib.parse.quote(name, safe='')}")
            except Exception:
                pass
        if name in self.vhosts:
            self.vhosts.remove(name)

    def delete_vhosts(self) -> None:
        for name in list(self.vhosts):
            self.delete_vhost(name)

    def clear_redis(self) -> None:
        try:
            from common import kv
            for prefix in (self.redis_prefix, f"{self.redis_prefix}_suite"):
                kv.delete_prefix(prefix, self.redis_url)
        except Exception:  # Redis absent: nothing was written there
            pass

    def close(self) -> None:
        try:
            self.drop_databases()
            self.clear_redis()
        finally:
            self.delete_vhosts()
            for c in self._containers:
                c.stop()


def prepare_service_database(backends: Backends, service: str, prefix: str, reference: bool = False) -> str:
    """Create ``<prefix>_<service>``, migrate it, optionally load reference data."""
    from common import manage, migrations

    url = backends.create_database(f"{prefix}_{service}")
    migrations.upgrade(service, url)
    if reference:
        old = os.environ.get(f"{service.upper()}_DATABASE_URL")
        os.environ[f"{service.upper()}_DATABASE_URL"] = url
        try:
            manage.load_reference(service)
        finally:
            if old is None:
                os.environ.pop(f"{service.upper()}_DATABASE_URL")
            else:
                os.environ[f"{service.upper()}_DATABASE_URL"] = old
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Suite:
    """The five services and the gateway as real processes (``nameko run``),
    on this run's own databases and vhost. Used by the cross-service tests."""

    def __init__(self, backends: Backends, log_dir: Path, extra_env: dict | None = None, name: str = "suite",
                 databases: dict | None = None, replicas: int = 1):
        self.backends = backends
        self.log_dir = log_dir
        self.replicas = replicas  # processes per service and gateways (competing consumers on the same queues)
        self.gateway_ports = [free_port() for _ in range(replicas)]
        self.port = self.gateway_ports[0]
        self.url = f"http://127.0.0.1:{self.port}"
        self.urls = [f"http://127.0.0.1:{p}" for p in self.gateway_ports]
        prefix = f"t{backends.run_id}_{name}"  # another name: a second suite in the same run (fuzzing)
        self.amqp_uri = backends.create_vhost(prefix)
        self.env = dict(os.environ)
        for service in settings.SERVICES:  # ``databases``: ready ones (e.g. copies of the run's templates)
            self.env[f"{service.upper()}_DATABASE_URL"] = (databases or {}).get(service) or prepare_service_database(
                backends, service, prefix, reference=True)
        self.env.update({
            "AMQP_URI": self.amqp_uri,
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.port}",
            "STAGES_REDIS_URL": backends.redis_url,
            "STAGES_REDIS_PREFIX": f"{backends.redis_prefix}_suite",
            "STAGES_CLOCK_CONTROL": "1",
            "STAGES_DEMO": "1",   # demo seeding RPCs answer (identity.seed_demo, offers.seed_demo_offers), never in production
            "PYTHONWARNINGS": "ignore",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        })
        self.processes: dict[str, subprocess.Popen] = {}
        self.clock_offset = 0.0
        # each process's operations endpoint (/healthz, /readyz, /metrics: common.ops) on a port of its own
        self.ops_ports = {self.key(name, i): free_port() for name in (*settings.SERVICES, "gateway")
                          for i in range(1, replicas + 1)}
        log_dir.mkdir(parents=True, exist_ok=True)

    def _config(self, name: str) -> str:
        root = settings.REPO_ROOT
        return str(root / "gateway" / "config.yml" if name == "gateway" else root / "services" / name / "config.yml")

    @staticmethod
    def key(name: str, replica: int = 1) -> str:
        """The process's key in ``processes``: ``identity``, then ``identity.2``, ``identity.3``..."""
        return name if replica == 1 else f"{name}.{replica}"

    def start(self, name: str, replica: int = 1, **extra_env) -> None:
        """Start one process; it starts on the suite's clock (``set_clock_offset``), with ``extra_env``."""
        target = GATEWAY_CLASS if name == "gateway" else SERVICE_CLASSES[name]
        key = self.key(name, replica)
        log = open(self.log_dir / f"{key}.log", "ab")
        env = {**self.env, "STAGES_CLOCK_OFFSET": str(self.clock_offset),
               **{k: str(v) for k, v in extra_env.items()}}
        if name == "gateway":
            env["GATEWAY_ADDRESS"] = f"127.0.0.1:{self.gateway_ports[replica - 1]}"
        self.processes[key] = subprocess.Popen(
            [sys.executable, "-m", "nameko", "run", "--config", self._config(name), target, HOOKS[name]],
            env={**env, "STAGES_OPS_ADDRESS": f"127.0.0.1:{self.ops_ports[key]}"}, stdout=log,
            stderr=subprocess.STDOUT, cwd=str(settings.REPO_ROOT), start_new_session=True)

    def ops_url(self, name: str) -> str:
        """The base URL of ``name``'s operations endpoint (``/healthz``, ``/readyz``, ``/metrics``)."""
        return f"http://127.0.0.1:{self.ops_ports[name]}"

    def stop(self, name: str, sig=signal.SIGTERM) -> None:
        proc = self.processes.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def start_all(self, timeout: float = 90) -> None:
        for name in (*settings.SERVICES, "gateway"):
            for replica in range(1, self.replicas + 1):
                self.start(name, replica)
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}")
            try:
                answers = []
                running = [url for i, url in enumerate(self.urls, 1) if self.key("gateway", i) in self.processes]
                for url in running:   # every running gateway replica (each sees every service)
                    with urllib.request.urlopen(url + "/readyz", timeout=5) as resp:
                        answers.append(json.loads(resp.read()))
                return answers[0]
            except Exception as exc:  # 503 while services start
                last = exc
                time.sleep(0.5)
        raise RuntimeError(f"the suite did not become ready in {timeout}s: {last}")

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)

    def rpc(self, timeout: float = 30):
        from common.rpc import cluster_rpc
        return cluster_rpc(self.amqp_uri, timeout=timeout)

    def set_clock_offset(self, seconds: float) -> None:
        """Move the clock of every running service process (time rules, without waiting); a process started
        later starts on this clock too. With replicas, a hook call reaches one replica of each service only
        (competing consumers): move the clock while one runs, or start replicas after moving it."""
        if self.replicas > 1:
            raise RuntimeError("set_clock_offset needs one process per service: restart replicas instead")
        self.clock_offset = float(seconds)
        with self.rpc() as rpc:
            for service in settings.SERVICES:   # the gateway keeps the real clock
                if service in self.processes:
                    getattr(rpc, f"{service}_test_hooks").set_clock_offset(seconds)


@contextmanager
def environ(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
