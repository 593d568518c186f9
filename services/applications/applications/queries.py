"""Read side: lists, exports, statistics and personal-data reads (rows as plain dicts)."""
from __future__ import annotations

from sqlalchemy import and_, func, literal_column, or_, select, true

from .domain import states as S
from .models import applications as A
from .models import transfer_tokens as TT
from .models import transitions as H
from .views import HISTORY_FIELDS


def history_of(session, ids: list[str]) -> dict[str, list[dict]]:
    """application id -> its history entries, oldest first."""
    out: dict[str, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    for r in session.execute(select(H).where(H.c.application_id.in_(ids)).order_by(H.c.id)).all():
        out[r.application_id].append({k: getattr(r, k) for k in HISTORY_FIELDS})
    return out


def _conditions(scope: dict, filters: dict) -> list:
    """``scope`` (column -> value, visibility.list_scope) and the checked list filters as SQL conditions."""
    conds = [getattr(A.c, k) == v for k, v in scope.items()]
    if "tab" in filters:
        conds.append(A.c.state.in_(S.TABS[filters["tab"]]))
    if "state" in filters:
        conds.append(A.c.state.in_(filters["state"]))
    for key in ("offer_id", "grade", "school_uai", "pupil_id"):
        if key in filters:
            conds.append(getattr(A.c, key) == str(filters[key]))
    if "week" in filters:
        conds.append(A.c.weeks.any(str(filters["week"])))
    if "q" in filters:
        like = f"%{str(filters['q'])[:100]}%"
        conds.append(or_(A.c.pupil_name.ilike(like), A.c.offer_title.ilike(like)))
    return conds


def _rows(result) -> list[dict]:
    return [dict(r._mapping) for r in result]


class Queries:
    def __init__(self, session):
        self.s = session

    def get(self, application_id: str) -> dict | None:
        r = self.s.execute(select(A).where(A.c.id == str(application_id))).first()
        return None if r is None else dict(r._mapping)

    def get_many(self, ids: list[str]) -> list[dict]:
        return _rows(self.s.execute(select(A).where(A.c.id.in_(ids)).order_by(A.c.id)).all())

    def pupil_applications(self, pupil_id: str) -> list[dict]:
        return _rows(self.s.execute(select(A).where(A.c.pupil_id == pupil_id).order_by(A.c.id)).all())

    def by_key(self, pupil_id: str, key: str) -> dict | None:
        r = self.s.execute(select(A).where(A.c.pupil_id == pupil_id, A.c.idempotency_key == key)).first()
        return None if r is None else dict(r._mapping)

    def history(self, ids: list[str]) -> dict[str, list[dict]]:
        return history_of(self.s, ids)

    def page(self, scope: dict, filters: dict) -> tuple[int, list[dict], dict[str, int]]:
        """(how many match, the page's rows newest first, count per state in the whole scope)."""
        where = and_(true(), *_conditions(scope, filters))
        total = self.s.execute(select(func.count()).select_from(A).where(where)).scalar()
        rows = _rows(self.s.execute(select(A).where(where).order_by(A.c.submitted_at.desc(), A.c.id)
                                    .limit(filters["per_page"])
                                    .offset((filters["page"] - 1) * filters["per_page"])).all())
        by_state = dict(self.s.execute(select(A.c.state, func.count())
                                       .where(and_(true(), *_conditions(scope, {}))).group_by(A.c.state)).all())
        return total, rows, by_state

    def export_rows(self, scope: dict, filters: dict, limit: int) -> list[dict]:
        return _rows(self.s.execute(select(A).where(and_(true(), *_conditions(scope, filters)))
                                    .order_by(A.c.submitted_at, A.c.id).limit(limit)).all())

    def stats_rows(self, where: list[tuple[str, str]]) -> tuple[list, list, list]:
        """(category, state, applications), (category, pupils who applied, placed), (month, applications,
        confirmed) of the applications matching every (column, value) of ``where``."""
        cond = and_(true(), *[getattr(A.c, col) == str(v) for col, v in where])
        counts = self.s.execute(select(A.c.school_category, A.c.state, func.count())
                                .where(cond).group_by(A.c.school_category, A.c.state)).all()
        pupils = self.s.execute(select(A.c.school_category, func.count(A.c.pupil_id.distinct()),
                                       func.count(A.c.pupil_id.distinct()).filter(A.c.state == S.CONFIRMED))
                                .where(cond).group_by(A.c.school_category)).all()
        # literals, not bound parameters: the same expression in SELECT and GROUP BY
        month = func.to_char(func.timezone(literal_column("'Europe/Paris'"), A.c.submitted_at),
                             literal_column("'YYYY-MM'"))
        months = self.s.execute(select(month, func.count(), func.count().filter(A.c.state == S.CONFIRMED))
                                .where(cond).group_by(month)).all()
        return [tuple(r) for r in counts], [tuple(r) for r in pupils], [tuple(r) for r in months]

    def transfer_links(self, ids: list[str]) -> dict[str, list[dict]]:
        """application id -> the transfer links sent for it (addressee and dates; never the token)."""
        out: dict[str, list[dict]] = {}
        if ids:
            for t in self.s.execute(select(TT).where(TT.c.application_id.in_(ids)).order_by(TT.c.created_at)):
                out.setdefault(t.application_id, []).append(
                    {"email": t.email, "created_at": t.created_at, "expires_at": t.expires_at, "used_at": t.used_at})
        return out

    def transfer_link(self, token_hash: str, lock: bool = False) -> dict | None:
        q = select(TT).where(TT.c.token_hash == token_hash)
        r = self.s.execute(q.with_for_update() if lock else q).first()
        return None if r is None else dict(r._mapping)

    def acted_on(self, user_id: str, excluding: list[str]) -> list[dict]:
        """History entries by ``user_id`` on applications other than ``excluding``, with their application id."""
        q = select(H).where(H.c.actor_id == user_id, H.c.application_id.notin_(excluding) if excluding else true())
        return [{"application_id": r.application_id, **{k: getattr(r, k) for k in HISTORY_FIELDS}}
                for r in self.s.execute(q.order_by(H.c.id)).all()]

    def school_states(self, uai: str) -> dict[str, list[str]]:
        """pupil id -> the states of their applications, for the school ``uai``."""
        out: dict[str, list[str]] = {}
        for pid, state in self.s.execute(select(A.c.pupil_id, A.c.state).where(A.c.school_uai == uai)).all():
            out.setdefault(pid, []).append(state)
        return out

    def seat_releases_due(self, limit: int) -> list[tuple[str, str]]:
        """(offer id, application id) of seats still held by applications no longer confirmed."""
        return [tuple(r) for r in self.s.execute(select(A.c.offer_id, A.c.id).where(A.c.seat_release_due)
                                                 .limit(limit)).all()]
