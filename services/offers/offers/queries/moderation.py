"""Read side of moderation: the queue of reported offers (oldest open report first) and an offer's decisions."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from ..domain.moderation import QUEUE_PAGE_SIZE as QUEUE_PER_PAGE
from ..models import offer_moderations, offer_reports, offers


class ModerationQueries:
    def moderation_queue(self, page: int) -> tuple[list[dict], int]:
        """Offers with open reports, the oldest first report first: one dict per offer with its row
        (``offer``), ``first_reported_at``, ``last_reported_at`` and the open reports' ``reasons``."""
        open_ = offer_reports.c.closed_at.is_(None)
        grouped = (select(offer_reports.c.offer_id, func.min(offer_reports.c.created_at).label("first"),
                          func.max(offer_reports.c.created_at).label("last"))
                   .where(open_).group_by(offer_reports.c.offer_id))
        total = self.session.execute(select(func.count()).select_from(grouped.subquery())).scalar()
        heads = self.session.execute(grouped.order_by("first", offer_reports.c.offer_id).limit(QUEUE_PER_PAGE)
                                     .offset((page - 1) * QUEUE_PER_PAGE)).all()
        ids = [h.offer_id for h in heads]
        if not ids:
            return [], total
        rows = {r["id"]: dict(r) for r in self.session.execute(select(offers).where(offers.c.id.in_(ids)))
                .mappings()}
        reasons: dict = {}
        for offer_id, reason in self.session.execute(select(offer_reports.c.offer_id, offer_reports.c.reason)
                                                     .where(and_(open_, offer_reports.c.offer_id.in_(ids)))):
            reasons.setdefault(offer_id, []).append(reason)
        texts: dict = {}
        for offer_id, reason, text, at in self.session.execute(
                select(offer_reports.c.offer_id, offer_reports.c.reason, offer_reports.c.text,
                       offer_reports.c.created_at)
                .where(and_(open_, offer_reports.c.offer_id.in_(ids), offer_reports.c.text.is_not(None)))
                .order_by(offer_reports.c.created_at)):
            texts.setdefault(offer_id, []).append({"reason": reason, "text": text, "at": at})
        return [{"offer": rows.get(h.offer_id) or {"id": h.offer_id}, "first_reported_at": h.first,
                 "last_reported_at": h.last, "reasons": reasons.get(h.offer_id, []),
                 "texts": texts.get(h.offer_id, [])} for h in heads], total

    def moderations_of(self, offer_id: str) -> list[dict]:
        """Every decision on an offer, the oldest first."""
        rows = self.session.execute(select(offer_moderations).where(offer_moderations.c.offer_id == offer_id)
                                    .order_by(offer_moderations.c.created_at, offer_moderations.c.id)).mappings()
        return [dict(r) for r in rows]

    def reports_by(self, user_id: str) -> list[dict]:
        """The reports a signed-in person made (personal-data export)."""
        rows = self.session.execute(select(offer_reports).where(offer_reports.c.reporter_id == user_id)
                                    .order_by(offer_reports.c.created_at)).mappings()
        return [dict(r) for r in rows]
