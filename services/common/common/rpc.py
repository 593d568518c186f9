"""RPC between services, always with a deadline.

nameko's ``RpcProxy`` waits forever for a reply, and spends more CPU around
a message than on it; ``Rpc`` speaks the same protocol through
``common.transport.RpcClient`` and wraps every call in
a timeout (``STAGES_RPC_TIMEOUT``, 10 s by default, or per proxy) and turns
transport failures into typed errors:

- no reply in time, or no such service on the bus -> ``ServiceUnavailable``
  (a request to a service without a queue comes back at once: it is
  published ``mandatory``);
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
from amqp.exceptions import AMQPError
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from . import settings, tracing
from .boot import prepare_process
from .errors import ServiceUnavailable
from .transport import RpcClient

log = logging.getLogger(__name__)


class RpcTimeout(ServiceUnavailable):
    code = "rpc_timeout"


def _unavailable(service: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"Le service « {service} » ne répond pas. Réessayez dans quelques instants.",
        code="service_unavailable", extra={"service": service})


class _TimedMethod:
    def __init__(self, client: RpcClient, worker_ctx, service_name: str, method_name: str, timeout: float,
                 raw: bool = False):
        self._client = client
        self._worker_ctx = worker_ctx
        self.service_name = service_name
        self.method_name = method_name
        self._timeout = timeout
        self._raw = raw

    def __call__(self, *args, **kwargs):
        if tracing.ENABLED:  # a client span around the call; its context travels with the request
            with tracing.rpc_client(self._worker_ctx, self.service_name, self.method_name) as traceparent:
                return self._call(args, kwargs, traceparent)
        return self._call(args, kwargs, None)

    def _call(self, args, kwargs, traceparent):
        # The deadline covers everything, connecting to the broker included: during an outage the caller
        # gets its 503 within the deadline (sooner: an unreachable broker fails the call at once).
        timer = eventlet.Timeout(self._timeout)
        correlation_id = None
        try:
            correlation_id, reply = self._client.send(self._worker_ctx, self.service_name, self.method_name,
                                                      list(args), kwargs, timeout=self._timeout,
                                                      traceparent=traceparent)
            body = reply.wait()
        except (OSError, AMQPError):
            raise _unavailable(self.service_name)
        except UnknownService:
            raise _unavailable(self.service_name)
        except eventlet.Timeout as t:
            if t is not timer:
                raise
            if correlation_id is not None:
                self._client.forget(correlation_id)  # a late reply is dropped
            log.warning("rpc %s.%s timed out after %.1fs", self.service_name, self.method_name, self._timeout)
            raise RpcTimeout(
                f"Le service « {self.service_name} » n'a pas répondu à temps. Réessayez dans quelques instants.",
                extra={"service": self.service_name})
        finally:
            timer.cancel()
        return self._client.result(body, raw=self._raw)


class TimedServiceProxy:
    def __init__(self, client: RpcClient, worker_ctx, service_name: str, timeout: float, raw: bool = False):
        self._client = client
        self._worker_ctx = worker_ctx
        self._service_name = service_name
        self._timeout = timeout
        self._raw = raw

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _TimedMethod(self._client, self._worker_ctx, self._service_name, name, self._timeout, self._raw)

    def with_timeout(self, timeout: float) -> "TimedServiceProxy":
        return TimedServiceProxy(self._client, self._worker_ctx, self._service_name, timeout, self._raw)

    def raw(self) -> "TimedServiceProxy":
        """Calls that return their result as ``common.transport.RawJson`` (JSON bytes, not decoded):
        for a result passed on unchanged, as the gateway does with search pages."""
        return TimedServiceProxy(self._client, self._worker_ctx, self._service_name, self._timeout, True)


class Rpc(DependencyProvider):
    """A proxy to another service whose calls time out (see module doc). The
    container's ``Rpc`` dependencies share one ``RpcClient`` (one connection,
    one reply queue)."""

    client = RpcClient()

    def __init__(self, target_service: str, timeout: float | None = None):
        self.target_service = target_service
        self.timeout = timeout

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(self.client, worker_ctx, self.target_service,
                                 self.timeout or settings.RPC_TIMEOUT)


def cluster_rpc(amqp_uri: str | None = None, timeout: float | None = None, context_data=None):
    """A standalone proxy for scripts and tests (nameko's). Do not share one between green threads."""
    prepare_process()
    config = {"AMQP_URI": amqp_uri or settings.amqp_uri(), "serializer": "json"}
    return ClusterRpcProxy(config, timeout=timeout or settings.RPC_TIMEOUT, context_data=context_data)
