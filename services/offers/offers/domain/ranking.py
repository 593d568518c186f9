"""REP/QPV first: the order in which the search shows offers to a viewer (pure).

A pupil of a REP/REP+ school sees the offers reserved for REP pupils first, a pupil of a QPV school those
reserved for QPV pupils, before every other offer; inside each group the nearest come first (ties by id),
or, without a centre, in the search's own order (relevance, then recency).

The search SQL (``offers.queries.search``) is built from ``PRIORITY_RESERVATIONS`` and ``PRIORITY_ROLES``
(``priority_columns``), and ``rank`` orders every page the service returns; a test runs both on the same
offers in PostgreSQL and checks that they agree (tests/integration/test_ranking_sql.py).
"""
from __future__ import annotations

FIRST, OTHERS = 0, 1

# the viewers who get priority offers, and for each reservation flag of an offer, the flag of the
# viewer's school that makes it a priority offer for them
PRIORITY_ROLES = ("pupil",)
PRIORITY_RESERVATIONS = (("reserved_rep", "school_rep"), ("reserved_qpv", "school_qpv"))


def priority_columns(viewer: dict) -> list[str]:
    """The offer flags that put an offer first for this viewer (empty: no priority offers)."""
    if viewer.get("role") not in PRIORITY_ROLES:
        return []
    return [offer_flag for offer_flag, school_flag in PRIORITY_RESERVATIONS if viewer.get(school_flag)]


def is_priority(offer: dict, viewer: dict) -> bool:
    return any(offer.get(column) for column in priority_columns(viewer))


def priority(offer: dict, viewer: dict) -> int:
    """FIRST (0) for the offers put first for this viewer, OTHERS (1) for the rest."""
    return FIRST if is_priority(offer, viewer) else OTHERS


def rank(offers: list[dict], viewer: dict) -> list[dict]:
    """Priority offers first; inside each group nearest first then by id when the offers carry a
    ``distance_km``, else in the order given (the search's relevance or recency)."""
    def key(offer):
        distance = offer.get("distance_km")
        return (priority(offer, viewer),) + ((distance, str(offer.get("id"))) if distance is not None else ())
    return sorted(offers, key=key)
