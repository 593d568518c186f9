"""Examples of the OpenAPI document, built from the schemas when a route gives none of its own.

A component's own example (``component(name, schema, example)``) comes first, then a property's
``examples``/``example``/``const``/``default``/``enum``, then a value in French chosen by the
property's name (a title, a city, a first name...), then one by type and format. A test checks that
every example of the document is valid against its schema."""
from __future__ import annotations

import re
from typing import Any

# Values people read, by property name (French, realistic, fictitious people).
BY_NAME: dict[str, Any] = {
    "id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11",
    "title": "Découverte des métiers de la boulangerie", "offer_title": "Découverte des métiers de la boulangerie",
    "description": "Accueil par le chef boulanger, observation du pétrissage, de la cuisson et de la vente.",
    "first_name": "Camille", "last_name": "Martin", "name": "Camille Martin", "pupil_name": "Camille Martin",
    "signer_name": "Claire Durand", "typed_name": "Claire Durand", "representative_name": "Claire Durand",
    "organisation_name": "Boulangerie du Vieux-Port", "trade_name": "Boulangerie du Vieux-Port",
    "employer_name": "Boulangerie du Vieux-Port", "school_name": "Collège Belle de Mai",
    "city": "Marseille", "commune_name": "Marseille", "address_city": "Marseille", "commune_insee": "13201",
    "postal_code": "13001", "address_postal_code": "13003", "dep_code": "13", "academie_code": "02",
    "academie_name": "Aix-Marseille", "street": "12 quai du Port", "street_address": "14 rue Belle de Mai",
    "address": "8 rue des Lilas, 13003 Marseille", "email": "camille.martin@example.fr",
    "recipient": "camille.martin@example.fr", "phone": "06 12 34 56 78", "contact_phone": "04 91 00 00 00",
    "pupil_phone": "06 12 34 56 78", "pupil_address": "8 rue des Lilas, 13003 Marseille",
    "motivation": "J'aimerais découvrir le métier de boulanger, que je fais déjà le week-end avec mon oncle.",
    "reason": "Nous n'accueillons plus de stagiaires cette semaine-là.",
    "message": "Merci pour votre candidature, à bientôt !", "detail": "Un e-mail vous a été envoyé.",
    "status": "active", "state_label": "Envoyée", "role_label": "Chef d'établissement",
    "function": "Gérante", "job_title": "Gérante", "class_name": "3A", "school_uai": "0131884C", "uai": "0131884C",
    "siret": "44306184100047", "naf_code": "10.71C", "sector": "s26", "school_year": "2026-2027",
    "week": "2027-W03", "month": "2027-01", "lunch_break": "De 12:00 à 13:30, au choix sur place ou dehors.",
    "work_environment": "Fournil et boutique, équipe de cinq personnes.",
    "accessibility": "Boutique de plain-pied, fournil accessible par un monte-charge.",
    "activities": "Observation du pétrissage, de la cuisson et de la vente.",
    "template": "new_application", "body": "Camille Martin a candidaté à votre offre.",
    "subject": "Nouvelle candidature", "link": "https://1eleve1stage.example.fr/candidatures",
    "permalink": "https://1eleve1stage.example.fr/offres/5b0e4c1e", "filename": "convention.pdf",
    "code": "K7QM-2XHP", "q": "boulangerie", "identifier": "camille.martin@example.fr",
    "password": "Boulangerie-2027!", "current_password": "Boulangerie-2026!", "new_password": "Boulangerie-2027!",
    "token": "Zr8kXb0m2QpL7vY1", "refresh_token": "Zr8kXb0m2QpL7vY1", "access_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
    "kid": "2026-12-a", "event_type": "application.submitted", "remote_id": "OP-2027-0042",
    "last_error": None, "distance_km": 1.8, "lat": 43.2965, "lon": 5.3698, "seats": 2, "seats_left": 1,
    "seats_taken": 1, "population": 870731, "count": 1, "unread": 3, "attempts": 1, "expires_in": 900,
    "full_name": "Sophie Martin", "classes": "3A", "application_ids": "9a3d7c2e-1b4f-4e6a-8d5c-3f2e1a0b9c87",
    "start": "08:30", "end": "16:30", "break_start": "12:00", "break_end": "13:30",
}
PARAMETERS = {
    "offer_id": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11", "application_id": "9a3d7c2e-1b4f-4e6a-8d5c-3f2e1a0b9c87",
    "convention_id": "7e2c9b1a-4d3f-4a5e-8c6b-2f1e0d9c8b7a", "notification_id": "2f4e6a8c-1b3d-4f5a-9c7e-0a2b4c6d8e1f",
    "message_id": "6c8e0a2b-4d6f-4a1c-8e3b-5d7f9a1c3e5b", "pupil_id": "c4e1f7a2-6b3d-4a8e-9f0c-1d2e3f4a5b6c",
    "user_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "uai": "0131884C", "token": "Zr8kXb0m2QpL7vY1",
    "remote_id": "OP-2027-0042", "school_year": "2026-2027", "commune": "13201", "postal_code": "13001",
    "owner_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21", "employer_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21",
    "event_id": "1e3a5c7e-9b2d-4f6a-8c0e-2b4d6f8a0c2e", "departement": "13", "academie": "02", "region": "93",
    "sector": ["s26"], "education_prioritaire": ["REP", "REP+"], "qpv": True,
    "provider": "educonnect",
    "space_id": "0d6f2a4b-3c1e-4f5a-8b9c-7e6d5c4b3a21",
}
FORMATS = {"uuid": "5b0e4c1e-8f1a-4d2b-9c3e-2a7f6d1b0c11", "date": "2027-01-18",
           "date-time": "2027-01-18T08:30:00Z", "email": "camille.martin@example.fr",
           "uri": "https://1eleve1stage.example.fr/notifications", "binary": "", "byte": "JVBERi0xLjc="}


