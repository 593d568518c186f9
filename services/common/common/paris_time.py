"""Dates and times shown to people: always in Europe/Paris (the platform stores tz-aware UTC).

``paris(at)`` converts an aware datetime; ``format_paris_datetime`` and ``format_paris_date`` give the
French numeric forms printed on sheets and documents (« 05/12/2026 à 03:20 », « 05/12/2026 »)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris(at: dt.datetime) -> dt.datetime:
    """``at`` (tz-aware; a naive value is taken as UTC) in Paris local time."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(PARIS)


def format_paris_datetime(at: dt.datetime) -> str:
    """« JJ/MM/AAAA à HH:MM », Paris local time."""
    return paris(at).strftime("%d/%m/%Y à %H:%M")


def format_paris_date(at: dt.datetime) -> str:
    """« JJ/MM/AAAA », the Paris calendar date of ``at``."""
    return paris(at).strftime("%d/%m/%Y")
