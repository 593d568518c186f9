"""Request decoding: what the gateway accepts before a route's JSON Schema
sees the request.

The rules (documented in README « Input limits »):

- a JSON body is UTF-8, at most ``MAX_JSON_DEPTH`` levels of arrays and
  objects deep, without ``NaN``/``Infinity``;
- no text anywhere (body strings and keys, query values, path segments,
  headers stored by services) holds a NUL character or a lone UTF-16
  surrogate: PostgreSQL refuses the first, UTF-8 cannot encode the second;
- every integer fits in a signed 64-bit integer and every number is finite
  (the routes' schemas set tighter bounds: ``minimum``/``maximum`` on every
  integer parameter);
- a chunked body (``Transfer-Encoding: chunked``) is read like any other,
  within the same size limit.

Each refusal is a ``ValidationError`` (422) naming the field, in French.
"""
from __future__ import annotations

import json
import math
import re

from common.errors import ValidationError

MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
# NUL and lone surrogates (json.loads turns "\ud800" into one)
_FORBIDDEN_TEXT = re.compile("[\x00\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")

MSG_FORBIDDEN_CHAR = "Ce texte contient un caractère interdit (caractère nul ou caractère Unicode invalide)."
MSG_OUT_OF_RANGE = "Ce nombre est hors des limites autorisées."
MSG_TOO_DEEP = f"Le JSON est trop imbriqué (au plus {MAX_JSON_DEPTH} niveaux d'objets et de listes)."


def has_forbidden_text(value: str) -> bool:
    return _FORBIDDEN_TEXT.search(value) is not None


def has_control(value: str) -> bool:
    return _CONTROL.search(value) is not None


def strip_controls(value: str) -> str:
    """``value`` without control characters nor lone surrogates (headers kept for audit trails)."""
    return _FORBIDDEN_TEXT.sub("", _CONTROL.sub("", value))


def _reject_constant(name: str):
    raise ValueError(name)


def parse_json(data: bytes):
    """The decoded JSON body, or a ValidationError with a French message
    (never the parser's own English text)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError("Le corps de la requête n'est pas encodé en UTF-8.",
                              errors={"body": [f"Octet invalide en position {exc.start} : UTF-8 attendu."]})
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError("Le corps de la requête n'est pas un JSON valide.",
                              errors={"body": [f"JSON invalide (ligne {exc.lineno}, colonne {exc.colno})."]})
    except ValueError:  # NaN, Infinity, -Infinity
        raise ValidationError("Le corps de la requête n'est pas un JSON valide.",
                              errors={"body": ["Les valeurs NaN et Infinity ne sont pas du JSON valide."]})
    except RecursionError:
        raise ValidationError("Le corps de la requête est trop imbriqué.", errors={"body": [MSG_TOO_DEEP]})
    check_decoded(value)
    return value


def check_decoded(value) -> None:
    """Depth, text and number limits of a decoded JSON value (iterative: no
    recursion on hostile input). Every offending field is reported."""
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        key = path or "body"
        if message not in errors.setdefault(key, []):
            errors[key].append(message)

    stack = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth + 1 > MAX_JSON_DEPTH:
                raise ValidationError("Le corps de la requête est trop imbriqué.", errors={"body": [MSG_TOO_DEEP]})
            if isinstance(item, dict):
                for key, sub in item.items():
                    sub_path = f"{path}.{key}" if path else key
                    if has_forbidden_text(key):
                        add(path, MSG_FORBIDDEN_CHAR)
                        continue
                    stack.append((sub, sub_path, depth + 1))
            else:
                for i, sub in enumerate(item):
                    stack.append((sub, f"{path}.{i}" if path else str(i), depth + 1))
        elif isinstance(item, str):
            if has_forbidden_text(item):
                add(path, MSG_FORBIDDEN_CHAR)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                add(path, MSG_OUT_OF_RANGE)
        elif isinstance(item, float):
            if not math.isfinite(item):  # 1e400 decodes to inf
                add(path, MSG_OUT_OF_RANGE)
    if errors:
        raise ValidationError(errors=errors)


def check_query(args) -> None:
    """Query-string values and names: no NUL (werkzeug decodes %00)."""
    errors: dict[str, list[str]] = {}
    for key, value in args.items(multi=True):
        if has_forbidden_text(key) or has_forbidden_text(value):
            name = _FORBIDDEN_TEXT.sub("\ufffd", key)
            errors.setdefault(name, [MSG_FORBIDDEN_CHAR])
    if errors:
        raise ValidationError(errors=errors)


def read_chunked(environ, limit: int) -> bytes:
    """The body of a ``Transfer-Encoding: chunked`` request, up to
    ``limit + 1`` bytes (werkzeug reads such a body as empty when the server
    does not set ``wsgi.input_terminated``; eventlet's input de-chunks it)."""
    stream = environ["wsgi.input"]
    parts, size = [], 0
    while size <= limit:
        chunk = stream.read(min(65536, limit + 1 - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)
