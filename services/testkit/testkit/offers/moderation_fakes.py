"""The moderation part of the offers fakes (``FakeOffers`` and ``FakeQueries`` inherit these): reports and
decisions in memory, as ``offers.repository.ModerationRepository`` and ``offers.queries.moderation`` keep them."""
from __future__ import annotations

import copy


class FakeModerationRepository:
    @property
    def reports(self) -> list[dict]:
        return self.__dict__.setdefault("_reports", [])

    @property
    def moderations(self) -> list[dict]:
        return self.__dict__.setdefault("_moderations", [])

    def add_report(self, values: dict) -> bool:
        if self.open_report(values["offer_id"], values["reporter_key"]) is not None:
            return False
        self.reports.append({"closed_at": None, "moderation_id": None, **values})
        return True

    def open_report(self, offer_id, reporter_key):
        return next((copy.deepcopy(r) for r in self.reports if r["offer_id"] == offer_id
                     and r["reporter_key"] == reporter_key and r["closed_at"] is None), None)

    def open_reasons(self, offer_id):
        return [r["reason"] for r in self.reports if r["offer_id"] == offer_id and r["closed_at"] is None]

    def close_reports(self, offer_id, moderation_id, now):
        for r in self.reports:
            if r["offer_id"] == offer_id and r["closed_at"] is None:
                r.update(closed_at=now, moderation_id=moderation_id)

    def moderation_by_key(self, author_id, key):
        return next((copy.deepcopy(m) for m in self.moderations
                     if m["author_id"] == author_id and m["idempotency_key"] == key), None)

    def last_moderation(self, offer_id):
        mine = [m for m in self.moderations if m["offer_id"] == offer_id]
        return copy.deepcopy(mine[-1]) if mine else None

    def add_moderation(self, values: dict) -> None:
        self.moderations.append(copy.deepcopy(values))


class FakeModerationQueries:
    def moderation_queue(self, page: int):
        open_ = [r for r in self.offers.reports if r["closed_at"] is None]
        by_offer: dict = {}
        for r in open_:
            by_offer.setdefault(r["offer_id"], []).append(r)
        heads = sorted(by_offer.items(), key=lambda kv: (min(r["created_at"] for r in kv[1]), kv[0]))
        out = [{"offer": copy.deepcopy(self.offers.rows.get(oid) or {"id": oid}),
                "first_reported_at": min(r["created_at"] for r in rs),
                "last_reported_at": max(r["created_at"] for r in rs), "reasons": [r["reason"] for r in rs],
                "texts": [{"reason": r["reason"], "text": r["text"], "at": r["created_at"]} for r in rs if r["text"]]}
               for oid, rs in heads]
        return out[(page - 1) * 30:page * 30], len(out)

    def moderations_of(self, offer_id):
        return [copy.deepcopy(m) for m in self.offers.moderations if m["offer_id"] == offer_id]

    def reports_by(self, user_id):
        return [copy.deepcopy(r) for r in self.offers.reports if r.get("reporter_id") == user_id]
