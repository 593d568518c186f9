"""The outbound side of one process: its settings, the renderer, the SMTP sender, the SMS provider and the
channels' circuit breakers (``domain/circuit.py``), which live as long as the process.

``OutboundProvider`` (a nameko dependency) builds one ``Outbound`` per container from the environment,
overridden by the container's config keys ``SMTP_*``, ``SMS_*``, ``NOTIFICATIONS_*`` and ``STAGES_PUBLIC_URL``
(in-process tests), and keeps it in a process-level registry while the container runs: ``live()``. The
development harness reaches it there (``testkit.hooks.NotificationsTestHooks.configure_outbound``, run in the
same process) to point the process at a test SMTP server; production code never changes it.
"""
from __future__ import annotations

import os
import threading

from nameko.extensions import DependencyProvider

from .. import settings as settings_module
from ..domain.circuit import Circuit
from ..domain.messages import EMAIL, SMS
from ..templates.renderer import Renderer
from .email import SmtpSender
from .sms import provider_from_env

PREFIXES = ("SMTP_", "SMS_", "NOTIFICATIONS_", "STAGES_PUBLIC_URL")

_LIVE: list["Outbound"] = []
_LOCK = threading.Lock()


def _overrides(values: dict | None) -> dict:
    return {k: str(v) for k, v in (values or {}).items() if isinstance(k, str) and k.startswith(PREFIXES)}


class Outbound:
    def __init__(self, env: dict):
        self.configure(env)

    def configure(self, env: dict) -> None:
        self.env = dict(env)
        self.settings = settings_module.load(self.env)
        self.renderer = Renderer(self.settings.base_url)
        self.smtp = SmtpSender(self.settings.smtp)
        self.sms = provider_from_env(self.env)
        # other servers: what the circuits saw no longer holds
        self.circuits = {EMAIL: Circuit(), SMS: Circuit()}

    def override(self, values: dict) -> None:
        """Apply ``SMTP_*``/``SMS_*``/``NOTIFICATIONS_*``/``STAGES_PUBLIC_URL`` values over the current ones."""
        self.configure({**self.env, **_overrides(values)})


def live() -> list[Outbound]:
    """The outbound sides of the containers running in this process."""
    with _LOCK:
        return list(_LIVE)


class OutboundProvider(DependencyProvider):
    def setup(self):
        self.outbound = Outbound({**os.environ, **_overrides(self.container.config)})
        with _LOCK:
            _LIVE.append(self.outbound)

    def stop(self):
        with _LOCK:
            if self.outbound in _LIVE:
                _LIVE.remove(self.outbound)

    kill = stop

    def get_dependency(self, worker_ctx):
        return self.outbound
