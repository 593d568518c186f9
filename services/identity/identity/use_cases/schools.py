"""The directory of schools: one school, a search by name, schools near a point."""
from __future__ import annotations

from common.errors import NotFound, ValidationError

from .. import views
from ..domain import accounts
from ..domain import schools as sdomain
from .context import Context

KINDS = (None, "college", "lycee")


def _raise_if_any(errors: dict, kind) -> None:
    if kind not in KINDS:
        errors["kind"] = ["Type invalide : college ou lycee."]
    if errors:
        raise ValidationError(errors=errors)


def get_school(ctx: Context, uai: str) -> dict:
    u = accounts.normalize_uai(uai)
    if not sdomain.is_uai(u):
        raise NotFound("Établissement introuvable.", code="school_not_found")
    with ctx.uow.read() as s:
        sc = ctx.repo.get_school(s, u)
    if sc is None:
        raise NotFound("Établissement introuvable.", code="school_not_found")
    return views.school_public(sc)


def search_schools(ctx: Context, q: str, kind: str | None = None, limit: int = 20, education_prioritaire=None,
                   qpv=None) -> dict:
    filters, errors = sdomain.check_filters(education_prioritaire, qpv)
    if not isinstance(q, str) or len(q.strip()) < 2:
        errors["q"] = ["Saisissez au moins 2 caractères."]
    _raise_if_any(errors, kind)
    limit = max(1, min(int(limit or 20), 50))
    with ctx.uow.read() as s:
        cands = ctx.queries.school_candidates(s, q, kind, filters=filters)
    ranked = sdomain.rank(q, cands, limit=limit, kind=kind)
    return {"items": [views.school_public(x) for x in ranked], "total": len(ranked)}


def schools_near(ctx: Context, lat, lon, radius_km=10, kind: str | None = None, limit: int = 20,
                 education_prioritaire=None, qpv=None) -> dict:
    errors = sdomain.check_point(lat, lon, radius_km)
    filters, filter_errors = sdomain.check_filters(education_prioritaire, qpv)
    errors.update(filter_errors)
    _raise_if_any(errors, kind)
    limit = max(1, min(int(limit or 20), 100))
    with ctx.uow.read() as s:
        box = ctx.queries.schools_in_box(s, float(lat), float(lon), float(radius_km), kind, filters=filters)
    near = sdomain.nearest(float(lat), float(lon), box, float(radius_km), limit)
    return {"items": [{**views.school_public(sc), "distance_km": d} for d, sc in near], "total": len(near)}
