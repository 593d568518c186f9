"""Read side of the conventions database: lists, counts, the personal-data export (SQLAlchemy core).

Filters are checked by the use cases (``use_cases.lists``) and given here as plain values; who sees what is the
domain's ``convention.visible_filter``.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, func, or_, select, true

from .domain import states as S
from .domain.convention import ROLE_LABELS
from .models import conventions, rollover_runs, school_signatures, signature_codes, signatures
from .repository import Repository

c = conventions.c


def visible_where(visible: tuple[str, str] | None):
    """The SQL of ``convention.visible_filter(actor)``: one column equality (None: every convention)."""
    return true() if visible is None else getattr(c, visible[0]) == visible[1]


def _iso(value):
    return value.isoformat() if isinstance(value, (dt.datetime, dt.date)) else value


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return _iso(value)


class Queries:
    def __init__(self, session):
        self.session = session

    def _x(self, statement):
        return self.session.execute(statement)

    def page(self, visible, *, states=None, class_name=None, q=None, missing_roles=None, page=1, per_page=30):
        """(total, conventions of the page in list order, counts by state in the actor's whole scope)."""
        scope = visible_where(visible)
        conds = [scope]
        if states:
            conds.append(c.state.in_(list(states)))
        if class_name:
            conds.append(c.class_name == class_name)
        if q:
            conds.append(c.pupil_name.ilike(f"%{q.strip()}%"))
        if missing_roles:
            conds.append(c.state.in_(sorted(S.SIGNABLE)))
            signed = [exists().where(and_(signatures.c.convention_id == c.id, signatures.c.role == r,
                                          signatures.c.discarded_at.is_(None))) for r in missing_roles]
            conds.append(or_(*[~e for e in signed]))
        where = and_(*conds)
        total = self._x(select(func.count()).select_from(conventions).where(where)).scalar()
        ids = [r.id for r in self._x(select(c.id).where(where)
                                     .order_by(c.class_name.nulls_last(), c.pupil_name.nulls_last(), c.id)
                                     .offset((page - 1) * per_page).limit(per_page))]
        by_state = dict(self._x(select(c.state, func.count()).where(scope).group_by(c.state)).all())
        loaded = Repository(self.session).get_many(ids)
        return total, [loaded[i] for i in ids if i in loaded], by_state

    def counts(self, equalities: list[tuple[str, str]], *, by_class: bool = False):
        """({state: n}, {class: {state: n}} or None) of the conventions matching every (column, value)."""
        where = and_(*[getattr(c, col) == value for col, value in equalities]) if equalities else true()
        rows = self._x(select(c.state, func.count()).where(where).group_by(c.state)).all()
        classes = None
        if by_class:
            classes = {}
            for cls, st, n in self._x(select(c.class_name, c.state, func.count()).where(where)
                                      .group_by(c.class_name, c.state)).all():
                classes.setdefault(cls or "—", {})[st] = n
        return {r[0]: r[1] for r in rows}, classes

    def personal_conventions(self, user_id: str) -> list[str]:
        """Ids of the conventions ``user_id`` is a party to: the pupil, the employer, or a signer (the head)."""
        signed = select(signatures.c.convention_id).where(signatures.c.signer_user_id == user_id)
        return [r[0] for r in self._x(select(c.id).where(
            (c.pupil_user_id == user_id) | (c.employer_user_id == user_id) | c.id.in_(signed))
            .order_by(c.created_at, c.id)).all()]

    def agreements_of(self, user_id: str) -> list[dict]:
        """{state, weeks} of the conventions ``user_id`` is the pupil or the employer of (deletion holds)."""
        return [{"state": r.state, "weeks": list(r.weeks or [])} for r in self._x(
            select(c.state, c.weeks).where((c.pupil_user_id == user_id) | (c.employer_user_id == user_id))).all()]

    def rollover_run(self, school_year: str) -> dict | None:
        row = self._x(select(rollover_runs).where(rollover_runs.c.school_year == school_year)).first()
        return dict(row._mapping) if row else None

    def signed_remaining(self, after_id: str | None) -> int:
        q = select(func.count()).select_from(conventions).where(c.state == S.SIGNED_BY_ALL)
        return self._x(q.where(c.id > after_id) if after_id else q).scalar_one()

    def personal_data(self, user_id: str) -> dict:
        """Everything the conventions service keeps about ``user_id`` (GET /me/data): each convention they are a
        party to in full (the pre-filled, employer's and school's fields, the frozen content, dates), its
        signatures (who, as what, when, how; with the IP address and user agent of the signatures this person
        gave), and their signature code's dates (the code itself is kept hashed)."""
        ids = self.personal_conventions(user_id)
        out = []
        if ids:
            rows = {r.id: r for r in self._x(select(conventions).where(c.id.in_(ids))).all()}
            sigs: dict[str, list] = {}
            for sg in self._x(select(signatures).where(signatures.c.convention_id.in_(ids))
                              .order_by(signatures.c.signed_at)).all():
                mine = sg.signer_user_id == user_id
                sigs.setdefault(sg.convention_id, []).append({
                    "role": sg.role, "role_label": ROLE_LABELS.get(sg.role, sg.role), "signer_name": sg.signer_name,
                    "signer_user_id": sg.signer_user_id, "method": sg.method, "signed_at": sg.signed_at,
                    "document_hash": sg.document_hash, "discarded_at": sg.discarded_at, "mine": mine,
                    "ip": sg.ip if mine else None, "user_agent": sg.user_agent if mine else None})
            for cid in ids:
                r = rows[cid]._mapping
                item = {k: r[k] for k in r.keys()}
                item["signatures"] = sigs.get(cid, [])
                item["state_label"] = S.LABELS.get(item["state"], item["state"])
                out.append(item)
        code = self._x(select(signature_codes.c.issued_at, signature_codes.c.expires_at, signature_codes.c.attempts)
                       .where(signature_codes.c.user_id == user_id)).first()
        uploads = self._x(select(school_signatures.c.school_uai, school_signatures.c.sha256,
                                 school_signatures.c.uploaded_at)
                          .where(school_signatures.c.uploaded_by == user_id)).all()
        return _plain({"agreements": out,
                       "signature_code": dict(code._mapping) if code else None,
                       "school_signature_uploads": [dict(u._mapping) for u in uploads]})
