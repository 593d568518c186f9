"""Aggregates: counts by state, split by the pupil's school category, and the placement rate.

Categories are exclusive so they add up: "rep_plus" (REP+ school), "rep" (REP school), "qpv" (a school in
a priority neighbourhood that is not REP/REP+), "other". The placement rate of a category is the share of
its pupils who applied that hold a confirmed internship. ``by_month`` follows applications over time: per month
of submission (Paris time), the applications submitted and how many of them are now confirmed (placed).
"""
from __future__ import annotations

from common.errors import Forbidden, ValidationError

from . import states as S

CATEGORIES = ("rep_plus", "rep", "qpv", "other")


def category(school_rep, school_qpv) -> str:
    from .submission import rep_of

    rep = rep_of(school_rep)
    if rep == "REP+":
        return "rep_plus"
    if rep == "REP":
        return "rep"
    if school_qpv:
        return "qpv"
    return "other"


FILTERS = ("school_uai", "departement", "academie", "region", "employer_id", "offer_id")


def scope(actor: dict, params: dict | None = None, table: dict | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """The scope of the figures ``actor`` reads, narrowed by ``params`` when allowed, as (a description for the
    answer, [(column, value)] every counted application must match).

    employer: their offers (narrowed to one with ``offer_id``); school staff, statisticians and admins: the
    geographic scopes of common.scopes (their school, the département, académie or région of their account,
    national), narrowed with ``school_uai``, ``departement``, ``academie``, ``region`` inside it; admins may also
    filter on ``employer_id`` and ``offer_id``.
    """
    from common import scopes

    params = {k: str(v).strip() for k, v in (params or {}).items() if v not in (None, "")}
    unknown = set(params) - set(FILTERS)
    if unknown:
        raise ValidationError(errors={k: ["Filtre inconnu."] for k in sorted(unknown)})
    role = (actor or {}).get("role")
    if role == "employer":
        where = [("employer_id", str(actor["user_id"]))]
        if "offer_id" in params:
            where.append(("offer_id", params["offer_id"]))
        return {"kind": "employer", "code": str(actor["user_id"]), **dict(where[1:])}, where
    if role not in ("school_staff", "statistician", "admin"):
        raise Forbidden("Vous n'avez pas accès aux statistiques des candidatures.")
    extra = [(k, params[k]) for k in ("employer_id", "offer_id") if k in params]
    if extra and role != "admin":
        raise ValidationError(errors={k: ["Filtre réservé aux administrateurs."] for k, _ in extra})
    sc = scopes.of_actor(actor, {k: v for k, v in params.items() if k in scopes.PARAMS}, table)
    return {**sc.as_dict(), **dict(extra)}, sc.filters() + extra


def aggregate(counts: list[tuple[str, str, int]], pupils: list[tuple[str, int, int]] | None = None,
              months: list[tuple[str, int, int]] | None = None) -> dict:
    """Build the stats body.

    ``counts``: (category, state, applications); ``pupils``: (category, pupils who applied, pupils placed);
    ``months``: ("YYYY-MM" of submission, applications, of which confirmed), in any order.
    """
    empty_states = {s: 0 for s in S.STATES}
    by_cat = {c: {"by_state": dict(empty_states), "total": 0, "pupils": 0, "placed_pupils": 0,
                  "placement_rate": None} for c in CATEGORIES}
    total = {"by_state": dict(empty_states), "total": 0, "pupils": 0, "placed_pupils": 0, "placement_rate": None}
    for cat, state, n in counts:
        cat = cat if cat in by_cat else "other"
        by_cat[cat]["by_state"][state] += n
        by_cat[cat]["total"] += n
        total["by_state"][state] += n
        total["total"] += n
    for cat, applied, placed in pupils or ():
        cat = cat if cat in by_cat else "other"
        for bucket in (by_cat[cat], total):
            bucket["pupils"] += applied
            bucket["placed_pupils"] += placed
    for bucket in list(by_cat.values()) + [total]:
        if bucket["pupils"]:
            bucket["placement_rate"] = round(bucket["placed_pupils"] / bucket["pupils"], 4)
        bucket["by_tab"] = {tab: sum(bucket["by_state"][s] for s in states) for tab, states in S.TABS.items()}
    priority = [by_cat[c] for c in ("rep_plus", "rep", "qpv")]
    p_pupils = sum(b["pupils"] for b in priority)
    p_placed = sum(b["placed_pupils"] for b in priority)
    by_month = [{"month": m, "applications": n, "placed": placed} for m, n, placed in sorted(months or ())]
    return {"total": total, "by_category": by_cat, "by_month": by_month,
            "priority": {"pupils": p_pupils, "placed_pupils": p_placed,
                         "placement_rate": round(p_placed / p_pupils, 4) if p_pupils else None}}
