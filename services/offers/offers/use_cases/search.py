"""The search: parameters, centre, one page of live offers the viewer may see, REP/QPV first
(``domain/ranking.py``), and a relaxed search (keyword and sector dropped) when nothing matches.

``reader`` is ``offers.queries.search.SearchReader`` (its statements are built from the same rules)."""
from __future__ import annotations

import datetime as dt

from common.clock import paris_date

from .. import views
from ..domain import ranking
from ..domain import search as sd


def _cards(found: list[dict], viewer: dict) -> list[dict]:
    can_apply = viewer.get("role") == "pupil"
    return [views.result_card(f, can_apply, ranking.is_priority(f, viewer)) for f in found]


def page(reader, p: dict, viewer: dict, grade, centre, today: dt.date) -> tuple[list[dict], bool]:
    """One page: the viewer's priority offers first (all of them, nearest first), then the others."""
    size = p["page_size"]
    start = (p["page"] - 1) * size
    if not ranking.priority_columns(viewer):
        found = reader.page(p, viewer, grade, centre, today, None, size + 1, start)
        return _cards(found[:size], viewer), len(found) > size
    if start == 0 and centre is not None:
        # the first page asks both halves in one statement (one round trip), the ranking orders them
        ranked = ranking.rank(reader.both_halves(p, viewer, grade, centre, today, size + 1), viewer)
        return _cards(ranked[:size], viewer), len(ranked) > size
    first = reader.page(p, viewer, grade, centre, today, True, start + size + 1, 0)
    items = first[start:start + size]
    if len(first) > start + size:
        return _cards(items, viewer), True
    need = size - len(items)
    rest = reader.page(p, viewer, grade, centre, today, False, need + 1, max(0, start - len(first)))
    return _cards(items + rest[:need], viewer), len(rest) > need


def search(reader, actor, raw: dict, now: dt.datetime) -> dict:
    today = paris_date(now)
    viewer = sd.viewer_from_actor(actor)
    # one connection at a time per search (never hold one while waiting for another: pool deadlock)
    p = sd.parse_search_params(raw or {}, today, reader.overrides())
    grade = sd.effective_grade(p, viewer)
    centre, source = reader.centre(p, viewer)
    items, has_more = page(reader, p, viewer, grade, centre, today)
    relaxed = False
    if not items and p["page"] == 1:
        rp = sd.relaxed_params(p)
        if rp is not None:
            items, has_more = page(reader, rp, viewer, grade, centre, today)
            relaxed = bool(items)
    return {
        "items": items,
        "page": p["page"], "per_page": p["page_size"], "has_more": has_more, "relaxed": relaxed,
        "centre": ({"lat": centre[0], "lon": centre[1], "source": source, "radius_km": p["radius_km"]}
                   if centre else None),
        "grade": grade if grade != "__none__" else None,
    }
