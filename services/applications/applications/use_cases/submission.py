"""Applying to an offer: idempotent (a key per pupil), one live application per pupil and offer."""
from __future__ import annotations

import uuid

from common.errors import Conflict, Forbidden
from common.holidays import zone_of_academie

from .. import views
from ..domain import deadlines as C
from ..domain import machine as M
from ..domain import school_weeks
from ..domain import states as S
from ..domain import stats
from ..domain.opening import check_opening
from ..domain.submission import ExistingApplication, Pupil, check_eligibility, validate_form
from . import transitions


def _existing(rows: list[dict]) -> list[ExistingApplication]:
    return [ExistingApplication(r["id"], r["offer_id"], r["state"], tuple(r["weeks"] or ()),
                                r["reapply_invited_at"] is not None) for r in rows]


def _check(snap, pupil, rows, form, actor, now) -> dict:
    chosen = None
    if pupil.grade != "seconde" and isinstance((form or {}).get("week"), str):
        chosen = [form["week"]]
    check_eligibility(snap, pupil, _existing(rows), chosen)
    check_opening(snap.apply_from, pupil.grade, now)
    return validate_form(form, pupil.grade, snap, now, zone_of_academie(actor.get("academie")))


def submit(uow, clients, actor: dict, offer_id: str, form: dict | None, idempotency_key: str | None,
           now) -> dict:
    if (actor or {}).get("role") != "pupil" or not actor.get("user_id"):
        raise Forbidden("Seuls les élèves peuvent candidater.")
    key = str(idempotency_key)[:100] if idempotency_key else None
    pupil = Pupil.from_actor(actor)
    # read and call first (the offer, the pupil's profile), then lock the pupil's rows and write
    with uow.read() as q:
        twin = q.by_key(pupil.user_id, key) if key else None
        if twin is not None:
            return dict(views.application(twin, actor, now, q.history([twin["id"]])[twin["id"]]), created=False)
        rows = q.pupil_applications(pupil.user_id)
    snap = clients.offers.offer(offer_id)
    _check(snap, pupil, rows, form, actor, now)
    if pupil.grade in school_weeks.RESTRICTED_GRADES:   # the weeks the pupil's collège declared (identity)
        school_weeks.check(pupil.grade, (form or {}).get("week"), clients.identity.declared_weeks(pupil.school_uai))
    profile = clients.identity.profile(actor)
    with uow.begin() as repo:
        rows = repo.lock_pupil(pupil.user_id)
        same = [r for r in rows if r["offer_id"] == snap.id]
        if same and key and same[0]["idempotency_key"] == key:
            return dict(views.application(same[0], actor, now, repo.history([same[0]["id"]])[same[0]["id"]]),
                        created=False)
        cleaned = _check(snap, pupil, rows, form, actor, now)
        app_id = str(uuid.uuid4())
        values = dict(
            id=app_id, offer_id=snap.id, employer_id=str(snap.employer_id), pupil_id=pupil.user_id,
            space_id=str(snap.space_id or snap.employer_id),
            school_uai=pupil.school_uai,
            school_category=stats.category(pupil.school_rep, pupil.school_qpv), grade=pupil.grade,
            weeks=list(cleaned["weeks"]), offer_title=snap.title or None, motivation=cleaned["motivation"],
            email=cleaned["email"], phone=cleaned["phone"], address=cleaned["address"],
            legal_representative=cleaned["legal_representative"], state=S.SUBMITTED, submitted_at=now,
            updated_at=now, idempotency_key=key, **profile,
            **C.clocks_for(S.SUBMITTED, submitted_at=now).as_columns())
        if not repo.insert(values):  # a concurrent twin won the race (same offer or same key)
            twin = repo.by_key(pupil.user_id, key) if key else None
            if twin is not None:
                return dict(views.application(twin, actor, now, repo.history([twin["id"]])[twin["id"]]),
                            created=False)
            raise Conflict("Vous avez déjà candidaté à cette offre.", code="already_applied")
        transitions.record(repo, values, M.submission(app_id, pupil.user_id, now), values)
        row = repo.get(app_id)
        return dict(views.application(row, actor, now, repo.history([app_id])[app_id]), created=True)
