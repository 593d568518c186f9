"""The service's use cases: read and write the database around the pure rules of ``domain``.

``Core`` is built per call by the nameko entrypoints (service.py) with the worker's database access, the
process clock's ``now`` and the timed RPC proxies; it holds no state of its own.

Locking: every writer locks the application rows it changes with ``SELECT ... FOR UPDATE`` in ascending
id order (a confirmation locks all the pupil's rows, a bulk action all its rows), so concurrent writers
never deadlock.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import secrets
import time
import uuid

from sqlalchemy import and_, func, insert, literal_column, or_, select, text, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from common import scopes, settings
from common.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from common.holidays import zone_of_academie

from .domain import clocks as C
from .domain import conflicts, export, stats, visibility
from .domain import machine as M
from .domain import states as S
from .domain.submission import ExistingApplication, OfferSnapshot, Pupil, check_eligibility, validate_form
from .models import applications as A
from .models import transfer_tokens as TT
from .models import transitions as H

log = logging.getLogger(__name__)

# Test mode only (STAGES_CLOCK_CONTROL=1): the last transfer token issued per application, so that
# cross-service tests can follow the link the recipient receives by e-mail.
LAST_TRANSFER_TOKENS: dict[str, str] = {}

SCHOOLS: dict[str, dict] = {}  # uai -> {"school_name", and its location codes (common.scopes.location)}
# A pupil applying to several offers in a row: one identity lookup per pupil per few minutes.
PROFILES: dict[str, tuple[float, dict]] = {}
PROFILE_TTL = 300.0

MAX_BULK = 200
EXPORT_LIMIT = 20_000
# Each batch is one short transaction; concurrent loops share PostgreSQL's cores (more loops than
# cores only added lock and buffer contention: 200,000 expiries took 10.4 s with 3 loops, 8.7 s with 2)
EXPIRY_BATCH = int(settings.env_float("APPLICATIONS_EXPIRY_BATCH", 5_000))
EXPIRY_WORKERS = int(settings.env_float("APPLICATIONS_EXPIRY_WORKERS", 2))

DATE_FIELDS = ("submitted_at", "accepted_at", "transferred_at", "restored_at", "nudged_at", "updated_at",
               "deadline_at", "reminder_at")
PUBLIC_FIELDS = ("id", "offer_id", "offer_title", "pupil_id", "employer_id", "school_uai", "academie_code",
                 "departement_code", "region_code", "school_category", "pupil_name", "grade", "school_name",
                 "class_name", "weeks", "motivation",
                 "email", "phone", "address", "legal_representative", "state", "submitted_at", "accepted_at",
                 "transferred_at", "restored_at", "restore_count", "nudged_at", "reapply_invited_at", "updated_at",
                 "deadline_at", "deadline_action")


def jsonable(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def facts_of(row) -> M.ApplicationFacts:
    m = row._mapping if hasattr(row, "_mapping") else row
    return M.ApplicationFacts(
        id=m["id"], state=m["state"], pupil_id=m["pupil_id"], employer_id=m["employer_id"],
        submitted_at=m["submitted_at"], grade=m["grade"], weeks=tuple(m["weeks"] or ()), offer_id=m["offer_id"],
        school_uai=m["school_uai"], restored_at=m["restored_at"], accepted_at=m["accepted_at"],
        transferred_at=m["transferred_at"], restore_count=m["restore_count"], nudged_at=m["nudged_at"],
        reapply_invited_at=m["reapply_invited_at"])


def as_dict(row) -> dict:
    m = row._mapping if hasattr(row, "_mapping") else row
    out = {k: m[k] for k in PUBLIC_FIELDS}
    out["weeks"] = list(out["weeks"] or ())
    return out


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def event_data(app: dict, t: M.Transition, cols: dict) -> dict:
    """The identifiers an application event carries (see events.py)."""
    deadline = cols.get("deadline_at")
    data = {"application_id": app["id"], "offer_id": app["offer_id"], "pupil_id": app["pupil_id"],
            "employer_id": app["employer_id"], "school_uai": app.get("school_uai"),
            "weeks": list(app.get("weeks") or ()), "state": t.to_state, "from_state": t.from_state,
            "expires_at": deadline.isoformat() if deadline else None}
    if t.action == M.SUBMIT:
        data["submitted_at"] = t.at.isoformat()
    if t.event_type == "application.accepted":
        data["accept_expires_at"] = data["expires_at"]
    if t.event_type == "application.cancelled":
        data["seat_released"] = t.releases_seat
    if t.action == M.CANCEL_AFTER_OTHER_CONFIRMED:
        # the confirmed application and its employer: notifications tell this employer nothing more when
        # it is the one the pupil confirmed with (it gets « X a confirmé son stage », issue 13 item 8)
        data["confirmed_application_id"] = t.details.get("confirmed_application_id")
        data["confirmed_employer_id"] = t.details.get("confirmed_employer_id")
    return data


class Core:
    def __init__(self, db, now: dt.datetime, offers=None, notifications=None, identity=None):
        self.db = db
        self.now = now
        self.offers = offers
        self.notifications = notifications
        self.identity = identity

    # -- reading -----------------------------------------------------------------------------
    def _history(self, session, ids: list[str]) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {i: [] for i in ids}
        if not ids:
            return out
        rows = session.execute(select(H).where(H.c.application_id.in_(ids)).order_by(H.c.id)).all()
        for r in rows:
            out[r.application_id].append({"action": r.action, "from_state": r.from_state, "to_state": r.to_state,
                                          "actor_role": r.actor_role, "actor_id": r.actor_id, "at": r.at,
                                          "reason": r.reason, "message": r.message})
        return out

    def _view(self, session, row, actor: dict | None, history: bool = True) -> dict:
        app = as_dict(row)
        if history:
            app["history"] = self._history(session, [app["id"]])[app["id"]]
        if actor is None:
            app["state_label"] = S.label(app["state"], None)
            app["tab"] = S.tab_of(app["state"])
            return jsonable(app)
        out = visibility.present(app, actor)
        out["allowed_actions"] = M.allowed_actions(facts_of(row), actor, self.now)
        return jsonable(out)

    def get_application(self, application_id: str, actor: dict | None = None) -> dict:
        with self.db.session() as s:
            row = s.execute(select(A).where(A.c.id == str(application_id))).first()
            if row is None:
                raise NotFound("Candidature introuvable.")
            if actor is not None:
                visibility.check_view(actor, as_dict(row))
            return self._view(s, row, actor)

    def _where(self, actor: dict, filters: dict) -> list:
        scope = visibility.list_scope(actor)
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

    def list_applications(self, actor: dict, filters: dict | None = None) -> dict:
        f = visibility.list_filters(filters)
        conds = self._where(actor, f)
        scope_conds = [getattr(A.c, k) == v for k, v in visibility.list_scope(actor).items()]
        with self.db.session() as s:
            total = s.execute(select(func.count()).select_from(A).where(and_(true(), *conds))).scalar()
            rows = s.execute(select(A).where(and_(true(), *conds))
                             .order_by(A.c.submitted_at.desc(), A.c.id)
                             .limit(f["per_page"]).offset((f["page"] - 1) * f["per_page"])).all()
            by_state = dict(s.execute(select(A.c.state, func.count()).where(and_(true(), *scope_conds))
                                      .group_by(A.c.state)).all())
            items = [self._view(s, r, actor, history=False) for r in rows]
        tabs = {tab: sum(by_state.get(st, 0) for st in states) for tab, states in S.TABS.items()}
        return {"items": items, "page": f["page"], "per_page": f["per_page"], "total": total, "tabs": tabs}

    def export_csv(self, actor: dict, filters: dict | None = None) -> dict:
        if (actor or {}).get("role") not in ("employer", "admin"):
            raise Forbidden("Seules les entreprises peuvent exporter leurs candidatures.")
        f = visibility.list_filters(filters)
        conds = self._where(actor, f)
        with self.db.session() as s:
            rows = s.execute(select(A).where(and_(true(), *conds)).order_by(A.c.submitted_at, A.c.id)
                             .limit(EXPORT_LIMIT)).all()
            apps = [as_dict(r) for r in rows]
            hist = self._history(s, [a["id"] for a in apps])
        for a in apps:
            a["history"] = hist[a["id"]]
        role = "employer" if actor.get("role") == "employer" else "admin"
        return {"filename": "candidatures.csv", "content_type": "text/csv; charset=utf-8",
                "content": export.to_csv(apps, role), "count": len(apps)}

    def stats(self, actor: dict, filters: dict | None = None) -> dict:
        scope, where = stats.scope(actor, filters)
        conds = [getattr(A.c, col) == str(v) for col, v in where]
        with self.db.session() as s:
            counts = s.execute(select(A.c.school_category, A.c.state, func.count())
                               .where(and_(true(), *conds)).group_by(A.c.school_category, A.c.state)).all()
            pupils = s.execute(select(A.c.school_category, func.count(A.c.pupil_id.distinct()),
                                      func.count(A.c.pupil_id.distinct()).filter(A.c.state == S.CONFIRMED))
                               .where(and_(true(), *conds)).group_by(A.c.school_category)).all()
            # literals, not bound parameters: the same expression in SELECT and GROUP BY
            month = func.to_char(func.timezone(literal_column("'Europe/Paris'"), A.c.submitted_at),
                                 literal_column("'YYYY-MM'"))
            months = s.execute(select(month, func.count(), func.count().filter(A.c.state == S.CONFIRMED))
                               .where(and_(true(), *conds)).group_by(month)).all()
        out = stats.aggregate([tuple(r) for r in counts], [tuple(r) for r in pupils], [tuple(r) for r in months])
        out["scope"] = scope
        return out

    def export_personal_data(self, actor: dict) -> dict:
        """Everything this service keeps about the person ``actor`` is (GDPR access right, ``GET /me/data``).

        A pupil: each of their applications in full (motivation, address, contacts, legal representative, the
        school snapshot) with its history, and the transfer links sent for them (addressee, dates; the token
        itself is kept hashed and is not personal data). Anyone: the history entries of applications they acted
        on (an employer's answers and messages, a staff member's actions), without the others' personal data.
        """
        uid = str((actor or {}).get("user_id") or "")
        if not uid:
            raise Forbidden("Connectez-vous pour exporter vos données.")
        with self.db.session() as s:
            rows = s.execute(select(A).where(A.c.pupil_id == uid).order_by(A.c.submitted_at, A.c.id)).all()
            apps = []
            for row in rows:
                full = {c.name: row._mapping[c.name] for c in A.columns}
                apps.append(full)
            ids = [a["id"] for a in apps]
            hist = self._history(s, ids)
            transfers = {}
            if ids:
                for t in s.execute(select(TT).where(TT.c.application_id.in_(ids)).order_by(TT.c.created_at)).all():
                    transfers.setdefault(t.application_id, []).append(
                        {"email": t.email, "created_at": t.created_at, "expires_at": t.expires_at,
                         "used_at": t.used_at})
            acted = s.execute(select(H).where(H.c.actor_id == uid, H.c.application_id.notin_(ids) if ids else true())
                              .order_by(H.c.id)).all()
        for a in apps:
            a["weeks"] = list(a.get("weeks") or ())
            a["state_label"] = S.label(a["state"], None)
            a["history"] = hist[a["id"]]
            a["transfers"] = transfers.get(a["id"], [])
        actions = [{"application_id": r.application_id, "action": r.action, "from_state": r.from_state,
                    "to_state": r.to_state, "actor_role": r.actor_role, "at": r.at, "reason": r.reason,
                    "message": r.message} for r in acted]
        return jsonable({"applications": apps, "actions": actions})

    def class_summary(self, actor: dict) -> dict:
        """School staff: per class, how many pupils applied / confirmed, and who has no application yet."""
        if (actor or {}).get("role") != "school_staff" or not actor.get("school_uai"):
            raise Forbidden("Réservé aux équipes des établissements.")
        uai = actor["school_uai"]
        pupils, page = [], 1
        while True:  # the roster is identity's
            out = self.identity.list_pupils(actor=actor, uai=uai, page=page, page_size=500)
            pupils += [{"pupil_id": p["id"], "name": f"{p.get('first_name') or ''} {p.get('last_name') or ''}".strip(),
                        "class_name": p.get("class_name")} for p in out["items"]]
            if page * out["page_size"] >= out["total"]:
                break
            page += 1
        states: dict[str, list[str]] = {}
        with self.db.session() as s:
            for pid, state in s.execute(select(A.c.pupil_id, A.c.state).where(A.c.school_uai == uai)).all():
                states.setdefault(pid, []).append(state)
        classes = visibility.class_summary(pupils, states)
        return {"school_uai": uai, "classes": classes,
                "pupils": len(pupils), "with_application": sum(c["with_application"] for c in classes),
                "confirmed": sum(c["confirmed"] for c in classes)}

    # -- writing -----------------------------------------------------------------------------
    def _record(self, uow, app: dict, t: M.Transition, cols: dict) -> None:
        uow.session.execute(insert(H).values(application_id=app["id"], **t.as_record()))
        uow.emit(t.event_type, event_data(app, t, cols))

    def _apply(self, uow, row, t: M.Transition, **extra_cols) -> dict:
        cols = M.columns_after(facts_of(row), t)
        cols.update(extra_cols)
        uow.session.execute(update(A).where(A.c.id == row.id).values(**cols))
        app = as_dict(row)
        self._record(uow, app, t, cols)
        return cols

    def _offer(self, offer_id: str) -> dict:
        return self.offers.get_offer(offer_id=str(offer_id))

    def _profile(self, actor: dict) -> dict:
        """Display snapshots (name, class, school name) and the school's location codes (common.scopes), from
        identity; the location falls back on the token's académie, the rest is left empty if identity cannot say
        (the application does not depend on them)."""
        out = {"pupil_name": None, "school_name": None, "class_name": None, "academie_code": actor.get("academie"),
               "departement_code": None, "region_code": None}
        if self.identity is None:
            return out
        try:
            uai = actor.get("school_uai")
            if uai:
                if uai not in SCHOOLS:  # schools do not change name nor place: one lookup per process
                    school = self.identity.get_school(uai=uai) or {}
                    loc = scopes.location(school)
                    SCHOOLS[uai] = {"school_name": school.get("name"),
                                    **{k: v for k, v in loc.items() if k != "school_uai" and v}}
                out.update(SCHOOLS[uai])
            uid = actor["user_id"]
            cached = PROFILES.get(uid)
            if cached is None or cached[0] < time.monotonic():
                u = self.identity.get_user(user_id=uid)
                if len(PROFILES) > 50_000:
                    PROFILES.clear()
                cached = PROFILES[uid] = (time.monotonic() + PROFILE_TTL, {
                    "pupil_name": " ".join(x for x in (u.get("first_name"), u.get("last_name")) if x) or None,
                    "class_name": u.get("class_name")})
            out.update(cached[1])
        except DomainError as exc:
            log.warning("no profile for pupil %s: %s", actor.get("user_id"), exc)
        return out

    def submit(self, actor: dict, offer_id: str, form: dict | None, idempotency_key: str | None = None) -> dict:
        if (actor or {}).get("role") != "pupil" or not actor.get("user_id"):
            raise Forbidden("Seuls les élèves peuvent candidater.")
        key = str(idempotency_key)[:100] if idempotency_key else None
        pupil = Pupil.from_actor(actor)
        if key:
            with self.db.session() as s:
                row = s.execute(select(A).where(A.c.pupil_id == pupil.user_id, A.c.idempotency_key == key)).first()
                if row is not None:
                    return dict(self._view(s, row, actor), created=False)
        snap = OfferSnapshot.from_dict(self._offer(offer_id))
        chosen = None
        if pupil.grade != "seconde" and isinstance((form or {}).get("week"), str):
            chosen = [form["week"]]
        with self.db.uow() as uow:
            s = uow.session
            existing = [ExistingApplication(r.id, r.offer_id, r.state, tuple(r.weeks or ()),
                                            r.reapply_invited_at is not None)
                        for r in s.execute(select(A.c.id, A.c.offer_id, A.c.state, A.c.weeks,
                                                  A.c.reapply_invited_at)
                                           .where(A.c.pupil_id == pupil.user_id).order_by(A.c.id)
                                           .with_for_update()).all()]
            same = [e for e in existing if e.offer_id == snap.id]
            if same and key:
                row = s.execute(select(A).where(A.c.id == same[0].id)).first()
                if row.idempotency_key == key:
                    return dict(self._view(s, row, actor), created=False)
            check_eligibility(snap, pupil, existing, chosen)
            cleaned = validate_form(form, pupil.grade, snap, self.now, zone_of_academie(actor.get("academie")))
            profile = self._profile(actor)
            app_id = str(uuid.uuid4())
            clocks = C.clocks_for(S.SUBMITTED, submitted_at=self.now)
            values = dict(
                id=app_id, offer_id=snap.id, employer_id=str(snap.employer_id), pupil_id=pupil.user_id,
                school_uai=pupil.school_uai,
                school_category=stats.category(pupil.school_rep, pupil.school_qpv), grade=pupil.grade,
                weeks=list(cleaned["weeks"]), offer_title=snap.title or None, motivation=cleaned["motivation"],
                email=cleaned["email"], phone=cleaned["phone"], address=cleaned["address"],
                legal_representative=cleaned["legal_representative"], state=S.SUBMITTED, submitted_at=self.now,
                updated_at=self.now, idempotency_key=key, **profile, **clocks.as_columns())
            inserted = s.execute(pg_insert(A).values(**values).on_conflict_do_nothing().returning(A.c.id)).first()
            if inserted is None:  # a concurrent twin won the race (same offer or same key)
                twin = s.execute(select(A).where(A.c.pupil_id == pupil.user_id, A.c.idempotency_key == key)
                                 ).first() if key else None
                if twin is not None:
                    return dict(self._view(s, twin, actor), created=False)
                raise Conflict("Vous avez déjà candidaté à cette offre.", code="already_applied")
            t = M.submission(app_id, pupil.user_id, self.now)
            self._record(uow, values, t, values)
            row = s.execute(select(A).where(A.c.id == app_id)).first()
            return dict(self._view(s, row, actor), created=True)

    def _lock(self, s, application_id: str, actor: dict | None):
        """Lock the application (and, for the pupil's confirm/restore, all the pupil's rows)."""
        row = s.execute(select(A).where(A.c.id == str(application_id))).first()
        if row is None:
            raise NotFound("Candidature introuvable.")
        if actor is not None and actor.get("role") not in ("system", "transfer_recipient"):
            visibility.check_view(actor, as_dict(row))
        rows = s.execute(select(A).where(A.c.pupil_id == row.pupil_id).order_by(A.c.id).with_for_update()).all()
        by_id = {r.id: r for r in rows}
        return by_id[row.id], rows

    def transition(self, actor: dict, application_id: str, action: str, **kw) -> dict:
        if action not in M.USER_ACTIONS:
            raise ValidationError(errors={"action": ["Action inconnue."]})
        reserved = None
        released = None
        try:
            with self.db.uow() as uow:
                s = uow.session
                row, pupil_rows = self._lock(s, application_id, actor)
                result = self._transition_locked(uow, row, pupil_rows, actor, action, **kw)
                if result is None:  # nothing to do (the row may still have been expired on the way)
                    return self._view(s, s.execute(select(A).where(A.c.id == row.id)).first(), actor)
                t, cols, notes = result
                reserved = notes.get("reserved")
                released = notes.get("release")
                fresh = s.execute(select(A).where(A.c.id == row.id)).first()
                view = self._view(s, fresh, actor)
        except Exception:
            if reserved:
                self._release(*reserved, compensate=True)
            raise
        if released:
            self._release(*released)
        return view

    def _expire_if_due(self, uow, row, pupil_rows):
        """Apply a deadline the timer has not reached yet (it runs every minute): a user action never
        sees an application past its deadline. Returns the fresh row and pupil rows."""
        facts = facts_of(row)
        due = M.expiry_action(row.state)
        if due is None or not C.is_due(facts.clocks, self.now):
            return row, pupil_rows
        t = M.decide(facts, due, {"role": M.SYSTEM, "user_id": None}, self.now)
        self._apply(uow, row, t)
        fresh = uow.session.execute(select(A).where(A.c.id == row.id)).first()
        return fresh, [fresh if r.id == row.id else r for r in pupil_rows]

    def _transition_locked(self, uow, row, pupil_rows, actor, action, *, reason=None, message=None,
                           email=None, seats_left=None):
        if action != M.CONFIRM:  # a late confirmation is told "confirm_too_late" by the rules themselves
            row, pupil_rows = self._expire_if_due(uow, row, pupil_rows)
        facts = facts_of(row)
        kw = {"reason": reason, "message": message, "transfer_email": email}
        if action == M.ACCEPT and row.state in M.REACCEPT_FROM and seats_left is None:
            seats_left = OfferSnapshot.from_dict(self._offer(row.offer_id)).seats_left
        kw["seats_left"] = seats_left
        if action in (M.CONFIRM, M.RESTORE):
            kw["confirmed"] = [(r.id, tuple(r.weeks or ())) for r in pupil_rows if r.state == S.CONFIRMED]
        t = M.decide(facts, action, actor, self.now, **kw)
        if t is None:
            return None
        notes: dict = {}
        extra = {}
        if t.reserves_seat:
            try:
                self.offers.reserve_seat(offer_id=row.offer_id, application_id=row.id,
                                         week=(list(row.weeks) or [None])[0])
            except Conflict as exc:  # offers says "offer_full" / "offer_not_available": one code for clients
                raise Conflict(exc.detail, code="no_seat_left" if exc.code in ("offer_full", "no_seat_left")
                               else exc.code, extra={"offers_code": exc.code}) from None
            notes["reserved"] = (row.offer_id, row.id)
            extra["seat_held"] = True
        if t.releases_seat:
            notes["release"] = (row.offer_id, row.id)
        cols = self._apply(uow, row, t, **extra)
        if action == M.TRANSFER:
            self._issue_transfer_token(uow, row, t.details["transfer_email"], message)
        if action == M.CONFIRM:
            others = conflicts.cancelled_by_confirmation(
                row.grade, row.id, tuple(row.weeks or ()),
                [(r.id, r.state, tuple(r.weeks or ())) for r in pupil_rows])
            system = {"role": M.SYSTEM, "user_id": None}
            for other in (r for r in pupil_rows if r.id in others):
                ct = M.decide(facts_of(other), M.CANCEL_AFTER_OTHER_CONFIRMED, system, self.now)
                if ct is not None:
                    ct = dataclasses.replace(ct, details={"confirmed_application_id": str(row.id),
                                                          "confirmed_employer_id": str(row.employer_id)})
                    self._apply(uow, other, ct)
        return t, cols, notes

    def _issue_transfer_token(self, uow, row, email: str, message: str | None) -> None:
        token = secrets.token_urlsafe(32)
        uow.session.execute(update(TT).where(TT.c.application_id == row.id, TT.c.used_at.is_(None))
                            .values(used_at=self.now))  # an older link dies with a new transfer
        uow.session.execute(insert(TT).values(token_hash=hash_token(token), application_id=row.id, email=email,
                                              created_at=self.now,
                                              expires_at=C.transfer_link_expires_at(self.now)))
        if settings.env_flag("STAGES_CLOCK_CONTROL"):  # test mode only: cross-service tests read the link
            LAST_TRANSFER_TOKENS[row.id] = token
        # Inside the transaction: the transfer stands only if the link could be queued for sending.
        self.notifications.send_message(
            template="transfer_link", to={"email": email},
            context={"token": token, "application_id": row.id, "offer_title": row.offer_title or "",
                     "message": message or ""},
            key=f"transfer:{hash_token(token)[:32]}")

    def _release(self, offer_id: str, application_id: str, compensate: bool = False, offers=None) -> bool:
        """Give the seat back to offers (idempotent); the timer retries what fails here."""
        try:
            (offers or self.offers).release_seat(offer_id=offer_id, application_id=application_id)
        except Exception as exc:  # offers away: the seat stays flagged, reconcile_seats retries
            log.warning("release_seat(%s, %s) failed: %s", offer_id, application_id, exc)
            return False
        if not compensate:
            with self.db.uow() as uow:
                uow.session.execute(update(A).where(A.c.id == application_id, A.c.state != S.CONFIRMED)
                                    .values(seat_held=False))
        return True

    def bulk(self, actor: dict, action: str, application_ids: list, reason=None, message=None) -> dict:
        if (actor or {}).get("role") != "employer":
            raise Forbidden("Seules les entreprises peuvent traiter des candidatures par lot.")
        if action not in M.BULK_ACTIONS:
            raise ValidationError(errors={"action": [f"Action groupée inconnue : choisissez parmi "
                                                     f"{', '.join(M.BULK_ACTIONS)}."]})
        ids = sorted({str(i) for i in (application_ids or [])})
        if not ids:
            raise ValidationError(errors={"application_ids": ["Choisissez au moins une candidature."]})
        if len(ids) > MAX_BULK:
            raise ValidationError(errors={"application_ids": [f"{MAX_BULK} candidatures au plus par lot."]})
        errors: dict[str, list[str]] = {}
        seats: dict[str, int] = {}
        with self.db.uow() as uow:
            s = uow.session
            rows = {r.id: r for r in s.execute(select(A).where(A.c.id.in_(ids)).order_by(A.c.id)
                                               .with_for_update()).all()}
            done = []
            for app_id in ids:
                row = rows.get(app_id)
                if row is None or row.employer_id != actor.get("user_id"):
                    errors[app_id] = ["Candidature introuvable."]
                    continue
                row, _ = self._expire_if_due(uow, row, [])
                kw = {"reason": reason, "message": message}
                if action == M.ACCEPT and row.state in M.REACCEPT_FROM:
                    if row.offer_id not in seats:
                        seats[row.offer_id] = OfferSnapshot.from_dict(self._offer(row.offer_id)).seats_left
                    kw["seats_left"] = seats[row.offer_id]
                try:
                    t = M.decide(facts_of(row), action, actor, self.now, **kw)
                except ValidationError as exc:
                    raise exc
                except DomainError as exc:
                    errors[app_id] = [exc.detail]
                    continue
                if t is not None:
                    self._apply(uow, row, t)
                done.append(app_id)
            if errors:
                raise Conflict("Aucune candidature n'a été traitée : certaines ne le permettent pas.",
                               errors=errors, code="bulk_refused")
            fresh = s.execute(select(A).where(A.c.id.in_(done)).order_by(A.c.id)).all()
            items = [self._view(s, r, actor, history=False) for r in fresh]
        return {"action": action, "count": len(items), "items": items}

    # -- the public transfer link ------------------------------------------------------------
    def _token_row(self, s, token: str, lock: bool = False):
        q = select(TT).where(TT.c.token_hash == hash_token(str(token or "")))
        if lock:
            q = q.with_for_update()
        tok = s.execute(q).first()
        if tok is None:
            raise NotFound("Ce lien de transfert est invalide.")
        if tok.used_at is not None:
            raise Conflict("Ce lien de transfert a déjà été utilisé.", code="transfer_link_used")
        if self.now >= tok.expires_at:
            raise Conflict("Ce lien de transfert a expiré.", code="transfer_link_expired")
        return tok

    def get_transfer(self, token: str) -> dict:
        with self.db.session() as s:
            tok = self._token_row(s, token)
            row = s.execute(select(A).where(A.c.id == tok.application_id)).first()
            actor = {"role": M.TRANSFER_RECIPIENT, "application_id": row.id, "user_id": None}
            view = self._view(s, row, actor, history=False)
        for k in ("pupil_id", "employer_id", "academie_code", "departement_code", "region_code", "school_category"):
            view.pop(k, None)
        return {"application": view, "expires_at": tok.expires_at.isoformat()}

    def decide_transfer(self, token: str, decision: str, reason=None, message=None) -> dict:
        if decision not in (M.ACCEPT, M.REJECT):
            raise ValidationError(errors={"decision": ["Choisissez « accept » ou « reject »."]})
        with self.db.uow() as uow:
            s = uow.session
            tok = self._token_row(s, token, lock=True)
            row, pupil_rows = self._lock(s, tok.application_id, None)
            actor = {"role": M.TRANSFER_RECIPIENT, "application_id": row.id, "user_id": None}
            result = self._transition_locked(uow, row, pupil_rows, actor, decision, reason=reason, message=message)
            if result is None:
                raise Conflict("Cette candidature a déjà reçu une réponse.", code="invalid_transition")
            s.execute(update(TT).where(TT.c.token_hash == tok.token_hash).values(used_at=self.now))
            fresh = s.execute(select(A).where(A.c.id == row.id)).first()
            view = self._view(s, fresh, actor, history=False)
        for k in ("pupil_id", "employer_id", "academie_code", "departement_code", "region_code", "school_category"):
            view.pop(k, None)
        return view

    # -- the timer ---------------------------------------------------------------------------
    def expire_due(self, batch: int = EXPIRY_BATCH, workers: int = EXPIRY_WORKERS,
                   max_batches: int | None = None) -> int:
        """Expire every overdue application, set-based, one short transaction per batch.

        Each batch locks at most ``batch`` rows (SKIP LOCKED: rows a user is changing are left for the
        next round, and ``workers`` concurrent loops never pick the same rows), updates them, writes
        their history and their events in one statement, and commits.
        """
        import eventlet

        params = expiry_params(self.now, batch)
        budget = {"batches": max_batches}

        def loop(_):
            done_here = 0
            while budget["batches"] is None or budget["batches"] > 0:
                if budget["batches"] is not None:
                    budget["batches"] -= 1
                with self.db.uow() as uow:
                    # The batch's state, history and events commit (or vanish) together, so a crash can only
                    # lose a whole batch, which the next round redoes: no need to wait for the WAL flush.
                    uow.session.execute(text("SET LOCAL synchronous_commit = off"))
                    taken, done = uow.session.execute(EXPIRE_SQL, params).one()
                done_here += done
                if done:
                    self.db.wake_relay()
                if taken < batch:
                    break
            return done_here

        pool = eventlet.GreenPool(max(1, workers))
        return sum(pool.imap(loop, range(max(1, workers))))

    def reconcile_seats(self, limit: int = 50) -> int:
        """Release seats still held by applications that are no longer confirmed (a release that failed).

        Stops at the first failure with a short deadline, so that offers being down never holds the timer
        (and the expiries behind it) for long."""
        with self.db.session() as s:
            rows = s.execute(select(A.c.offer_id, A.c.id).where(A.c.seat_release_due)
                             .limit(limit)).all()
        offers = self.offers.with_timeout(3.0) if hasattr(self.offers, "with_timeout") else self.offers
        done = 0
        for offer_id, app_id in rows:
            if not self._release(offer_id, app_id, offers=offers):
                break
            done += 1
        return done


def expiry_params(now: dt.datetime, batch: int) -> dict:
    """The bind parameters of EXPIRE_SQL."""
    return {"now": now, "now_iso": now.isoformat(), "batch": batch,
            "expire": C.EXPIRE, "expired": C.expiry_target(C.EXPIRE),
            "expired_by_pupil": C.expiry_target(C.EXPIRE_BY_PUPIL),
            "act_expire": M.EXPIRE, "act_expire_by_pupil": M.EXPIRE_BY_PUPIL}


# One statement per batch: take the due entries of the timer's queue (models.deadlines) with their
# applications, move the applications whose deadline has come, write their history and their outbox rows,
# and drop the entries (an entry whose application no longer has that deadline is only dropped).
EXPIRE_SQL = text("""
WITH due AS (
    SELECT q.ctid AS queue_tid, a.ctid AS tid, a.id, a.state AS from_state, a.deadline_at
    FROM application_deadlines q JOIN applications a ON a.id = q.application_id
    WHERE q.due_at <= :now
    ORDER BY q.due_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
), dequeued AS (
    DELETE FROM application_deadlines q
    WHERE q.ctid = ANY(ARRAY(SELECT queue_tid FROM due WHERE deadline_at IS NULL OR deadline_at <= :now))
), requeued AS (
    -- never happens while the triggers keep the queue (a moved deadline moves its entry); kept, not lost
    UPDATE application_deadlines q SET due_at = d.deadline_at FROM due d
    WHERE q.ctid = d.queue_tid AND d.deadline_at > :now
), updated AS (
    -- the rows are locked, so their ctid cannot move: a TID scan, never a pass over the table
    UPDATE applications a
    SET state = CASE WHEN a.deadline_action = CAST(:expire AS text) THEN CAST(:expired AS text)
                     ELSE CAST(:expired_by_pupil AS text) END,
        deadline_at = NULL, deadline_action = NULL, reminder_at = NULL, reminder_to = NULL, updated_at = :now
    WHERE a.ctid = ANY(ARRAY(SELECT tid FROM due WHERE deadline_at <= :now))
    RETURNING a.id, a.offer_id, a.pupil_id, a.employer_id, a.school_uai, a.weeks, a.state
), moved AS (
    SELECT u.*, d.from_state, gen_random_uuid()::text AS event_id FROM updated u JOIN due d USING (id)
), history AS (
    INSERT INTO application_transitions (application_id, action, from_state, to_state, actor_role, actor_id, at)
    SELECT id, CASE WHEN state = CAST(:expired AS text) THEN CAST(:act_expire AS text)
                    ELSE CAST(:act_expire_by_pupil AS text) END, from_state, state, 'system', NULL, :now
    FROM moved
), outboxed AS (
    INSERT INTO outbox (event_id, type, envelope)
    SELECT event_id, 'application.expired', jsonb_build_object(
        'event_id', event_id, 'type', 'application.expired', 'version', 1,
        'occurred_at', CAST(:now_iso AS text), 'producer', 'applications',
        'data', jsonb_build_object(
            'application_id', id, 'offer_id', offer_id, 'pupil_id', pupil_id, 'employer_id', employer_id,
            'school_uai', school_uai, 'weeks', to_jsonb(weeks), 'state', state, 'from_state', from_state,
            'expires_at', CAST(NULL AS text)))
    FROM moved
)
SELECT (SELECT count(*) FROM due), (SELECT count(*) FROM moved)
""")
