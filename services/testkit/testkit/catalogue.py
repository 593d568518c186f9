"""The event catalogue: ``docs/events.md`` and ``docs/asyncapi.yaml`` (AsyncAPI 3),
generated from each service's ``<svc>/events.py`` ``EVENTS`` registry.

    python -m testkit.catalogue            # write both documents
    python -m testkit.catalogue --check    # exit 1 if they are out of date

A registry entry (see docs/team-brief.md)::

    EVENTS = {"offer.published": {"version": 1, "description": "...", "data_schema": {...},
                                  # optional: earlier versions still published during their deprecation
                                  "previous": [{"version": 1, "data_schema": {...},
                                                "deprecated_until": "2027-06-30"}]}}

The registries are read from the source tree (``services/<svc>/<svc>/events.py``,
loaded by path: they are plain dicts), so the generator needs no service running.
The code paths that emit each event are found by reading the services' source
(``emit_sites``), which also lets a test check that every event of a registry
is emitted somewhere.
"""
from __future__ import annotations

import argparse
import ast
import copy
import importlib.util
import json
import sys
from pathlib import Path

import yaml

from common import subscribers
from common.envelope import ENVELOPE_SCHEMA

REPO = Path(__file__).resolve().parents[3]
SERVICES_DIR = REPO / "services"
EVENTS_MD = REPO / "docs" / "events.md"
ASYNCAPI = REPO / "docs" / "asyncapi.yaml"
NOT_SERVICES = {"common"}


def envelope_schema() -> dict:
    """The envelope schema of ``common.envelope`` (which imports neither eventlet nor nameko)."""
    return copy.deepcopy(ENVELOPE_SCHEMA)


# ---------------------------------------------------------------- registries
def service_names(services_dir: Path = SERVICES_DIR) -> list[str]:
    return sorted(p.parent.parent.name for p in services_dir.glob("*/*/events.py")
                  if p.parent.name == p.parent.parent.name and p.parent.name not in NOT_SERVICES)


