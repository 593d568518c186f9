"""Rows as plain dicts."""
from __future__ import annotations


def row_dict(row) -> dict | None:
    return dict(row._mapping) if row is not None else None
