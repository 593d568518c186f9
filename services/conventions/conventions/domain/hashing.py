"""Canonical content hash: the SHA-256 fingerprint of what the parties sign.

The document is fully determined by its content (the convention's data) and
the version of the templates, so the fingerprint is the SHA-256 of the
canonical JSON of both (sorted keys, no whitespace, UTF-8). It is printed on
the signature page and recorded with every signature.
"""
from __future__ import annotations

import hashlib
import json

TEMPLATE_VERSION = "2026.1"


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical_json({"template_version": TEMPLATE_VERSION, "content": content})).hexdigest()
