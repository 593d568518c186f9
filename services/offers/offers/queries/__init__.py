"""Read side of the offers service: lists, the personal-data export, the communes for the place finder,
and the search (``queries.search``: its statements ``search_sql`` on its own connections ``search_pool``).

``OfferQueries(session)`` is what the reading use cases (``offers.use_cases.reading``) read lists through.
"""
from __future__ import annotations

from sqlalchemy import and_, func, or_, select

from ..domain import states as st
from ..models import communes, offers
from .moderation import ModerationQueries

PER_PAGE = 30
_COMMUNES: list[dict] = []


class OfferQueries(ModerationQueries):
    PER_PAGE = PER_PAGE

    def __init__(self, session):
        self.session = session

    def _page(self, q, page: int) -> tuple[list[dict], int]:
        total = self.session.execute(select(func.count()).select_from(q.subquery())).scalar()
        rows = self.session.execute(q.order_by(offers.c.created_at.desc(), offers.c.id).limit(PER_PAGE)
                                    .offset((page - 1) * PER_PAGE)).mappings().all()
        return [dict(r) for r in rows], total

    def owner_page(self, owner_id: str, state: str | None, page: int) -> tuple[list[dict], int]:
        """An owner's offers, newest first (removed ones only when asked by ``state``)."""
        q = select(offers).where(offers.c.owner_id == str(owner_id))
        q = q.where(offers.c.state == state) if state else q.where(offers.c.state != st.REMOVED)
        return self._page(q, page)

    def space_page(self, space_id: str, state: str | None, page: int) -> tuple[list[dict], int]:
        """The offers of an employer space (access.offer_space: ``space_id``, else the employer's), newest first."""
        q = select(offers).where(func.coalesce(offers.c.space_id, offers.c.employer_id) == str(space_id))
        q = q.where(offers.c.state == state) if state else q.where(offers.c.state != st.REMOVED)
        return self._page(q, page)

    def partner_page(self, operator_id: str, page: int) -> tuple[list[dict], int]:
        return self._page(select(offers).where(and_(offers.c.operator_id == operator_id,
                                                    offers.c.state != st.REMOVED)), page)

    def by_ids(self, ids: list[str]) -> list[dict]:
        if not ids:
            return []
        return [dict(r) for r in self.session.execute(select(offers).where(offers.c.id.in_(ids))).mappings()]

    def of_person(self, user_id: str) -> list[dict]:
        """Every offer a person created, publishes or manages as an operator, removed ones included."""
        rows = self.session.execute(select(offers).where(or_(offers.c.owner_id == user_id,
                                                             offers.c.employer_id == user_id,
                                                             offers.c.operator_id == user_id))
                                    .order_by(offers.c.created_at, offers.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def communes_for_places(self, key) -> list[dict]:
        """Every commune with its search key (``key(name)``), read once per process (reference data)."""
        if not _COMMUNES:
            rows = self.session.execute(select(communes.c.insee_code, communes.c.name, communes.c.kind,
                                               communes.c.dep_code, communes.c.postal_codes, communes.c.population,
                                               communes.c.lat, communes.c.lon)).mappings().all()
            _COMMUNES.extend({**r, "postal_codes": list(r["postal_codes"] or []), "_key": key(r["name"])}
                             for r in rows)
        return _COMMUNES