def _types(schema: dict) -> list:
    t = schema.get("type")
    return t if isinstance(t, list) else ([t] if t else [])


def parameter_example(name: str, schema: dict) -> Any:
    """An example of a path or query parameter, or None when nothing telling fits."""
    if name in PARAMETERS:
        return PARAMETERS[name]
    if "default" in schema or (_telling(schema, name) and "items" not in schema):
        return example_of(schema, {}, name)
    return None


def request_example_of(schema: Any, components: dict) -> Any:
    """An example of a request body: its required fields, and the optional ones that have a telling
    value (an example, an enum, a known name), so that it reads as a plausible request."""
    return example_of(schema, components, terse=True)


def _telling(schema: Any, name: str) -> bool:
    if not isinstance(schema, dict):
        return False
    if any(k in schema for k in ("examples", "example", "const", "enum", "$ref", "properties", "items")):
        return True
    return name in BY_NAME and _fits(BY_NAME[name], _types(schema), schema) and BY_NAME[name] is not None


def example_of(schema: Any, components: dict, name: str | None = None, depth: int = 0,
               terse: bool = False) -> Any:
    if not isinstance(schema, dict) or depth > 12:
        return None
    ref = schema.get("$ref")
    if ref:
        target = components.get(ref.rsplit("/", 1)[1], {})
        return example_of(target, components, name, depth + 1, terse)
    if schema.get("examples"):
        return schema["examples"][0]
    for key in ("example", "const", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
    if "allOf" in schema:
        out: dict = {}
        for part in schema["allOf"]:
            value = example_of(part, components, name, depth + 1)
            if isinstance(value, dict):
                out.update(value)
        # later parts (a list's typed items, its own fields) override the shared page fields
        return _merge_page(out, schema, components, depth)
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return example_of(schema[key][0], components, name, depth + 1, terse)
    types = _types(schema)
    if "object" in types or "properties" in schema:
        props = schema.get("properties") or {}
        out = {}
        required = set(schema.get("required", []))
        for prop, sub in props.items():
            if isinstance(sub, dict) and sub.get("deprecated"):
                continue
            if terse and prop not in required and not _telling(sub, prop):
                continue
            out[prop] = example_of(sub, components, prop, depth + 1, terse)
        return out
    if "array" in types:
        item = example_of(schema.get("items", {}), components, name, depth + 1, terse)
        n = max(1, schema.get("minItems", 1))
        return [item] * n if item is not None or "null" in _types(schema.get("items", {})) else []
    if name in BY_NAME and _fits(BY_NAME[name], types, schema):
        return BY_NAME[name]
    if "string" in types:
        if schema.get("format") in FORMATS:
            return FORMATS[schema["format"]]
        return "texte" if schema.get("minLength", 0) <= 5 else "texte d'exemple suffisamment long"
    if "integer" in types:
        return schema.get("minimum", 1)
    if "number" in types:
        return schema.get("minimum", 1.5)
    if "boolean" in types:
        return False
    return None


def _merge_page(out: dict, schema: dict, components: dict, depth: int) -> dict:
    """A page's example: at least one typed item, and a total and has_more that agree with it."""
    if isinstance(out.get("items"), list) and out.get("items") == []:
        for part in schema["allOf"]:
            items = (part.get("properties") or {}).get("items") if isinstance(part, dict) else None
            if items:
                out["items"] = [example_of(items.get("items", {}), components, "items", depth + 1)]
    if isinstance(out.get("items"), list) and "total" in out:
        out["total"] = max(out["total"], len(out["items"]))
        out["has_more"] = out.get("page", 1) * out.get("per_page", 30) < out["total"]
    return out


def _fits(value, types: list, schema: dict) -> bool:
    if value is None:
        return "null" in types
    if isinstance(value, bool):
        return "boolean" in types
    if isinstance(value, int):
        return "integer" in types or "number" in types
    if isinstance(value, float):
        return "number" in types
    if isinstance(value, str):
        if "string" not in types:
            return False
        if schema.get("pattern") and not re.search(schema["pattern"], value):
            return False
        fmt = schema.get("format")
        if fmt == "uuid":
            return len(value) == 36 and value.count("-") == 4
        if fmt == "email":
            return "@" in value
        if fmt == "uri":
            return value.startswith("https://")
        if fmt:
            return False
        return True
    return False
