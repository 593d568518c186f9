"""A private RabbitMQ node for one test run (the fault suite, ``make test-faults``): the suite restarts it, the
shared broker (``rabbit@localhost``, port 5672) that every other engineer's run uses is never touched.

- ``PrivateBroker(run_id)``: node ``faults-<run>@localhost``, its own AMQP and distribution ports (free ports),
  its own data, logs and configuration under ``/tmp/stages-broker-<run>/``, the machine's Erlang cookie (that of
  the ``rabbitmq`` user, so that ``rabbitmqctl -n <node>`` reaches it). ``start()``, ``stop()`` (a clean stop, the
  node's durable queues and persistent messages stay on disk), ``kill()`` (SIGKILL), ``restart()``,
  ``remove()`` (stopped and its directory deleted). ``uri`` is its AMQP URL.
- ``PrivateBackends(broker)``: ``testkit.harness.Backends`` whose vhosts are made on the private node.
- ``refuse_shared_broker(env, broker)``: raises unless every AMQP setting of ``env`` points at the private node.

``rabbitmq-server`` is run from ``/usr/lib/rabbitmq/bin`` directly (the ``/usr/sbin`` wrapper would send its
output to the shared node's startup log), as the user running the tests (root on the test machine).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import urllib.parse
from pathlib import Path

from .harness import Backends, free_port

RABBIT_BIN = Path(os.environ.get("STAGES_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))
COOKIE_HOME = Path(os.environ.get("STAGES_RABBITMQ_COOKIE_HOME", "/var/lib/rabbitmq"))
SHARED_PORT = 5672


class BrokerError(RuntimeError):
    pass


class PrivateBroker:
    def __init__(self, run_id: str, base: Path | None = None):
        self.run_id = run_id
        self.node = f"faults-{run_id}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        if SHARED_PORT in (self.port, self.dist_port):
            raise BrokerError("a free port was the shared broker's")
        self.dir = Path(base or f"/tmp/stages-broker-{run_id}")
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    # -- the node's files ----------------------------------------------------------------------------------
    def _prepare(self) -> dict:
        for sub in ("mnesia", "log", "plugins-expand"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            "loopback_users = none\n"
            "log.file.level = info\n"
            "log.console = false\n"
            # the node stays up whatever the disk of the shared machine holds
            "disk_free_limit.absolute = 50MB\n", encoding="utf-8")
        (self.dir / "enabled_plugins").write_text("[].\n", encoding="utf-8")
        return {
            "HOME": str(COOKIE_HOME),        # the machine's Erlang cookie: rabbitmqctl -n <node> reaches it
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.dir / "log"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(self.dir / "plugins-expand"),
            "RABBITMQ_PID_FILE": str(self.dir / "node.pid"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.dir / "advanced.config"),
        }

    def ctl(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        """``rabbitmqctl -n <node> <args>`` (through the system wrapper, which uses the machine's cookie)."""
        return subprocess.run(["rabbitmqctl", "-q", "-n", self.node, *args], capture_output=True, text=True,
                              check=check, timeout=timeout)

    # -- life ----------------------------------------------------------------------------------------------
    def start(self, timeout: float = 90) -> None:
        if self.process and self.process.poll() is None:
            raise BrokerError(f"{self.node} already runs")
        env = {**os.environ, **self._prepare()}
        for key in ("RABBITMQ_CONF_ENV_FILE",):
            env.pop(key, None)
        log = open(self.dir / "log" / "stdout.log", "ab")
        self.process = subprocess.Popen([str(RABBIT_BIN / "rabbitmq-server")], env=env, stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(self.dir),
                                        start_new_session=True)
        self.starts += 1
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise BrokerError(f"{self.node} exited; see {self.dir / 'log'}")
            r = self.ctl("await_startup", "--timeout", "5", check=False, timeout=30)
            if r.returncode == 0 and self.accepts():
                return
            last = r.stderr.strip()[-300:]
            time.sleep(0.5)
        raise BrokerError(f"{self.node} did not start in {timeout}s: {last}")

    def accepts(self) -> bool:
        """The AMQP port answers a connection."""
        import socket
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                return True
        except OSError:
            return False

    def stop(self, timeout: float = 60) -> None:
        """A clean stop: durable queues and persistent messages stay on disk for the next start."""
        if not self.process or self.process.poll() is not None:
            return
        self.ctl("stop", check=False, timeout=timeout)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()

    def restart(self, down_for: float = 0.0, timeout: float = 90) -> None:
        self.stop()
        time.sleep(down_for)   # how long the broker stays away (an outage), not a wait for an outcome
        self.start(timeout)

    def remove(self) -> None:
        self.stop()
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- vhosts --------------------------------------------------------------------------------------------
    def add_vhost(self, name: str) -> None:
        self.ctl("add_vhost", name, check=False)
        self.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")

    def delete_vhost(self, name: str) -> None:
        self.ctl("delete_vhost", name, check=False)


class PrivateBackends(Backends):
    """The run's backends with its RabbitMQ on ``broker`` (vhosts made there with ``rabbitmqctl -n``)."""

    def __init__(self, broker: PrivateBroker):
        self.broker = broker
        old = os.environ.get("STAGES_TEST_AMQP")
        os.environ["STAGES_TEST_AMQP"] = broker.uri
        try:
            super().__init__()
        finally:
            if old is None:
                os.environ.pop("STAGES_TEST_AMQP")
            else:
                os.environ["STAGES_TEST_AMQP"] = old
        self.amqp_admin = f"rabbitmqctl -n {broker.node}"

    def create_vhost(self, name: str) -> str:
        self.broker.add_vhost(name)
        self.vhosts.append(name)
        parts = urllib.parse.urlsplit(self.amqp_root)
        return urllib.parse.urlunsplit(("pyamqp", parts.netloc, "/" + urllib.parse.quote(name, safe=""), "", ""))

    def delete_vhost(self, name: str) -> None:
        self.broker.delete_vhost(name)
        if name in self.vhosts:
            self.vhosts.remove(name)


def refuse_shared_broker(env: dict, broker: PrivateBroker) -> None:
    """Every AMQP setting a process of the suite would read points at ``broker`` (its port), or this raises:
    a fault run never restarts or cuts the shared broker, and never mixes the two."""
    wrong = {}
    for key, value in env.items():
        if "AMQP" in key and "://" in str(value):
            port = urllib.parse.urlsplit(str(value)).port
            if port != broker.port:
                wrong[key] = value
    if urllib.parse.urlsplit(env.get("AMQP_URI", "")).port != broker.port:
        wrong.setdefault("AMQP_URI", env.get("AMQP_URI"))
    if wrong:
        raise BrokerError(f"the fault suite must only use its private broker {broker.uri}; these settings point "
                          f"elsewhere: {sorted(wrong)}")
