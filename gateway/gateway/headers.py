"""Response headers set on every answer of the gateway: security headers and
CORS.

CORS (``GATEWAY_CORS_ORIGINS``): a comma-separated list of exact origins
(``https://stages.example.gouv.fr``) allowed to call the API from a browser.
Empty by default (production: no other origin may call it); ``make up`` sets
the local web front end ``http://127.0.0.1:8080``. A wildcard is never sent,
nor ``Access-Control-Allow-Credentials``: the API authenticates with bearer
tokens in the ``Authorization`` header, never with cookies, so a browser
calls it with ``credentials: "omit"`` (the default ``same-origin`` is fine).
A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from an
allowed origin gets 204 with the path's methods and the headers the API
reads; from any other origin, 403 problem+json.
"""
from __future__ import annotations

import functools
import os

ALLOWED_REQUEST_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-ID, Accept, Accept-Language"
EXPOSED_HEADERS = ("X-Request-ID, Retry-After, Location, Content-Disposition, RateLimit, RateLimit-Policy, "
                   "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset")
PREFLIGHT_MAX_AGE = "600"

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-site",
}
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


def allowed_origins() -> frozenset[str]:
    return _parse_origins(os.environ.get("GATEWAY_CORS_ORIGINS", ""))


@functools.lru_cache(maxsize=8)
def _parse_origins(raw: str) -> frozenset[str]:
    return frozenset(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


def origin_allowed(origin: str | None) -> bool:
    return bool(origin) and origin in allowed_origins()


def is_preflight(request) -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def preflight_headers(origin: str, methods: list[str]) -> dict:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ", ".join(methods),
        "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    }


def finish(response, request) -> None:
    """Security headers on every answer; CORS headers for an allowed origin;
    ``Cache-Control: no-store`` unless the route chose otherwise."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    mimetype = (response.mimetype or "").lower()
    if mimetype.endswith("json") or response.status_code == 204 or not mimetype:
        response.headers.setdefault("Content-Security-Policy", JSON_CSP)
    response.headers.setdefault("Cache-Control", "no-store")
    origins = allowed_origins()
    if origins:
        response.vary.add("Origin")
        origin = request.headers.get("Origin")
        if origin in origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            if not is_preflight(request):
                response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
