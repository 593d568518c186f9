"""Test-only services, run by the test harness in the same process as the service they serve (``nameko run
<service> testkit.hooks:<Service>TestHooks``), never in production: the production bus carries no test RPC.

Each one, named ``<service>_test_hooks``, answers:
- ``set_clock_offset(seconds)``: move the process clock (time rules, without waiting);
- ``last_secret(kind, key)``: the last secret the process handed out (``common.seams``), e.g.
  ``("activation", email)``, ``("transfer", application_id)``.
A service that needs more (notifications: its outbound settings) adds RPCs to its own class.
"""
from __future__ import annotations

import threading

from common import seams
from common.clock import PROCESS_CLOCK
from common.service import rpc

_SECRETS: dict = {}
_LOCK = threading.Lock()


def _remember(kind: str, key: str, value) -> None:
    with _LOCK:
        _SECRETS[(kind, key)] = value


seams.listen_to_secrets(_remember)


def last_secret(kind: str, key: str):
    """In-process tests read the same store directly."""
    with _LOCK:
        return _SECRETS.get((kind, str(key)))


class TestHooks:
    __test__ = False   # not a pytest test class
    name: str

    @rpc
    def set_clock_offset(self, seconds: float):
        PROCESS_CLOCK.set_offset(float(seconds))
        return PROCESS_CLOCK.now().isoformat()

    @rpc
    def last_secret(self, kind, key):
        return last_secret(kind, key)


class IdentityTestHooks(TestHooks):
    name = "identity_test_hooks"


class OffersTestHooks(TestHooks):
    name = "offers_test_hooks"


class ApplicationsTestHooks(TestHooks):
    name = "applications_test_hooks"


class ConventionsTestHooks(TestHooks):
    name = "conventions_test_hooks"


class NotificationsTestHooks(TestHooks):
    name = "notifications_test_hooks"

    @rpc
    def configure_outbound(self, settings):
        """Point the notifications containers of this process at a test SMTP server, SMS endpoint, public URL
        or retry policy (``SMTP_*``, ``SMS_*``, ``NOTIFICATIONS_*``, ``STAGES_PUBLIC_URL``); the channels'
        circuits start closed again. Reached through the process registry of ``notifications.channels.outbound``."""
        from notifications.channels.outbound import live
        running = live()
        for outbound in running:
            outbound.override(settings or {})
        return {"containers": len(running),
                "smtp": [f"{o.settings.smtp.host}:{o.settings.smtp.port}" for o in running]}


class GatewayTestHooks(TestHooks):
    name = "gateway_test_hooks"


