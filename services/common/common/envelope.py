"""The event envelope: its schema and how one is made. Kept free of
eventlet and nameko so that tools (the catalogue generator) and other
systems' code can import it alone."""
from __future__ import annotations

import datetime as dt
import uuid

ENVELOPE_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Event envelope",
    "type": "object",
    "required": ["event_id", "type", "version", "occurred_at", "producer", "data"],
    "additionalProperties": False,
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "type": {"type": "string", "pattern": r"^[a-z_]+\.[a-z_]+$"},
        "version": {"type": "integer", "minimum": 1},
        "occurred_at": {"type": "string", "format": "date-time"},
        "producer": {"type": "string"},
        "data": {"type": "object"},
    },
}


def make_envelope(producer: str, event_type: str, data: dict, version: int = 1,
                  occurred_at: dt.datetime | None = None) -> dict:
    if "." not in event_type:
        raise ValueError(f"event type must be '<entity>.<fact>': {event_type!r}")
    occurred_at = occurred_at or dt.datetime.now(dt.timezone.utc)
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "version": int(version),
        "occurred_at": occurred_at.isoformat(),
        "producer": producer,
        "data": data,
    }
