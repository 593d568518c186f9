"""The event catalogue (docs/events.md, docs/asyncapi.yaml) against the services' registries and code.

Static checks (no broker): the documents are up to date, the AsyncAPI document is valid AsyncAPI 3.0,
every registry entry is well formed and carries no personal data, and every event of a registry is
emitted by some code path of its service. That every event *emitted* validates against its schema is
checked with the real suite in tests/test_event_catalogue_journey.py.
"""
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from testkit import catalogue

REPO = Path(__file__).resolve().parents[1]
ASYNCAPI_SCHEMA = REPO / "services" / "notifications" / "tests" / "data" / "asyncapi-3.0.0.schema.json"
REGISTRIES = catalogue.load_all()
ALL_EVENTS = [(svc, t, entry) for svc, events in REGISTRIES.items() for t, entry in events.items()]
PERSONAL = {"email", "phone", "mobile", "first_name", "last_name", "name", "full_name", "address", "birth_date",
            "birthdate", "ine", "password", "token", "code", "motivation", "ip", "user_agent"}
ENTITY_OWNER = {"user": "identity", "pupil": "identity", "school": "identity", "offer": "offers",
                "organisation": "offers", "seat": "offers", "application": "applications",
                "convention": "conventions", "signature": "conventions", "notification": "notifications",
                "calendar": "offers"}


def test_registries_are_found():
    assert "identity" in REGISTRIES
    assert ALL_EVENTS, "no events.py registry found"


def test_documents_are_up_to_date():
    for path, text in catalogue.generate().items():
        assert path.exists(), f"{path} missing: run python -m testkit.catalogue"
        assert path.read_text(encoding="utf-8") == text, \
            f"{path.relative_to(REPO)} is out of date: run `.venv/bin/python -m testkit.catalogue`"


def test_envelope_schema_is_the_one_the_plumbing_uses():
    from common.events import ENVELOPE_SCHEMA
    assert catalogue.envelope_schema() == ENVELOPE_SCHEMA


def test_asyncapi_document_is_valid_asyncapi_3():
    doc = yaml.safe_load(catalogue.ASYNCAPI.read_text(encoding="utf-8"))
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:10])
    assert doc["asyncapi"] == "3.0.0"

    def resolve(ref):
        node = doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref":
                    resolve(v)  # KeyError if dangling
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(doc)
    # one channel per event of every registry, on its service's exchange
    channels = {(c["bindings"]["amqp"]["exchange"]["name"], c["address"]) for c in doc["channels"].values()}
    assert channels == {(f"{svc}.events", t) for svc, t, _ in ALL_EVENTS}


def test_asyncapi_message_payloads_pin_type_version_and_producer():
    doc = yaml.safe_load(catalogue.ASYNCAPI.read_text(encoding="utf-8"))
    msg = next(iter(doc["components"]["messages"].values()))
    payload = {"$defs": {}, **msg["payload"]}
    schemas = doc["components"]["schemas"]
    text = json.dumps(payload).replace("#/components/schemas/", "#/$defs/")
    payload = json.loads(text)
    payload["$defs"] = json.loads(json.dumps(schemas).replace("#/components/schemas/", "#/$defs/"))
    v = jsonschema.Draft202012Validator(payload)
    env = {"event_id": "8c0b5e0e-3f0e-4a53-9d3b-8f3c0e0e0e0e", "type": msg["name"], "version": 1,
           "occurred_at": "2026-11-23T09:00:00+00:00", "producer": "nobody", "data": {}}
    errors = {e.validator for e in v.iter_errors(env)}
    assert "const" in errors  # the producer is pinned


@pytest.mark.parametrize("svc,event_type,entry", ALL_EVENTS, ids=[t for _, t, _ in ALL_EVENTS])
def test_registry_entry_is_well_formed(svc, event_type, entry):
    assert re.fullmatch(r"[a-z_]+\.[a-z_]+", event_type)
    entity = event_type.split(".")[0]
    assert ENTITY_OWNER.get(entity, svc) == svc, f"{event_type} should be published by {ENTITY_OWNER.get(entity)}"
    assert isinstance(entry["version"], int) and entry["version"] >= 1
    assert len(str(entry.get("description", ""))) > 10
    for v in catalogue.versions_of(entry):
        schema = v["data_schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema.get("type") == "object"
        props = set((schema.get("properties") or {}).keys())
        assert set(schema.get("required", [])) <= props
        leaked = props & PERSONAL
        assert not leaked, f"{event_type} v{v['version']} carries personal data: {leaked}"


def test_event_types_are_unique_across_services():
    types = [t for _, t, _ in ALL_EVENTS]
    assert len(types) == len(set(types))


def test_notifications_has_a_route_for_every_event():
    """Every event of the platform is either routed to messages or explicitly ignored."""
    from notifications.domain.routing import ROUTES
    missing = sorted(t for _, t, _ in ALL_EVENTS if t not in ROUTES and not t.startswith("notification."))
    assert not missing, f"notifications/domain/routing.py has no route for {missing}"


@pytest.mark.parametrize("svc,event_type,entry", ALL_EVENTS, ids=[t for _, t, _ in ALL_EVENTS])
def test_every_schema_is_emitted_by_some_code_path(svc, event_type, entry):
    sites = catalogue.emit_sites(svc)
    assert sites[event_type], (f"{event_type} is in services/{svc}/{svc}/events.py but no code of "
                               f"services/{svc}/{svc}/ emits it")


def test_a_breaking_change_is_published_beside_the_old_version(tmp_path):
    """The versioning rule, on a registry of a made-up service: version 2 is current, version 1 is still
    listed (and in the AsyncAPI document) until its deprecation date; emit sites are found."""
    pkg = tmp_path / "services" / "widgets" / "widgets"
    pkg.mkdir(parents=True)
    (pkg / "events.py").write_text('''
EVENTS = {"widget.made": {
    "version": 2, "description": "A widget was made (v2: size is an object).",
    "data_schema": {"type": "object", "required": ["widget_id", "size"],
                    "properties": {"widget_id": {"type": "string"}, "size": {"type": "object"}}},
    "previous": [{"version": 1, "deprecated_until": "2027-07-01",
                  "data_schema": {"type": "object", "required": ["widget_id"],
                                  "properties": {"widget_id": {"type": "string"}, "size": {"type": "integer"}}}}],
}}
''')
    (pkg / "app.py").write_text('''
def make(uow, w):
    uow.emit("widget.made", {"widget_id": w, "size": {"w": 1}}, version=2)
    uow.emit("widget.made", {"widget_id": w, "size": 1}, version=1)
''')
    services_dir = tmp_path / "services"
    registries = catalogue.load_all(services_dir)
    sites = {"widgets": catalogue.emit_sites("widgets", services_dir)}
    assert sites["widgets"]["widget.made"] == ["services/widgets/widgets/app.py"]
    md = catalogue.render_markdown(registries, sites)
    assert "#### Version 2" in md and "#### Version 1 (deprecated, published until 2027-07-01)" in md
    assert "| `widgets.events` | `widget.made` | 2, 1 | widgets |" in md
    doc = catalogue.render_asyncapi(registries)
    assert set(doc["channels"]["widgets_widget_made"]["messages"]) == {"widget_made_v2", "widget_made_v1"}
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    assert not list(jsonschema.Draft7Validator(schema).iter_errors(doc))
    assert catalogue.data_schema(registries, "widget.made", 1)["properties"]["size"]["type"] == "integer"
    assert catalogue.data_schema(registries, "widget.made", 3) is None
