"""Request checking against the routes' JSON Schemas, with French messages."""
from __future__ import annotations

from jsonschema import Draft202012Validator, FormatChecker

from common.errors import ValidationError

TYPE_NAMES = {"string": "un texte", "integer": "un nombre entier", "number": "un nombre",
              "boolean": "un booléen (true ou false)", "object": "un objet", "array": "une liste",
              "null": "null"}

_validators: dict[int, Draft202012Validator] = {}


def _validator(schema: dict) -> Draft202012Validator:
    v = _validators.get(id(schema))
    if v is None:
        v = _validators[id(schema)] = Draft202012Validator(schema, format_checker=FormatChecker())
    return v


def _path(error) -> str:
    return ".".join(str(p) for p in error.absolute_path)


def _message(error) -> list[tuple[str, str]]:
    """(field path, French message) pairs for one jsonschema error."""
    path = _path(error)
    v, arg = error.validator, error.validator_value
    if v == "required":
        missing = [f for f in arg if isinstance(error.instance, dict) and f not in error.instance]
        return [(f"{path}.{f}" if path else f, "Ce champ est obligatoire.") for f in missing]
    if v == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in (error.instance or {}) if k not in allowed]
        return [(f"{path}.{k}" if path else k, "Champ inconnu.") for k in extra]
    if v == "type":
        types = arg if isinstance(arg, list) else [arg]
        return [(path, "Ce champ doit être " + " ou ".join(TYPE_NAMES.get(t, t) for t in types) + ".")]
    messages = {
        "minLength": lambda: f"Ce champ doit contenir au moins {arg} caractère{'s' if arg > 1 else ''}.",
        "maxLength": lambda: f"Ce champ doit contenir au plus {arg} caractères.",
        "minimum": lambda: f"La valeur doit être supérieure ou égale à {arg}.",
        "maximum": lambda: f"La valeur doit être inférieure ou égale à {arg}.",
        "exclusiveMinimum": lambda: f"La valeur doit être supérieure à {arg}.",
        "exclusiveMaximum": lambda: f"La valeur doit être inférieure à {arg}.",
        "enum": lambda: "Valeur non autorisée. Valeurs possibles : " + ", ".join(map(str, arg)) + ".",
        "const": lambda: f"La valeur doit être {arg}.",
        "pattern": lambda: "Format invalide.",
        "format": lambda: {"email": "Adresse e-mail invalide.", "uuid": "Identifiant invalide.",
                           "date": "Date invalide (format attendu : AAAA-MM-JJ).",
                           "date-time": "Date et heure invalides (format ISO 8601)."}.get(arg, "Format invalide."),
        "minItems": lambda: f"La liste doit contenir au moins {arg} élément{'s' if arg > 1 else ''}.",
        "maxItems": lambda: f"La liste doit contenir au plus {arg} éléments.",
        "uniqueItems": lambda: "Les éléments de la liste doivent être distincts.",
        "minProperties": lambda: "Au moins un champ doit être renseigné.",
    }
    return [(path, messages.get(v, lambda: "Valeur invalide.")())]


def check(schema: dict | None, value, *, where: str = "body") -> None:
    if schema is None:
        return
    errors: dict[str, list[str]] = {}
    for error in _validator(schema).iter_errors(value):
        if error.validator in ("anyOf", "oneOf", "allOf") and error.context:
            candidates = sorted(error.context, key=lambda e: len(list(e.absolute_path)), reverse=True)
            pairs = _message(candidates[0])
        else:
            pairs = _message(error)
        for path, msg in pairs:
            key = path or where
            if msg not in errors.get(key, []):
                errors.setdefault(key, []).append(msg)
    if errors:
        raise ValidationError(errors=errors)


def coerce_query(schema: dict | None, args) -> dict:
    """Turn query-string values (always text) into the schema's types before checking."""
    if schema is None:
        return {}
    props = schema.get("properties", {})
    out: dict = {}
    for key in args.keys():
        values = args.getlist(key)
        spec = props.get(key.removesuffix("[]"), {})
        name = key.removesuffix("[]")
        typ = spec.get("type")
        if typ == "array":
            items = []
            for v in values:
                items.extend(x for x in v.split(",") if x != "")
            item_type = spec.get("items", {}).get("type")
            out[name] = [_coerce_scalar(item_type, x) for x in items]
        else:
            out[name] = _coerce_scalar(typ, values[-1])
    return out


def _coerce_scalar(typ, value: str):
    try:
        if typ == "integer":
            return int(value)
        if typ == "number":
            return float(value)
    except ValueError:
        return value  # left as text: the schema check reports it in French
    if typ == "boolean":
        low = value.lower()
        if low in ("true", "1", "oui", "yes"):
            return True
        if low in ("false", "0", "non", "no"):
            return False
    return value
