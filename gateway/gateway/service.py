"""The gateway service: one nameko ``@http`` entrypoint that routes every
request through the same pipeline:

request id -> size limit -> route match -> token check (and revoked session) -> role check ->
body/query check -> request budgets read (rate limits, in Redis) -> handler (RPC to services,
with deadlines) -> budgets charged unless the request was invalid -> JSON response, or an
``application/problem+json`` error.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import time
import uuid

import eventlet
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from common import settings, tracing
from common.errors import DomainError, Forbidden, Unauthorized, ValidationError
from common.logs import set_request_id
from common.ops import OpsEndpoint, observe_http
from common.rpc import Rpc
from common.service import CachedSignatureCheck
from common.transport import RawJson, json_bytes

from . import decoding, headers, maintenance, openapi, pagination, validation
from .api import ROUTES, Route, obj
from .budgets import Limiter, budgets_of
from .problems import from_domain_error, problem
from .routes import load_all
from .security import JwtVerifier, SessionCheck, actor_from_claims, client_ip

log = logging.getLogger("gateway")

DEFAULT_MAX_BODY = 1024 * 1024  # 1 MiB of JSON is plenty; uploads declare their own limit
READY_DEADLINE = settings.env_float("GATEWAY_READY_DEADLINE", 2.0)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

verifier = JwtVerifier()
sessions = SessionCheck()
limiter = Limiter()


def trusted_proxy_hops() -> int:
    """How many reverse proxies in front of the gateway append to X-Forwarded-For
    (``GATEWAY_TRUSTED_PROXY_HOPS``; ``GATEWAY_TRUST_PROXY=1`` alone means one)."""
    raw = os.environ.get("GATEWAY_TRUSTED_PROXY_HOPS")
    if raw is not None:
        try:
            return max(0, int(raw))
        except ValueError:
            log.error("GATEWAY_TRUSTED_PROXY_HOPS=%r is not a number: X-Forwarded-For is ignored", raw)
            return 0
    return 1 if settings.env_flag("GATEWAY_TRUST_PROXY") else 0


class NoDelayWebServer(WebServer):
    """nameko's web server with TCP_NODELAY on the listening socket (accepted
    connections inherit it). Without it, eventlet.wsgi writes a large
    response's headers and body as two segments and a keep-alive client's
    delayed ACK stalls the second one for about 40 ms.

    eventlet's own access log line is turned off: ``GatewayService.handle``
    logs every request once, as JSON with its request id and duration (the
    second line cost a tenth of the gateway's time per request). Its error
    logs stay."""

    def get_wsgi_server(self, sock, *args, **kwargs):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        server = super().get_wsgi_server(sock, *args, **kwargs)
        server.log_output = False
        return server

    def get_wsgi_app(self):
        return ProblemWsgiApp(self)


class ProblemWsgiApp(WsgiApp):
    """nameko's WSGI app, whose own routing errors (a path its ``/<path:path>``
    rule cannot match, such as one holding a control character) answer
    problem+json with the gateway's headers instead of werkzeug's HTML."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values
            rv = provider.handle_request(request)
        except HTTPException as exc:
            rid = uuid.uuid4().hex
            if isinstance(exc, MethodNotAllowed):
                rv = problem(405, "Cette méthode n'est pas autorisée sur cette adresse.", code="method_not_allowed",
                             request_id=rid, headers={"Allow": ", ".join(exc.valid_methods or [])})
            elif isinstance(exc, NotFound):
                rv = problem(404, "Cette adresse n'existe pas.", code="not_found", request_id=rid)
            else:
                rv = problem(exc.code or 400, "Requête invalide.", code="bad_request", request_id=rid)
            rv.headers["X-Request-ID"] = rid
            headers.finish(rv, request)
        return rv(environ, start_response)


class HttpEntrypoint(CachedSignatureCheck, HttpRequestHandler):
    server = NoDelayWebServer()


http = HttpEntrypoint.decorator