def load_registry(service: str, services_dir: Path = SERVICES_DIR) -> dict:
    path = services_dir / service / service / "events.py"
    spec = importlib.util.spec_from_file_location(f"_catalogue_{service}_events", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(getattr(module, "EVENTS", {}))


def load_all(services_dir: Path = SERVICES_DIR) -> dict[str, dict]:
    return {svc: load_registry(svc, services_dir) for svc in service_names(services_dir)}


def versions_of(entry: dict) -> list[dict]:
    """Every version still published: the current one, then the deprecated ones."""
    out = [{"version": entry["version"], "data_schema": entry["data_schema"], "deprecated_until": None}]
    for prev in entry.get("previous", []) or []:
        out.append({"version": prev["version"], "data_schema": prev["data_schema"],
                    "deprecated_until": prev.get("deprecated_until")})
    return out


def data_schema(registries: dict, event_type: str, version: int) -> dict | None:
    for events in registries.values():
        if event_type in events:
            for v in versions_of(events[event_type]):
                if v["version"] == version:
                    return v["data_schema"]
    return None


def producer_of(registries: dict, event_type: str) -> str | None:
    for svc, events in registries.items():
        if event_type in events:
            return svc
    return None


# ---------------------------------------------------------------- emit sites
def _source_files(service: str, services_dir: Path) -> list[Path]:
    pkg = services_dir / service / service
    return sorted(p for p in pkg.rglob("*.py")
                  if p.name != "events.py" and "migrations" not in p.parts and "tests" not in p.parts)


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return None


def _docstring_nodes(tree) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def emit_sites(service: str, services_dir: Path = SERVICES_DIR) -> dict[str, list[str]]:
    """Event type -> the source files (relative to the repo) of the code path that emits it.

    The service's package must call something named ``emit*``/``publish*``
    (``uow.emit``), and the event type must appear in its code (not in a
    docstring, not in ``events.py``): as the argument of the call, or in a
    table the emitting code reads (``TRANSITIONS = {SUBMIT: "application.submitted"}``,
    a domain function returning ``[("convention.validated", ids)]``), or built as
    ``f"<entity>.{fact}"`` in an emit call with the fact as a literal of that file.
    The files listed are the emitting files holding the type, else the files holding it."""
    registry = load_registry(service, services_dir)
    consts: dict[Path, set[str]] = {}
    prefixes: dict[Path, set[str]] = {}
    emitting: set[Path] = set()
    for path in _source_files(service, services_dir):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        docs = _docstring_nodes(tree)
        consts[path] = set()
        prefixes[path] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                consts[path].add(node.value)
            if isinstance(node, ast.Call):
                name = _call_name(node) or ""
                if name.startswith(("emit", "publish", "_emit", "_publish")):
                    emitting.add(path)
                    for arg in list(node.args) + [k.value for k in node.keywords]:
                        if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
                            prefixes[path].add(str(arg.values[0].value))
    found: dict[str, list[str]] = {}
    root = services_dir.parent
    for event_type in registry:
        entity, _, fact = event_type.partition(".")
        holding = [p for p in consts if event_type in consts[p]]
        built = [p for p in emitting if f"{entity}." in prefixes[p] and fact in consts[p]]
        if not emitting:
            files = []
        else:
            files = [p for p in holding if p in emitting] or built or holding
        found[event_type] = sorted(str(p.relative_to(root)) for p in files)
    return found


# ---------------------------------------------------------------- documents
VERSIONING_RULES = """\
## Versioning rules

- The envelope's `version` is the version of the `data` schema of that `type`.
- **Additive changes keep the version**: a new optional field in `data`, a new event type, a new
  value documented as possible where consumers were told to expect others. Consumers must ignore
  fields they do not know (the schemas of the registries may still say `additionalProperties: false`:
  that describes what the producer sends today, not what a consumer may reject).
- **Breaking changes publish a new version beside the old one**: removing or renaming a field,
  changing its type or meaning, making a field required, splitting an event. The producer then
  emits both versions of the event (same routing key, same `occurred_at`, distinct `event_id`s,
  envelope `version` N and N+1) for a **deprecation period of at least one school year
  (until the next 1 July, and never less than 6 months)**; the registry keeps the old schema under
  `previous` with its `deprecated_until` date, and this document lists both. Consumers filter on
  `version` and move to the new one within the period.
- Event types are never reused for another meaning; a retired event type stays listed as retired.
- Every change to an `events.py` registry regenerates this document and `docs/asyncapi.yaml`
  (`python -m testkit.catalogue`); `tests/test_event_catalogue.py` fails until they match.
"""


def _schema_block(schema: dict) -> str:
    return "```json\n" + json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n```\n"


def _fields_table(schema: dict) -> str:
    props = schema.get("properties", {}) or {}
    required = set(schema.get("required", []) or [])
    if not props:
        return ""
    rows = ["| field | type | required |", "| --- | --- | --- |"]
    for name, sub in props.items():
        t = sub.get("type", "")
        if isinstance(t, list):
            t = " or ".join(t)
        if "enum" in sub:
            t = f"{t} ({', '.join(str(v) for v in sub['enum'] if v is not None)})"
        if t == "array" and isinstance(sub.get("items"), dict):
            t = f"array of {sub['items'].get('type', 'any')}"
        rows.append(f"| `{name}` | {t} | {'yes' if name in required else 'no'} |")
    return "\n".join(rows) + "\n"


def render_markdown(registries: dict, sites: dict[str, dict[str, list[str]]]) -> str:
    out = ["# Event catalogue", "",
           "<!-- Generated by `python -m testkit.catalogue` from each service's `events.py`. "
           "Do not edit by hand. -->", "",
           "Every service publishes its events on its own **topic exchange** `<service>.events` "
           "(durable) of the platform's RabbitMQ, with the event type as **routing key** "
           "(`<entity>.<fact>`). Bodies are JSON (`content_type: application/json`), UTF-8. "
           "Events carry **identifiers, never personal data**: a consumer that needs more asks the "
           "owning service (RPC, see `docs/rpc/`).",
           "",
           "Delivery is at least once (transactional outbox, batches published with publisher confirms): consumers must be "
           "idempotent on `event_id`. Order is kept per producer as published; a consumer that "
           "needs order per entity (e.g. per application) sorts on `occurred_at`.",
           "",
           "A machine-readable description is in `docs/asyncapi.yaml` (AsyncAPI 3.0). An example "
           "consumer using pika only is in `deploy/examples/`.", "",
           "## Envelope", "",
           "| field | meaning |", "| --- | --- |",
           "| `event_id` | UUID of this event: the idempotency key of consumers |",
           "| `type` | `<entity>.<fact>`, equal to the routing key |",
           "| `version` | version of the `data` schema (integer, see the rules below) |",
           "| `occurred_at` | when the fact happened, ISO 8601 UTC |",
           "| `producer` | the service that emitted it (its exchange is `<producer>.events`) |",
           "| `data` | the event's identifiers, schema per type below |", "",
           _schema_block(envelope_schema()), VERSIONING_RULES, subscribers.CATALOGUE_SECTION, "## Summary", "",
           "| exchange | routing key | version | emitted by | when |", "| --- | --- | --- | --- | --- |"]
    for svc, events in registries.items():
        for t, entry in events.items():
            vers = ", ".join(str(v["version"]) for v in versions_of(entry))
            when = " ".join(str(entry.get("description", "")).split())
            out.append(f"| `{svc}.events` | `{t}` | {vers} | {svc} | {when} |")
    out.append("")
    for svc, events in registries.items():
        out += [f"## `{svc}.events`", ""]
        if not events:
            out += ["No event yet.", ""]
        for t, entry in events.items():
            out += [f"### `{t}`", "",
                    " ".join(str(entry.get("description", "")).split()), "",
                    f"- exchange: `{svc}.events` (topic), routing key: `{t}`",
                    f"- producer: `{svc}`"]
            files = sites.get(svc, {}).get(t, [])
            if files:
                out.append("- emitted in: " + ", ".join(f"`{f}`" for f in files))
            out.append("")
            for v in versions_of(entry):
                title = f"Version {v['version']}"
                if v["deprecated_until"]:
                    title += f" (deprecated, published until {v['deprecated_until']})"
                out += [f"#### {title}", "", _fields_table(v["data_schema"]), _schema_block(v["data_schema"])]
    return "\n".join(out).rstrip() + "\n"


def _clean(schema: dict) -> dict:
    """A JSON Schema as an AsyncAPI schema object (no ``$schema``, no ``$id``)."""
    s = copy.deepcopy(schema)
    s.pop("$schema", None)
    s.pop("$id", None)
    return s


def _key(*parts) -> str:
    return "_".join(str(p).replace(".", "_") for p in parts)


def render_asyncapi(registries: dict) -> dict:
    env = _clean(envelope_schema())
    doc = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "1 élève, 1 stage — platform events",
            "version": "1.0.0",
            "description": "Events published by the services of the internship platform, one topic exchange "
                           "per service (`<service>.events`), routing key = event type. Generated from the "
                           "services' `events.py` by `python -m testkit.catalogue`; see docs/events.md "
                           "for the versioning rules.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {"host": "rabbitmq:5672", "protocol": "amqp", "protocolVersion": "0.9.1",
                         "description": "The platform's RabbitMQ (one vhost per environment)."},
        },
        "channels": {},
        "operations": {},
        "components": {"schemas": {"Envelope": env}, "messages": {}},
    }
    for svc, events in registries.items():
        for t, entry in events.items():
            channel_id = _key(svc, t)
            msgs = {}
            for v in versions_of(entry):
                schema_id = _key(t, "v" + str(v["version"]), "data")
                msg_id = _key(t, "v" + str(v["version"]))
                doc["components"]["schemas"][schema_id] = _clean(v["data_schema"])
                description = " ".join(str(entry.get("description", "")).split())
                if v["deprecated_until"]:
                    description += f" Deprecated: published until {v['deprecated_until']}."
                doc["components"]["messages"][msg_id] = {
                    "name": t,
                    "title": f"{t} v{v['version']}",
                    "summary": description,
                    "contentType": "application/json",
                    "payload": {"allOf": [
                        {"$ref": "#/components/schemas/Envelope"},
                        {"type": "object", "properties": {
                            "type": {"const": t},
                            "version": {"const": v["version"]},
                            "producer": {"const": svc},
                            "data": {"$ref": f"#/components/schemas/{schema_id}"}}},
                    ]},
                    "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": t, "bindingVersion": "0.3.0"}},
                }
                msgs[msg_id] = {"$ref": f"#/components/messages/{msg_id}"}
            doc["channels"][channel_id] = {
                "address": t,
                "title": f"{t} on {svc}.events",
                "description": " ".join(str(entry.get("description", "")).split()),
                "messages": msgs,
                "bindings": {"amqp": {
                    "is": "routingKey",
                    "exchange": {"name": f"{svc}.events", "type": "topic", "durable": True, "autoDelete": False,
                                 "vhost": "/"},
                    "bindingVersion": "0.3.0"}},
            }
            doc["operations"][_key("publish", svc, t)] = {
                "action": "send",
                "title": f"{svc} publishes {t}",
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{m}"} for m in msgs],
            }
    return doc


def render_asyncapi_yaml(registries: dict) -> str:
    header = ("# Generated by `python -m testkit.catalogue` from each service's events.py. "
              "Do not edit by hand.\n")
    return header + yaml.safe_dump(render_asyncapi(registries), sort_keys=False, allow_unicode=True, width=110)


def generate(services_dir: Path = SERVICES_DIR) -> dict[Path, str]:
    registries = load_all(services_dir)
    sites = {svc: emit_sites(svc, services_dir) for svc in registries}
    return {EVENTS_MD: render_markdown(registries, sites), ASYNCAPI: render_asyncapi_yaml(registries)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when the documents are out of date")
    args = ap.parse_args(argv)
    docs = generate()
    stale = [p for p, text in docs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for p in stale:
            print(f"out of date: {p.relative_to(REPO)} (run: python -m testkit.catalogue)", file=sys.stderr)
        return 1 if stale else 0
    for p, text in docs.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        print(f"wrote {p.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
