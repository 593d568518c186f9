"""Route declarations of the gateway.

A route module (``gateway/routes/<service>.py``) declares handlers::

    from gateway.api import route

    @route("POST", "/api/v1/offers", summary="Créer une offre (étape 1)", tags=["offers"],
           roles=["employer", "operator"], body=OFFER_STEP1, response=OFFER, status=201,
           idempotent=True)
    def create_offer(req):
        return req.rpc("offers").create_offer(actor=req.actor, data=req.body,
                                              idempotency_key=req.idempotency_key)

A handler returns a JSON-able value (status ``status``), or ``(status, value)``,
or a werkzeug ``Response`` (PDF, CSV...). It raises ``common.errors`` types for
4xx answers. ``body``/``query`` are JSON Schemas: the request is checked before
the handler runs (every error at once, in French), and the OpenAPI document is
generated from the same schemas.

``auth``: "required" (default: a valid access token), "optional" or "none".
``roles``: the roles allowed (checked at the gateway; services check again).
``confirmed_staff=True``: school staff must hold ``staff_confirmed: true`` in their token (an action
for the school: import pupils, signature image, validate/sign agreements, invite...); others are
not concerned.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Callable

ROUTES: list["Route"] = []

_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclasses.dataclass(eq=False)
class Route:
    method: str
    path: str  # werkzeug syntax: /api/v1/offers/<offer_id>
    handler: Callable
    summary: str
    description: str | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    auth: str = "required"
    roles: list[str] | None = None
    # School staff must be confirmed (token claim ``staff_confirmed``) to call it: docs/school-staff.md.
    confirmed_staff: bool = False
    body: dict | None = None
    query: dict | None = None
    response: dict | None = None
    status: int = 200
    content_type: str = "application/json"  # of the success response
    request_content_types: list[str] | None = None  # non-JSON bodies (CSV, images)
    max_body: int | None = None
    idempotent: bool = False  # accepts an Idempotency-Key header
    # (requests, per seconds) per caller, or a list of gateway.budgets.Budget (see that module)
    rate_limit: tuple[int, int] | list | None = None
    operation_id: str | None = None
    extra_responses: dict[int, str] = dataclasses.field(default_factory=dict)
    # Documentation only (the OpenAPI document; never the checks): the request body's schema when it
    # says more than ``body`` (per-step schemas), and examples of the request and success bodies
    # (``{name: value}`` for several named examples of the request body).
    body_doc: dict | None = None
    body_example: Any = None
    body_examples: dict | None = None
    response_example: Any = None

    @property
    def paged(self) -> bool:
        """A list paged with ``page`` (its answer follows the ``Page`` component: see ``page_of``)."""
        return bool(self.query and "page" in self.query.get("properties", {}))

    @property
    def openapi_path(self) -> str:
        return _PATH_PARAM.sub(lambda m: "{" + m.group(2) + "}", self.path)

    @property
    def path_params(self) -> list[str]:
        return [m.group(2) for m in _PATH_PARAM.finditer(self.path)]


def route(method: str, path: str, *, summary: str, **options: Any):
    def decorator(fn):
        r = Route(method=method.upper(), path=path, handler=fn, summary=summary, **options)
        if r.operation_id is None:
            r.operation_id = fn.__name__
        if any(x.method == r.method and x.path == r.path for x in ROUTES):
            raise ValueError(f"route declared twice: {r.method} {r.path}")
        ROUTES.append(r)
        return fn

    return decorator


# Reusable schema pieces -------------------------------------------------------
UUID = {"type": "string", "format": "uuid"}
ISO_WEEK = {"type": "string", "pattern": r"^\d{4}-W\d{2}$", "examples": ["2027-W03"]}
GRADE = {"type": "string", "enum": ["quatrieme", "troisieme", "seconde"]}
# Every integer a request may carry has documented bounds (a test checks it): page numbers stop
# well before PostgreSQL's bigint offsets and the bus serialiser's 64-bit integers.
MAX_PAGE = 10000
PAGE = {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}


def obj(properties: dict, required: list[str] | None = None, additional: bool = False, **extra) -> dict:
    """A JSON object schema (closed by default: unknown fields are errors)."""
    out = {"type": "object", "properties": properties, "additionalProperties": additional}
    if required:
        out["required"] = required
    out.update(extra)
    return out


def array(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


# Named schemas of the OpenAPI document (``#/components/schemas/<name>``) -------------------
COMPONENTS: dict[str, dict] = {}


def component(name: str, schema: dict, example: Any = None) -> dict:
    """Registers ``schema`` as ``#/components/schemas/<name>`` and returns a reference to it (for
    response schemas: request bodies stay inline, they are what the gateway checks). ``example``:
    a complete, realistic value (French where people read it), checked against the schema by a test."""
    schema = dict(schema)
    if example is not None:
        schema["examples"] = [example]
    if name in COMPONENTS and COMPONENTS[name] != schema:
        raise ValueError(f"component declared twice with different schemas: {name}")
    COMPONENTS[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def ref_name(schema: dict) -> str | None:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return ref.rsplit("/", 1)[1] if ref and ref.startswith("#/components/schemas/") else None


# One pagination scheme for every list paged with ``page`` (the one most lists used): ``items``,
# ``page``, ``per_page``, ``total``, and ``has_more``. The gateway completes what a service leaves
# out (``per_page`` from the older ``page_size``, ``has_more`` from ``total``: gateway.pagination).
_INT0 = {"type": "integer", "minimum": 0}
PAGE_INFO = component("PageInfo", obj({
    "items": {"type": "array", "description": "Les éléments de la page, dans l'ordre de la liste."},
    "page": {"type": "integer", "minimum": 1, "description": "Numéro de la page (1 pour la première)."},
    "per_page": {"type": "integer", "minimum": 1, "description": "Nombre d'éléments par page demandé."},
    "has_more": {"type": "boolean", "description": "Vrai s'il existe une page suivante."},
    "total": {**_INT0, "description": "Nombre total d'éléments de la liste, toutes pages confondues."},
    "page_size": {"type": "integer", "minimum": 1, "deprecated": True,
                  "description": "Obsolète : ancien nom de per_page, encore envoyé par certaines listes."},
}, ["items", "page", "per_page", "has_more"], additional=True,
    description="Pagination de toute liste paginée par « page » : la recherche d'offres s'arrête à has_more "
                "(sans total) ; toutes les autres listes donnent aussi total (schéma Page)."),
    {"items": [], "page": 2, "per_page": 30, "has_more": False, "total": 42})
PAGE_REF = component("Page", {
    "allOf": [PAGE_INFO, {"type": "object", "required": ["total"]}],
    "description": "Une page d'une liste dont le total est connu : items, page, per_page, total, has_more.",
}, {"items": [], "page": 1, "per_page": 30, "has_more": True, "total": 42})


def page_of(item: dict, extra: dict | None = None, required: list[str] | None = None, *,
            with_total: bool = True, description: str | None = None) -> dict:
    """A page of ``item`` (a component reference, ideally): ``Page`` (or ``PageInfo`` when the total
    is not counted) and the typed ``items``; ``extra``: the list's other fields (counts...)."""
    own = obj({"items": array(item), **(extra or {})}, ["items", *(required or [])], additional=True)
    out = {"allOf": [PAGE_REF if with_total else PAGE_INFO, own]}
    if description:
        out["description"] = description
    return out
