"""Shapes of the answers (JSON dicts returned over RPC) from rows."""
from __future__ import annotations

import datetime as dt

from .domain.messages import CATEGORIES, MESSAGES
from .domain.policy import masked_for_export, normalize_preferences

# what a message was about, shown to admins (identifiers only)
REF_KEYS = ("application_id", "offer_id", "convention_id", "school_uai", "import_id")


def iso(value):
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


def inbox_item(row: dict) -> dict:
    return {"id": row["id"], "template": row["template"], "title": row["title"], "body": row["body"],
            "link": row["link"], "created_at": iso(row["created_at"]), "read_at": iso(row["read_at"])}


def message(row: dict) -> dict:
    out = {k: iso(row[k]) for k in ("id", "event_id", "event_type", "template", "recipient", "channel", "status",
                                    "attempts", "last_error", "created_at", "next_attempt_at", "sent_at",
                                    "subject")}
    out["refs"] = {k: v for k, v in (row["context"] or {}).items() if k in REF_KEYS}
    return out


def exported_message(row: dict) -> dict:
    out = {k: iso(row[k]) for k in ("id", "event_id", "event_type", "template", "channel", "address",
                                    "recipient_name", "subject", "status", "attempts", "created_at", "sent_at")}
    out["context"] = masked_for_export(row["context"])
    return out


def preferences(prefs: dict | None) -> dict:
    return {**normalize_preferences(prefs), "categories": list(CATEGORIES),
            "essential_templates": sorted(t for t, s in MESSAGES.items() if s.essential)}


def personal_data(data: dict) -> dict:
    prefs = data["preferences"]
    return {"messages": [exported_message(r) for r in data["messages"]],
            "in_app": [inbox_item(r) for r in data["in_app"]],
            "preferences": ({"preferences": prefs["preferences"], "updated_at": iso(prefs["updated_at"])}
                            if prefs else None),
            "reminders": [{"application_id": r["application_id"], "template": r["template"],
                           "deadline": iso(r["deadline"]), "due_at": iso(r["due_at"]), "status": r["status"]}
                          for r in data["reminders"]]}
