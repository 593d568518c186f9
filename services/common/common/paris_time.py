"""Dates and times shown to people: always in Europe/Paris (the platform stores tz-aware UTC).

The French numeric forms printed on sheets and documents (« 05/12/2026 à 03:20 », « 05/12/2026 »), built on
``common.clock``'s one definition of Paris time (``to_paris``)."""
from __future__ import annotations

import datetime as dt

from .clock import UTC, to_paris


def paris(at: dt.datetime) -> dt.datetime:
    """``at`` in Paris local time (a naive value is taken as UTC, as the database returns some)."""
    return to_paris(at if at.tzinfo is not None else at.replace(tzinfo=UTC))


def format_paris_datetime(at: dt.datetime) -> str:
    """« JJ/MM/AAAA à HH:MM », Paris local time."""
    return paris(at).strftime("%d/%m/%Y à %H:%M")


def format_paris_date(at: dt.datetime) -> str:
    """« JJ/MM/AAAA », the Paris calendar date of ``at``."""
    return paris(at).strftime("%d/%m/%Y")
