"""RPC between services, always with a deadline.

nameko's ``RpcProxy`` waits forever for a reply. ``Rpc`` wraps every call in
a timeout (``STAGES_RPC_TIMEOUT``, 10 s by default, or per proxy) and turns
transport failures into typed errors:

- no reply in time, or no such service on the bus -> ``ServiceUnavailable``;
- a domain error raised remotely comes back as the same typed error
  (``common.errors`` registers them for deserialisation);
- anything else stays a nameko ``RemoteError`` (a bug: HTTP 500).

Usage in a service: ``offers = Rpc("offers")`` then
``self.offers.reserve_seat(offer_id=..., application_id=..., week=...)``.
Arguments must be JSON values (the bus carries JSON only).
"""
from __future__ import annotations

import logging

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import MethodProxy, RpcProxy
from nameko.standalone.rpc import ClusterRpcProxy

from . import settings
from .errors import ServiceUnavailable

log = logging.getLogger(__name__)


class RpcTimeout(ServiceUnavailable):
    code = "rpc_timeout"


class _TimedMethod:
    def __init__(self, method: MethodProxy, timeout: float):
        self._method = method
        self._timeout = timeout

    def __call__(self, *args, **kwargs):
        method = self._method
        try:
            reply = method.call_async(*args, **kwargs)
        except UnknownService:
            raise ServiceUnavailable(
                f"Le service « {method.service_name} » ne répond pas. Réessayez dans quelques instants.",
                code="service_unavailable", extra={"service": method.service_name})
        timer = eventlet.Timeout(self._timeout)
        try:
            return reply.result()
        except eventlet.Timeout as t:
            if t is not timer:
                raise
            # forget the pending reply so it does not accumulate
            events = method.reply_listener._reply_events
            for key, event in list(events.items()):
                if event is reply.reply_event:
                    events.pop(key, None)
            log.warning("rpc %s.%s timed out after %.1fs", method.service_name, method.method_name,
                        self._timeout)
            raise RpcTimeout(
                f"Le service « {method.service_name} » n'a pas répondu à temps. Réessayez dans quelques instants.",
                extra={"service": method.service_name})
        finally:
            timer.cancel()


class TimedServiceProxy:
    def __init__(self, proxy, timeout: float):
        self._proxy = proxy
        self._timeout = timeout

    def __getattr__(self, name):
        return _TimedMethod(getattr(self._proxy, name), self._timeout)

    def with_timeout(self, timeout: float) -> "TimedServiceProxy":
        return TimedServiceProxy(self._proxy, timeout)


class Rpc(RpcProxy):
    """An ``RpcProxy`` whose calls time out (see module doc)."""

    def __init__(self, target_service: str, timeout: float | None = None, **options):
        super().__init__(target_service, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(super().get_dependency(worker_ctx),
                                 self.timeout or settings.RPC_TIMEOUT)


def cluster_rpc(amqp_uri: str | None = None, timeout: float | None = None, context_data=None):
    """A standalone proxy for scripts and tests. Do not share one between green threads."""
    config = {"AMQP_URI": amqp_uri or settings.amqp_uri(), "serializer": "json"}
    return ClusterRpcProxy(config, timeout=timeout or settings.RPC_TIMEOUT, context_data=context_data)