class WorkerContext(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx


class ApiRequest:
    """What a route handler receives."""

    def __init__(self, service, request, route: Route, path_values: dict, request_id: str):
        self._service = service
        self.request = request
        self.route = route
        self.path = path_values
        self.request_id = request_id
        self.claims: dict | None = None
        self.actor: dict | None = None
        self.body = None
        self.query: dict = {}
        self.data: bytes = b""
        self.json_parsed = False  # the body was decoded as JSON (even ``null``)
        self.idempotency_key = request.headers.get("Idempotency-Key")

    def rpc(self, service_name: str):
        """The timed RPC proxy of ``service_name`` (identity, offers, ...)."""
        return getattr(self._service, service_name)

    @property
    def ip(self) -> str:
        # behind N trusted reverse proxies the deployment sets GATEWAY_TRUSTED_PROXY_HOPS=N
        return client_ip(self.request.remote_addr, self.request.headers.getlist("X-Forwarded-For"),
                         trusted_proxy_hops())

    @property
    def user_agent(self) -> str:
        return decoding.strip_controls(self.request.headers.get("User-Agent") or "")[:300]

    def client(self) -> dict:
        """Who is calling, for audit trails (signatures, logins)."""
        return {"ip": self.ip, "user_agent": self.user_agent, "request_id": self.request_id}


def _json_response(status: int, payload, headers: dict | None = None) -> Response:
    if status == 204:
        return Response(status=204, headers=headers or {})
    body = payload.data if isinstance(payload, RawJson) else json_bytes(payload)
    return Response(body, status=status, headers=headers or {}, mimetype="application/json")


# -- built-in routes ------------------------------------------------------------
def healthz(req):
    return {"status": "ok", "service": "gateway"}


def readyz(req):
    """Every service must answer its health RPC within the deadline."""
    pool = eventlet.GreenPool(len(settings.SERVICES))

    def probe(name):
        started = time.monotonic()
        try:
            answer = req.rpc(name).with_timeout(READY_DEADLINE).health()
            status = "ok" if answer.get("status") == "ok" else "degraded"
            return name, {"status": status, "latency_ms": round((time.monotonic() - started) * 1000, 1),
                          **{k: v for k, v in answer.items() if k not in ("service", "status")}}
        except Exception as exc:
            return name, {"status": "down", "error": getattr(exc, "detail", None) or type(exc).__name__}

    results = dict(pool.imap(probe, settings.SERVICES))
    ready = all(r["status"] == "ok" for r in results.values())
    return (200 if ready else 503), {"status": "ready" if ready else "unavailable", "services": results}


_OPENAPI_CACHE: dict = {}


def openapi_json(req):
    if _OPENAPI_CACHE.get("routes") != len(ROUTES):  # built once, again only if routes were added
        _OPENAPI_CACHE.update(doc=openapi.build(BUILTIN), routes=len(ROUTES))
    return _OPENAPI_CACHE["doc"]


_SERVICE_STATUS = obj({"status": {"type": "string", "enum": ["ok", "degraded", "down"]}}, ["status"],
                      additional=True)
BUILTIN = [
    Route("GET", "/healthz", healthz, summary="Le gateway répond", tags=["operations"], auth="none",
          response=obj({"status": {"type": "string"}, "service": {"type": "string"}}, ["status"])),
    Route("GET", "/readyz", readyz, summary="Tous les services répondent", tags=["operations"], auth="none",
          response=obj({"status": {"type": "string", "enum": ["ready", "unavailable"]},
                        "services": {"type": "object", "additionalProperties": _SERVICE_STATUS}},
                       ["status", "services"]),
          extra_responses={503: "Au moins un service ne répond pas (voir services)"}),
    Route("GET", "/openapi.json", openapi_json, summary="Ce document", tags=["operations"], auth="none",
          response=obj({"openapi": {"type": "string", "const": "3.1.0"}, "info": {"type": "object"},
                        "paths": {"type": "object", "additionalProperties": {"type": "object"}},
                        "components": {"type": "object", "additionalProperties": {"type": "object"}}},
                       ["openapi", "info", "paths"], additional=True,
                       description="Un document OpenAPI 3.1 (https://spec.openapis.org/oas/v3.1.0)."),
          response_example={"openapi": "3.1.0", "info": {"title": "1 élève, 1 stage — API", "version": "1.0.0"},
                            "paths": {}}),
]
for _r in BUILTIN:
    _r.operation_id = _r.handler.__name__


def build_router() -> Map:
    load_all()
    rules = [Rule(r.path, methods=[r.method], endpoint=r) for r in [*BUILTIN, *ROUTES]]
    return Map(rules, strict_slashes=False)


class GatewayService:
    name = "gateway"

    identity = Rpc("identity")
    offers = Rpc("offers")
    applications = Rpc("applications")
    conventions = Rpc("conventions")
    notifications = Rpc("notifications")
    worker_ctx = WorkerContext()
    ops = OpsEndpoint()  # this process's /healthz, /readyz, /metrics on its own port (common.ops)

    router = None

    @http("GET,POST,PUT,PATCH,DELETE,OPTIONS", "/<path:path>")
    def dispatch(self, request, path):
        return self.handle(request)

    @http("GET", "/")
    def root(self, request):
        return _json_response(200, {"service": "1 élève, 1 stage", "openapi": "/openapi.json",
                                    "api": "/api/v1"})

    def handle(self, request) -> Response:
        started = time.monotonic()
        rid = request.headers.get("X-Request-ID", "")
        rid = rid if _REQUEST_ID.match(rid) else uuid.uuid4().hex
        self.worker_ctx.data["request_id"] = rid  # travels with every RPC (context_data is a copy of data)
        set_request_id(rid)
        span = None
        if tracing.ENABLED:  # the request's span: every RPC it makes, and their events, join its trace
            span = tracing.start_http(self.worker_ctx, "gateway", request.method,
                                      request.headers.get("traceparent"), rid)
        try:
            return self._answer(request, rid, started)
        finally:
            if span is not None:
                span.finish(request.method, request.environ.get("stages.route"),
                            request.environ.get("stages.status", 500))

    def _answer(self, request, rid: str, started: float) -> Response:
        try:
            response = self._handle(request, rid)
        except DomainError as exc:
            response = from_domain_error(exc, instance=request.path, request_id=rid)
        except RemoteError as exc:
            log.error("remote error on %s %s: %s", request.method, request.path, exc)
            response = problem(500, "Une erreur interne est survenue. L'équipe technique a été prévenue.",
                               code="internal_error", instance=request.path, request_id=rid)
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            response = problem(500, "Une erreur interne est survenue. L'équipe technique a été prévenue.",
                               code="internal_error", instance=request.path, request_id=rid)
        response.headers["X-Request-ID"] = rid
        request.environ["stages.status"] = response.status_code
        observe_http(request.method, request.environ.get("stages.route", "unmatched"), response.status_code,
                     time.monotonic() - started)
        headers.finish(response, request)
        log.info("%s %s %s", request.method, request.path, response.status_code,
                 extra={"method": request.method, "path": request.path, "status": response.status_code,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1)})
        return response

    def _handle(self, request, rid: str) -> Response:
        cls = type(self)
        if cls.router is None:
            cls.router = build_router()
        adapter = cls.router.bind_to_environ(request.environ)
        if request.method == "OPTIONS":
            return self._options(request, adapter, rid)
        try:
            route, path_values = adapter.match(request.path, method=request.method)
        except MethodNotAllowed as exc:
            return problem(405, "Cette méthode n'est pas autorisée sur cette adresse.", code="method_not_allowed",
                           instance=request.path, request_id=rid,
                           headers={"Allow": ", ".join(exc.valid_methods or [])})
        except NotFound:
            return problem(404, "Cette adresse n'existe pas.", code="not_found", instance=request.path,
                           request_id=rid)

        request.environ["stages.route"] = route.path  # the route template, for the metrics
        closed = maintenance.refusal(request.method, route.path, request.path, rid)  # writes: 503 while on
        if closed is not None:
            return closed
        if any(decoding.has_forbidden_text(v) or decoding.has_control(v) for v in path_values.values()):
            return problem(404, "Cette adresse n'existe pas.", code="not_found", request_id=rid)
        req = ApiRequest(self, request, route, path_values, rid)
        self._read_body(req)
        self._authenticate(req)
        decoding.check_query(request.args)
        req.query = validation.coerce_query(route.query, request.args)
        validation.check(route.query, req.query, where="query")
        if route.body is not None and req.json_parsed:
            validation.check(route.body, req.body)  # a JSON null or any non-object is refused too
        key = req.idempotency_key
        if key is not None and (not 0 < len(key) <= 100 or decoding.has_control(key)):
            raise ValidationError(errors={"Idempotency-Key": [
                "La clé doit contenir de 1 à 100 caractères, sans caractère de contrôle."]})

        budgets = budgets_of(route.rate_limit)
        if not budgets:
            return self._respond(route, route.handler(req))
        charge = limiter.read(route.operation_id, budgets, req)
        try:
            response = self._respond(route, route.handler(req))
        except DomainError as exc:
            limiter.charge(charge, exc.status)
            raise
        limiter.charge(charge, response.status_code)
        if response.status_code < 400:
            for k, v in charge.headers().items():
                response.headers.setdefault(k, v)
        return response

    @staticmethod
    def _respond(route: Route, result) -> Response:
        if isinstance(result, Response):
            return result
        status = route.status
        if isinstance(result, tuple):
            status, result = result
        if route.paged and status < 300:
            result = pagination.complete(result)
        return _json_response(status, result)

    def _read_body(self, req: ApiRequest) -> None:
        route, request = req.route, req.request
        if request.method in ("GET", "DELETE") and route.body is None and not route.request_content_types:
            return
        limit = route.max_body or DEFAULT_MAX_BODY
        if request.content_length is not None and request.content_length > limit:
            raise _TooLarge(limit)
        if request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            data = decoding.read_chunked(request.environ, limit)
        else:
            data = request.stream.read(limit + 1)
        if len(data) > limit:
            raise _TooLarge(limit)
        req.data = data
        ctype = (request.mimetype or "").lower()
        if route.request_content_types and ctype in route.request_content_types:
            return
        if route.body is None:
            if route.request_content_types and data:
                raise _Unsupported(route.request_content_types)
            return
        if not data:
            raise ValidationError("Le corps de la requête est vide : un objet JSON est attendu.",
                                  errors={"body": ["Un objet JSON est attendu."]})
        if ctype not in ("application/json", "") and not ctype.endswith("+json"):
            raise _Unsupported(["application/json", *(route.request_content_types or [])])
        req.body = decoding.parse_json(data)
        req.json_parsed = True

    def _options(self, request, adapter, rid: str) -> Response:
        """``OPTIONS``: the path's methods; a CORS preflight is answered for the
        allowed origins only (see gateway/headers.py)."""
        try:
            adapter.match(request.path, method="OPTIONS")
        except MethodNotAllowed as exc:
            methods = sorted(set(exc.valid_methods or []) | {"OPTIONS"})
        except NotFound:
            return problem(404, "Cette adresse n'existe pas.", code="not_found", instance=request.path,
                           request_id=rid)
        else:  # no route declares OPTIONS
            methods = ["OPTIONS"]
        if not headers.is_preflight(request):
            return Response(status=204, headers={"Allow": ", ".join(methods)})
        origin = request.headers.get("Origin")
        if not headers.origin_allowed(origin):
            return problem(403, "Cette origine n'est pas autorisée à appeler l'API depuis un navigateur.",
                           code="cors_origin_forbidden", instance=request.path, request_id=rid)
        return Response(status=204, headers={"Allow": ", ".join(methods),
                                             **headers.preflight_headers(origin, methods)})

    def _authenticate(self, req: ApiRequest) -> None:
        route = req.route
        header = req.request.headers.get("Authorization", "")
        if route.auth == "none":
            return
        if not header:
            if route.auth == "optional":
                return
            raise Unauthorized("Authentification requise : connectez-vous.", code="missing_token")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("En-tête Authorization invalide (attendu : Bearer <jeton>).", code="invalid_token")
        req.claims = verifier.verify(token.strip(), fetch_jwks=lambda: self.identity.get_jwks())
        sessions.check(req.claims, ask_identity=lambda sid: self.identity.session_active(session_id=sid))
        req.actor = actor_from_claims(req.claims)
        if route.roles and req.actor.get("role") not in route.roles:
            raise Forbidden("Votre profil ne permet pas cette action.", code="role_forbidden")
        if route.confirmed_staff and req.actor.get("role") == "school_staff" and \
                req.actor.get("staff_confirmed") is not True:
            raise Forbidden(STAFF_NOT_CONFIRMED, code="staff_not_confirmed")


STAFF_NOT_CONFIRMED = ("Votre compte de personnel d'établissement n'est pas encore confirmé : un administrateur ou "
                       "le chef d'établissement doit le confirmer avant que vous puissiez agir pour "
                       "l'établissement. En attendant, vous pouvez consulter.")


class _TooLarge(DomainError):
    status = 413
    code = "payload_too_large"

    def __init__(self, limit: int):
        super().__init__(f"La requête dépasse la taille maximale autorisée ({limit // 1024} Ko).")


class _Unsupported(DomainError):
    status = 415
    code = "unsupported_media_type"

    def __init__(self, types):
        super().__init__("Type de contenu non pris en charge. Types acceptés : " + ", ".join(types) + ".")
