"""What the identity service does, over its database: each public method is one RPC.

``Operations(db, now, notify)``: ``db`` has ``uow()`` and ``engine`` (common.db), ``now`` is the
service clock's time and ``notify(template, to, context, key)`` hands a message to the
notifications service (best effort: a user can always ask again). Rules live in ``identity.domain``;
this module reads and writes rows and orchestrates them. Domain errors are raised after the
transaction that records a failure has committed (lockout counters, reuse detection).
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import uuid

from eventlet import tpool
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from common.errors import Conflict, FieldErrors, Forbidden, NotFound, RateLimited, Unauthorized, ValidationError
from common.validation import check_email, check_mobile_phone, check_text, fold, normalize_email, normalize_phone

from . import config, sessions, store
from .domain import access_tokens, accounts, activation_codes, anonymisation, refresh, roles, schools as sdomain
from .domain import staff as staff_rules
from .domain import throttle, tokens, totp
from .domain.passwords import PasswordHasher, check_password
from .domain.pupils_import import grade_from_class, parse_pupils_csv, plan_import
from .models import (login_locks, one_time_tokens, pupil_codes, pupil_imports, rate_events, refresh_families,
                     refresh_tokens, school_heads, schools, staff_audit, users)

log = logging.getLogger("identity")

_HASHER: PasswordHasher | None = None


def hasher() -> PasswordHasher:
    global _HASHER
    if _HASHER is None:
        _HASHER = PasswordHasher(**config.argon2_params())
    return _HASHER


def hash_password(pw: str) -> str:
    return tpool.execute(hasher().hash, pw)


def verify_password(stored: str | None, pw: str) -> bool:
    if not stored:
        tpool.execute(hasher().dummy_verify, pw or "")
        return False
    return tpool.execute(hasher().verify, stored, pw)


GENERIC_LOGIN_ERROR = "Identifiant ou mot de passe incorrect."
RESET_ANSWER = {"status": "accepted",
                "detail": "Si un compte correspond à cette adresse, un e-mail vient de lui être envoyé."}
RESEND_ANSWER = {"status": "accepted",
                 "detail": "Si un compte en attente d'activation correspond à cette adresse, un nouveau lien lui a été envoyé."}


class Operations:
    def __init__(self, db, now: dt.datetime, notify=None, remember_secret=None, deny_sessions=None):
        self.db = db
        self.now = now
        self._notify = notify
        self._remember = remember_secret
        self._deny = deny_sessions or sessions.deny

    # -- helpers -----------------------------------------------------------------------
    def notify(self, template: str, to: dict, context: dict, key: str) -> None:
        if self._notify is None:
            return
        try:
            self._notify(template, to, context, key)
        except Exception as exc:  # the user can ask again (resend, reset); never fail the request
            log.warning("could not hand %s to notifications: %s", template, getattr(exc, "detail", exc))

    def remember(self, kind: str, key: str, secret: str) -> None:
        if self._remember is not None:
            self._remember(kind, key, secret)

    def _rate(self, conn, bucket: str, limit: throttle.Limit, count: bool = True) -> None:
        d = throttle.sliding_window(store.window_events(conn, bucket, self.now - limit.window), self.now, limit)
        if not d.allowed:
            raise RateLimited("Trop de tentatives. Réessayez dans quelques instants.", retry_after=d.retry_after)
        if count:
            store.add_event(conn, bucket, self.now)

    def _rate_check_committed(self, bucket: str, limit: throttle.Limit) -> None:
        """Count an attempt in its own transaction (kept even if the request then fails)."""
        err = None
        with self.db.uow() as uow:
            try:
                self._rate(uow.session, bucket, limit)
            except RateLimited as e:
                err = e
        if err:
            raise err

    def _acting_user(self, conn, actor: dict | None, for_update: bool = False) -> dict:
        """The acting account's record (identity checks its own data, not the token's copy of it).
        Admins are trusted from the token's role."""
        _require_user(actor)
        if actor.get("role") == roles.ADMIN:
            return {"id": actor["user_id"], "role": roles.ADMIN}
        u = store.get_user(conn, actor["user_id"], for_update=for_update) if _is_uuid(actor["user_id"]) else None
        if u is None or u["status"] != "active":
            raise Unauthorized("Session expirée ou révoquée : reconnectez-vous.", code="account_inactive")
        return u

    def _require_confirmed_staff(self, actor: dict | None) -> None:
        """School staff act for their school only once confirmed (docs/school-staff.md)."""
        if actor and actor.get("role") == roles.SCHOOL_STAFF:
            with self.db.session() as s:
                staff_rules.require_confirmed(self._acting_user(s, actor))

    def _audit(self, conn, uai: str, user_id: str, action: str, how: str | None, actor: dict | None,
               previous_user_id: str | None = None) -> None:
        conn.execute(staff_audit.insert().values(
            id=str(uuid.uuid4()), school_uai=uai, user_id=user_id, action=action, how=how,
            actor_id=(actor or {}).get("id"), actor_role=(actor or {}).get("role"),
            previous_user_id=previous_user_id, at=self.now))

    def _confirm(self, conn, uow, target: dict, how: str, by: dict | None) -> bool:
        """Mark ``target`` confirmed, audit it, publish it; designate it head if the school has none.
        Returns whether it became the designated head."""
        conn.execute(update(users).where(users.c.id == target["id"]).values(
            staff_confirmed_at=self.now, staff_confirmed_by=(by or {}).get("id"), staff_confirmed_how=how,
            updated_at=self.now))
        self._audit(conn, target["school_uai"], target["id"], staff_rules.CONFIRMED, how, by)
        uow.emit("staff.confirmed", {"user_id": target["id"], "school_uai": target["school_uai"],
                                     "function": target["function"], "how": how,
                                     "confirmed_by": (by or {}).get("id")})
        head = store.designated_head(conn, target["school_uai"], for_update=True)
        if (how == staff_rules.BY_DEMO or (by or {}).get("role") == roles.ADMIN) and \
                staff_rules.becomes_designated_head(target, head["user_id"] if head else None):
            self._designate(conn, uow, target["school_uai"], target["id"], None, by)
            return True
        return False

    def _designate(self, conn, uow, uai: str, user_id: str, previous: str | None, by: dict | None) -> None:
        values = dict(user_id=user_id, designated_at=self.now, designated_by=(by or {}).get("id"))
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        conn.execute(pg_insert(school_heads).values(school_uai=uai, **values)
                     .on_conflict_do_update(index_elements=["school_uai"], set_=values))
        self._audit(conn, uai, user_id, staff_rules.HEAD_DESIGNATED, None, by, previous_user_id=previous)
        uow.emit("school.head_designated", {"school_uai": uai, "user_id": user_id, "previous_user_id": previous,
                                            "designated_by": (by or {}).get("id")})

    def _claims(self, conn, user: dict) -> dict:
        school = store.get_school(conn, user["school_uai"]) if user.get("school_uai") else None
        u = dict(user)
        if user.get("role") == roles.STATISTICIAN and user.get("stat_scope") == "academie":
            u["academie"] = user.get("stat_scope_code")
        return access_tokens.build_claims(u, school)

    def _access_token(self, claims: dict, session_id: str | None = None) -> str:
        ks = store.cached_keys(self.db.engine, self.now)
        from .domain.keys import signing_key
        k = signing_key(ks, self.now)
        return access_tokens.issue_access_token(claims, k["private_pem"], k["kid"], self.now, session_id=session_id)

    def _tell_identifier_owner(self, owner_id: str, kind: str) -> None:
        """Someone gave an e-mail address or a mobile number that already belongs to an account: the
        answer to them is the same as for a free one, and the owner is told by message."""
        self.notify("identifier_in_use", {"user_id": owner_id}, {"identifier": kind},
                    f"identifier_in_use:{owner_id}:{kind}:{self.now.strftime('%Y%m%d%H')}")

    def _issue(self, conn, user: dict, client: dict | None, family: dict | None = None) -> dict:
        if family is None:
            r = refresh.new_refresh(self.now)
            conn.execute(refresh_families.insert().values(
                id=r.family_id, user_id=user["id"], started_at=self.now, last_used_at=self.now,
                ip=(client or {}).get("ip"), user_agent=((client or {}).get("user_agent") or "")[:300] or None))
        else:
            r = refresh.new_refresh(self.now, family_id=family["id"], family_started_at=family["started_at"])
            conn.execute(update(refresh_families).where(refresh_families.c.id == family["id"])
                         .values(last_used_at=self.now))
        conn.execute(refresh_tokens.insert().values(id=r.token_id, family_id=r.family_id, token_hash=r.token_hash,
                                                    issued_at=self.now, expires_at=r.expires_at))
        claims = self._claims(conn, user)
        return {"access_token": self._access_token(claims, session_id=r.family_id), "token_type": "Bearer",
                "expires_in": int(access_tokens.ACCESS_TTL.total_seconds()),
                "refresh_token": r.raw, "refresh_expires_at": r.expires_at.isoformat(),
                "user": store.user_public(user), "claims": claims}

    def _touch(self, conn, user_id: str, **extra) -> None:
        conn.execute(update(users).where(users.c.id == user_id).values(last_activity_at=self.now,
                                                                        updated_at=self.now, **extra))

    def _new_token(self, conn, user_id: str | None, kind: str) -> tokens.NewToken:
        """A one-time token for ``user_id``. Without a user (a reset asked for an unknown address) the
        same work is done and nothing is stored."""
        store.expire_tokens(conn, user_id or _NO_USER, kind, self.now)
        t = tokens.new_token(kind, self.now)
        if user_id:
            conn.execute(one_time_tokens.insert().values(id=str(uuid.uuid4()), user_id=user_id, kind=kind,
                                                         token_hash=t.token_hash, created_at=self.now,
                                                         expires_at=t.expires_at))
        return t

    def _use_token(self, conn, raw: str, kind: str) -> dict:
        if not isinstance(raw, str) or not raw.strip():
            raise ValidationError(errors={"token": ["Le jeton est obligatoire."]})
        rec = store.find_token(conn, tokens.hash_token(raw.strip()))
        status = tokens.token_status(rec, raw.strip(), kind, self.now)
        if status != tokens.VALID:
            raise Conflict(tokens.MESSAGES[status], code=f"token_{status}") if status != tokens.UNKNOWN else \
                NotFound(tokens.MESSAGES[status], code="token_unknown")
        conn.execute(update(one_time_tokens).where(one_time_tokens.c.id == rec["id"]).values(used_at=self.now))
        return rec

    # -- schools ------------------------------------------------------------------------
    def get_school(self, uai: str) -> dict:
        u = accounts.normalize_uai(uai)
        if not sdomain.is_uai(u):
            raise NotFound("Établissement introuvable.", code="school_not_found")
        with self.db.session() as s:
            sc = store.get_school(s, u)
        if sc is None:
            raise NotFound("Établissement introuvable.", code="school_not_found")
        return store.school_public(sc)

    def search_schools(self, q: str, kind: str | None = None, limit: int = 20, education_prioritaire=None,
                       qpv=None) -> dict:
        filters, errors = sdomain.check_filters(education_prioritaire, qpv)
        if not isinstance(q, str) or len(q.strip()) < 2:
            errors["q"] = ["Saisissez au moins 2 caractères."]
        if kind not in (None, "college", "lycee"):
            errors["kind"] = ["Type invalide : college ou lycee."]
        if errors:
            raise ValidationError(errors=errors)
        limit = max(1, min(int(limit or 20), 50))
        with self.db.session() as s:
            cands = store.school_candidates(s, q, kind, filters=filters)
        ranked = sdomain.rank(q, cands, limit=limit, kind=kind)
        return {"items": [store.school_public(x) for x in ranked], "total": len(ranked)}

    def schools_near(self, lat, lon, radius_km=10, kind: str | None = None, limit: int = 20,
                     education_prioritaire=None, qpv=None) -> dict:
        errors = sdomain.check_point(lat, lon, radius_km)
        filters, filter_errors = sdomain.check_filters(education_prioritaire, qpv)
        errors.update(filter_errors)
        if kind not in (None, "college", "lycee"):
            errors["kind"] = ["Type invalide : college ou lycee."]
        if errors:
            raise ValidationError(errors=errors)
        limit = max(1, min(int(limit or 20), 100))
        with self.db.session() as s:
            box = store.schools_in_box(s, float(lat), float(lon), float(radius_km), kind, filters=filters)
        near = sdomain.nearest(float(lat), float(lon), box, float(radius_km), limit)
        return {"items": [{**store.school_public(sc), "distance_km": d} for d, sc in near], "total": len(near)}

    # -- users (queries for other services) -----------------------------------------------
    def get_user(self, user_id: str) -> dict:
        with self.db.session() as s:
            u = store.get_user(s, str(user_id)) if _is_uuid(user_id) else None
        if u is None:
            raise NotFound("Utilisateur introuvable.", code="user_not_found")
        return store.user_public(u)

    def get_users(self, user_ids) -> dict:
        ids = [str(i) for i in (user_ids or []) if _is_uuid(i)][:500]
        if not ids:
            return {"items": []}
        with self.db.session() as s:
            rows = s.execute(select(users).where(users.c.id.in_(ids))).all()
        by = {r.id: store.user_public(store.row_dict(r)) for r in rows}
        return {"items": [by[i] for i in ids if i in by]}

    def get_contact(self, user_id: str) -> dict:
        with self.db.session() as s:
            u = store.get_user(s, str(user_id)) if _is_uuid(user_id) else None
        if u is None:
            raise NotFound("Utilisateur introuvable.", code="user_not_found")
        anon = u["status"] == "anonymized"
        return {"user_id": u["id"], "email": None if anon else u["email"], "phone": None if anon else u["phone"],
                "first_name": u["first_name"], "last_name": u["last_name"], "role": u["role"],
                "active": u["status"] == "active", "anonymized": anon, "school_uai": u["school_uai"]}

    def list_school_staff(self, uai: str, functions=None) -> dict:
        stmt = select(users).where(users.c.school_uai == accounts.normalize_uai(uai),
                                   users.c.role == roles.SCHOOL_STAFF, users.c.status == "active")
        if functions:
            stmt = stmt.where(users.c.function.in_(list(functions)))
        with self.db.session() as s:
            rows = [store.row_dict(r) for r in s.execute(stmt.order_by(users.c.last_name, users.c.first_name))]
            head = store.designated_head(s, accounts.normalize_uai(uai))
        head_id = head["user_id"] if head else None
        items = [{"user_id": u["id"], "function": u["function"], "first_name": u["first_name"],
                  "last_name": u["last_name"], "confirmed": staff_rules.is_confirmed(u),
                  "designated_head": u["id"] == head_id} for u in rows]
        items.sort(key=lambda x: not x["designated_head"])   # the designated head first (stable otherwise)
        return {"items": items, "designated_head_id": head_id}

    def get_pupil_teachers(self, pupil_id: str) -> dict:
        """Teachers to tell about a pupil: the active teachers of the pupil's school who follow
        the pupil's class (``set_my_classes``); when none has declared it, every teacher of the school."""
        with self.db.session() as s:
            u = store.get_user(s, str(pupil_id)) if _is_uuid(pupil_id) else None
            if u is None or u["role"] != roles.PUPIL:
                raise NotFound("Élève introuvable.", code="pupil_not_found")
            if not u["school_uai"]:
                return {"items": [], "matched_class": False}
            teachers = [store.row_dict(r) for r in s.execute(select(users).where(
                users.c.school_uai == u["school_uai"], users.c.role == roles.SCHOOL_STAFF,
                users.c.function == roles.TEACHER, users.c.status == "active")
                .order_by(users.c.last_name, users.c.first_name))]
        key = _class_key(u["class_name"])
        mine = [t for t in teachers if key and key in {_class_key(c) for c in (t.get("classes") or [])}]
        chosen = mine or teachers
        return {"items": [{"user_id": t["id"], "function": t["function"], "first_name": t["first_name"],
                           "last_name": t["last_name"]} for t in chosen], "matched_class": bool(mine)}

    def set_my_classes(self, actor: dict, classes) -> dict:
        """School staff: the classes they follow (for "the pupil's teacher" messages)."""
        _require_user(actor)
        if actor.get("role") != roles.SCHOOL_STAFF:
            raise Forbidden("Réservé au personnel d'établissement.")
        if not isinstance(classes, list) or len(classes) > 50 or any(
                not isinstance(c, str) or not c.strip() or len(c.strip()) > 40 for c in classes):
            raise ValidationError(errors={"classes": ["Une liste d'au plus 50 noms de classe (40 caractères maximum)."]})
        clean = sorted({c.strip() for c in classes})
        with self.db.uow() as uow:
            uow.session.execute(update(users).where(users.c.id == actor["user_id"])
                                .values(classes=clean, updated_at=self.now))
        return {"classes": clean}

    # -- registration and activation ------------------------------------------------------
    def register(self, data: dict, client: dict | None = None) -> dict:
        data = dict(data or {})
        with self.db.session() as s:
            school = store.get_school(s, accounts.normalize_uai(data.get("school_uai"))) \
                if data.get("role") == roles.SCHOOL_STAFF and data.get("school_uai") else None
        clean = accounts.validate_registration(data, school)
        # Budgets (per e-mail address, per client address as a backstop) are counted by the gateway.
        pw_hash = hash_password(data["password"])
        answer = {"status": "pending_activation",
                  "detail": "Compte créé : cliquez sur le lien envoyé par e-mail pour l'activer (valable 7 jours)."}
        user_id = str(uuid.uuid4())
        raw, target = None, user_id
        told = []   # (owner id, "email" | "phone"): accounts whose identifier was given again
        try:
            with self.db.uow() as uow:
                c = uow.session
                existing = c.execute(select(users.c.id, users.c.status).where(users.c.email == clean["email"])).first()
                phone_owner = c.execute(select(users.c.id).where(users.c.phone == clean["phone"])).first() \
                    if clean["phone"] else None
                if phone_owner is not None and (existing is None or phone_owner.id != existing.id):
                    # Same answer as a free number: the account is created without it (the person adds a
                    # number later from the profile) and the number's owner is told.
                    told.append((phone_owner.id, "phone"))
                    clean["phone"] = None
                if existing is not None:
                    # Same answer as a new account: registration must not reveal who has an account.
                    # A pending account gets a fresh activation link (the first one may be lost);
                    # an active one is told that someone tried to register with its address.
                    target = existing.id
                    if existing.status == "pending_activation":
                        raw = self._new_token(c, existing.id, tokens.ACTIVATION).raw
                    else:
                        told.append((existing.id, "email"))
                else:
                    c.execute(users.insert().values(
                        id=user_id, role=clean["role"], status=accounts.initial_status(clean["role"]),
                        email=clean["email"], phone=clean["phone"], password_hash=pw_hash,
                        first_name=clean["first_name"], last_name=clean["last_name"], function=clean["function"],
                        job_title=clean["job_title"], organisation_name=clean["organisation_name"],
                        school_uai=clean["school_uai"], stat_scope=clean["stat_scope"],
                        stat_scope_code=clean["stat_scope_code"], created_at=self.now, updated_at=self.now,
                        last_activity_at=self.now))
                    raw = self._new_token(c, user_id, tokens.ACTIVATION).raw
                    uow.emit("user.registered", {"user_id": user_id, "role": clean["role"],
                                                 "school_uai": clean["school_uai"], "function": clean["function"]})
        except IntegrityError:   # the same e-mail or phone registered concurrently
            log.info("concurrent registration with the same e-mail or phone")
            return answer
        for owner_id, kind in told:
            self._tell_identifier_owner(owner_id, kind)
        if raw:
            self.remember(tokens.ACTIVATION, clean["email"], raw)
            self.notify("account_activation", {"user_id": target}, {"token": raw},
                        f"activation:{tokens.hash_token(raw)[:32]}")
        return answer

    def activate(self, token: str) -> dict:
        with self.db.uow() as uow:
            c = uow.session
            rec = self._use_token(c, token, tokens.ACTIVATION)
            u = store.get_user(c, rec["user_id"], for_update=True)
            if u["status"] != "pending_activation":
                raise Conflict("Ce compte est déjà activé.", code="already_active")
            status = accounts.status_after_activation(u["role"])
            self._touch(c, u["id"], status=status, activated_at=self.now)
            uow.emit("user.activated", {"user_id": u["id"], "role": u["role"], "school_uai": u["school_uai"],
                                        "grade": u["grade"]})
        detail = "Votre compte est activé : vous pouvez vous connecter." if status == "active" else \
            "Votre adresse est confirmée ; un administrateur doit encore valider votre compte."
        if u["role"] == roles.SCHOOL_STAFF and not staff_rules.is_confirmed(u):
            detail += (" Pour agir au nom de l'établissement, votre compte doit encore être confirmé par un "
                       "administrateur (premier chef d'établissement) ou par le chef d'établissement.")
        return {"status": status, "user_id": u["id"], "detail": detail}

    def resend_activation(self, email: str, client: dict | None = None) -> dict:
        if check_email(email):
            raise ValidationError(errors={"email": ["Adresse e-mail invalide."]})
        email = normalize_email(email)
        ip = (client or {}).get("ip") or "unknown"
        self._rate_check_committed(f"resend:ip:{ip}", config.limit("resend_ip", throttle.RESET_PER_IP))
        self._rate_check_committed(f"resend:acct:{email}", config.limit("resend_account", throttle.RESET_PER_ACCOUNT))
        raw = None
        with self.db.uow() as uow:
            u = store.find_by_login(uow.session, "email", email)
            if u is not None and u["status"] == "pending_activation":
                t = self._new_token(uow.session, u["id"], tokens.ACTIVATION)
                raw = t.raw
        if raw:
            self.remember(tokens.ACTIVATION, email, raw)
            self.notify("account_activation", {"user_id": u["id"]}, {"token": raw},
                        f"activation:{tokens.hash_token(raw)[:32]}")
        return RESEND_ANSWER

    # -- login, refresh, logout ---------------------------------------------------------
    def login(self, identifier: str, password: str, totp_code: str | None = None, client: dict | None = None) -> dict:
        ident = accounts.normalize_login_identifier(identifier)
        if not isinstance(password, str) or not password:
            raise ValidationError(errors={"password": ["Le mot de passe est obligatoire."]})
        if ident is None:
            raise ValidationError(errors={"identifier": ["Saisissez votre adresse e-mail ou votre numéro de mobile."]})
        ip = (client or {}).get("ip") or "unknown"
        ip_limit = config.limit("login_failures_ip", config.LOGIN_FAILURES_PER_IP)
        acct_limit = config.limit("login_account", throttle.LOGIN_PER_ACCOUNT)
        err = None
        with self.db.uow() as uow:
            c = uow.session
            try:
                # Failed attempts from this address (not counted here: counted on failure).
                self._rate(c, f"login_fail:ip:{ip}", ip_limit, count=False)
                user = store.find_by_login(c, *ident)
                key = f"user:{user['id']}" if user else f"id:{ident[0]}:{ident[1]}"
                lock = store.lock_row(c, key, self.now)
                state = throttle.LockState(lock["failed_count"], lock["locked_until"])
                if throttle.is_locked(state, self.now):
                    raise RateLimited("Trop d'échecs de connexion : ce compte est bloqué pendant 15 minutes. "
                                      "Réessayez plus tard ou réinitialisez votre mot de passe.",
                                      code="account_locked", retry_after=throttle.lock_retry_after(state, self.now))
                self._rate(c, f"login:acct:{key}", acct_limit)
            except RateLimited as e:
                err = e
        if err:
            raise err
        ok = verify_password(user["password_hash"] if user else None, password)
        if not ok:
            with self.db.uow() as uow:
                c = uow.session
                lock = store.lock_row(c, key, self.now)
                st = throttle.after_failure(throttle.LockState(lock["failed_count"], lock["locked_until"]), self.now)
                store.save_lock(c, key, st.failed_count, st.locked_until, self.now)
                store.add_event(c, f"login_fail:ip:{ip}", self.now)
            if st.locked_until is not None and lock["locked_until"] != st.locked_until:
                log.warning("login locked for 15 minutes after repeated failures (%s, ip %s)",
                            key if key.startswith("user:") else "unknown identifier", ip)
            raise Unauthorized(GENERIC_LOGIN_ERROR, code="invalid_credentials")
        # The password is right: now the account's state may be told.
        blocked = accounts.LOGIN_BLOCKED_STATUSES.get(user["status"]) if user["status"] != "active" else None
        if user["status"] != "active":
            if blocked is None:
                raise Unauthorized(GENERIC_LOGIN_ERROR, code="invalid_credentials")
            raise Forbidden(blocked, code=f"account_{user['status']}")
        if user["role"] == roles.ADMIN:
            self._check_totp(user, totp_code, key, ip)
        with self.db.uow() as uow:
            c = uow.session
            store.save_lock(c, key, 0, None, self.now)
            fresh = store.get_user(c, user["id"], for_update=True)
            self._touch(c, user["id"], last_login_at=self.now)
            if hasher().needs_rehash(fresh["password_hash"]):
                c.execute(update(users).where(users.c.id == user["id"])
                          .values(password_hash=hash_password(password)))
            out = self._issue(c, fresh, client)
        return out

    def _check_totp(self, user: dict, code, key: str, ip: str) -> None:
        if not user.get("totp_secret"):
            raise Forbidden("Le second facteur (TOTP) de ce compte administrateur n'est pas configuré.",
                            code="totp_not_configured")
        if not code:
            raise Unauthorized("Saisissez le code à 6 chiffres de votre application d'authentification.",
                               code="totp_required")
        with self.db.uow() as uow:
            c = uow.session
            u = store.get_user(c, user["id"], for_update=True)
            step = totp.verify(u["totp_secret"], str(code), self.now, u.get("totp_last_step"))
            if step is None:
                lock = store.lock_row(c, key, self.now)
                st = throttle.after_failure(throttle.LockState(lock["failed_count"], lock["locked_until"]), self.now)
                store.save_lock(c, key, st.failed_count, st.locked_until, self.now)
                store.add_event(c, f"login_fail:ip:{ip}", self.now)
            else:
                c.execute(update(users).where(users.c.id == u["id"]).values(totp_last_step=step))
        if step is None:
            raise Unauthorized("Code de vérification incorrect.", code="totp_invalid")

    def refresh(self, refresh_token: str, client: dict | None = None) -> dict:
        if not isinstance(refresh_token, str) or not refresh_token:
            raise ValidationError(errors={"refresh_token": ["Le jeton de renouvellement est obligatoire."]})
        err = None
        out = None
        with self.db.uow() as uow:
            c = uow.session
            # the token's row is locked: two tabs refreshing at once are served one after the other
            t, fam = store.find_refresh(c, tokens.hash_token(refresh_token))
            decision = refresh.refresh_decision(t, fam, self.now)
            if decision == refresh.GRACE:
                # the same token again within seconds (another tab, a retried request): the same new pair
                out = refresh.open_successor(refresh_token, t["successor"])
                if out is None:
                    decision = refresh.REUSE
            if decision == refresh.REUSE:
                c.execute(update(refresh_families).where(refresh_families.c.id == fam["id"])
                          .values(revoked_at=self.now, revoked_reason="reuse"))
                self._deny([fam["id"]])
                log.warning("refresh token reuse detected; family %s revoked", fam["id"])
                err = Unauthorized("Session révoquée : reconnectez-vous.", code="refresh_reused")
            elif decision == refresh.GRACE:
                pass
            elif decision != refresh.ROTATE:
                err = Unauthorized("Session expirée ou révoquée : reconnectez-vous.", code=f"refresh_{decision}")
            else:
                user = store.get_user(c, fam["user_id"])
                if user is None or user["status"] != "active":
                    err = Unauthorized("Session expirée ou révoquée : reconnectez-vous.", code="refresh_revoked")
                else:
                    self._touch(c, user["id"])
                    out = self._issue(c, user, client, family=fam)
                    c.execute(update(refresh_tokens).where(refresh_tokens.c.id == t["id"]).values(
                        used_at=self.now, successor=refresh.seal_successor(refresh_token, out)))
        if err:
            raise err
        return out

    def session_active(self, session_id: str) -> dict:
        """Is this session (refresh family, claim ``sid``) still open? The gateway asks when Redis,
        where closed sessions are listed, does not answer."""
        if not _is_uuid(session_id):
            return {"active": False}
        with self.db.session() as s:
            row = s.execute(select(refresh_families.c.revoked_at, users.c.status)
                            .join(users, users.c.id == refresh_families.c.user_id)
                            .where(refresh_families.c.id == str(session_id))).first()
        return {"active": row is not None and row.revoked_at is None and row.status == "active"}

    def logout(self, refresh_token: str | None = None, actor: dict | None = None, all_sessions: bool = False) -> dict:
        revoked = 0
        with self.db.uow() as uow:
            c = uow.session
            if refresh_token:
                t, fam = store.find_refresh(c, tokens.hash_token(refresh_token))
                if fam is not None and fam["revoked_at"] is None and \
                        (actor is None or actor.get("user_id") == fam["user_id"]):
                    revoked += c.execute(update(refresh_families).where(refresh_families.c.id == fam["id"])
                                         .values(revoked_at=self.now, revoked_reason="logout")).rowcount
                    self._deny([fam["id"]])
            if all_sessions and actor and actor.get("user_id"):
                closed = store.revoke_families(c, actor["user_id"], self.now, "logout_all")
                self._deny(closed)
                revoked += len(closed)
        return {"status": "logged_out", "revoked_sessions": revoked}

    # -- password reset -------------------------------------------------------------------
    def request_password_reset(self, email: str, client: dict | None = None) -> dict:
        ident = accounts.normalize_login_identifier(email)
        if ident is None:
            raise ValidationError(errors={"email": ["Saisissez votre adresse e-mail ou votre numéro de mobile."]})
        ip = (client or {}).get("ip") or "unknown"
        self._rate_check_committed(f"reset:ip:{ip}", config.limit("reset_ip", throttle.RESET_PER_IP))
        self._rate_check_committed(f"reset:acct:{ident[1]}", config.limit("reset_account", throttle.RESET_PER_ACCOUNT))
        # The same work whether or not an account can be reset (the answer's timing told them apart):
        # one token made, the same statements, one message handed to notifications — the link to
        # the account, or to the address (or number) given, that no active account uses it.
        with self.db.uow() as uow:
            user = store.find_by_login(uow.session, *ident)
            if user is None or user["status"] not in ("active", "pending_validation"):
                user = None
            t = self._new_token(uow.session, user["id"] if user else None, tokens.PASSWORD_RESET)
        if user is not None:
            self.remember(tokens.PASSWORD_RESET, ident[1], t.raw)
            self.notify("password_reset", {"user_id": user["id"]}, {"token": t.raw}, f"reset:{t.token_hash[:32]}")
        else:
            self.notify("password_reset_no_account", {ident[0]: ident[1]}, {}, f"reset:{t.token_hash[:32]}")
        return RESET_ANSWER

    def confirm_password_reset(self, token: str, password: str) -> dict:
        m = check_password(password)
        if m:
            raise ValidationError(errors={"password": [m]})
        pw_hash = hash_password(password)
        with self.db.uow() as uow:
            c = uow.session
            rec = self._use_token(c, token, tokens.PASSWORD_RESET)
            store.expire_tokens(c, rec["user_id"], tokens.PASSWORD_RESET, self.now)
            self._touch(c, rec["user_id"], password_hash=pw_hash)
            closed = store.revoke_families(c, rec["user_id"], self.now, "password_reset")
            self._deny(closed)
            store.save_lock(c, f"user:{rec['user_id']}", 0, None, self.now)
        return {"status": "password_changed", "revoked_sessions": len(closed),
                "detail": "Mot de passe modifié : toutes vos sessions ont été fermées. Connectez-vous à nouveau."}

    def change_password(self, actor: dict, current_password: str, new_password: str) -> dict:
        _require_user(actor)
        m = check_password(new_password)
        if m:
            raise ValidationError(errors={"new_password": [m]})
        with self.db.session() as s:
            u = store.get_user(s, actor["user_id"])
        if u is None or not verify_password(u["password_hash"], current_password or ""):
            raise ValidationError(errors={"current_password": ["Mot de passe actuel incorrect."]})
        pw_hash = hash_password(new_password)
        with self.db.uow() as uow:
            self._touch(uow.session, u["id"], password_hash=pw_hash)
            closed = store.revoke_families(uow.session, u["id"], self.now, "password_change")
            self._deny(closed)
        return {"status": "password_changed", "revoked_sessions": len(closed)}

    # -- profile and personal data ---------------------------------------------------------
    def get_me(self, actor: dict) -> dict:
        _require_user(actor)
        with self.db.session() as s:
            u = store.get_user(s, actor["user_id"])
            if u is None or u["status"] == "anonymized":
                raise NotFound("Compte introuvable.", code="user_not_found")
            school = store.get_school(s, u["school_uai"]) if u["school_uai"] else None
        out = store.user_public(u)
        out.update({"email": u["email"], "phone": u["phone"], "school": store.school_public(school),
                    "totp_enabled": bool(u.get("totp_secret"))})
        if u["role"] == roles.SCHOOL_STAFF:
            out["classes"] = u.get("classes") or []
            with self.db.session() as s:
                head = store.designated_head(s, u["school_uai"]) if u["school_uai"] else None
            out["designated_head"] = bool(head) and head["user_id"] == u["id"]
        if u["role"] == roles.PUPIL:
            out["birth_date"] = store.iso(u["birth_date"])
        return out

    def get_my_data(self, actor: dict) -> dict:
        """Everything identity holds about the caller (GDPR right of access)."""
        _require_user(actor)
        uid = actor["user_id"]
        with self.db.session() as s:
            u = store.get_user(s, uid)
            if u is None:
                raise NotFound("Compte introuvable.", code="user_not_found")
            school = store.get_school(s, u["school_uai"]) if u["school_uai"] else None
            fams = [store.row_dict(r) for r in s.execute(select(refresh_families).where(
                refresh_families.c.user_id == uid).order_by(refresh_families.c.started_at))]
            toks = [store.row_dict(r) for r in s.execute(select(one_time_tokens).where(
                one_time_tokens.c.user_id == uid).order_by(one_time_tokens.c.created_at))]
            codes = [store.row_dict(r) for r in s.execute(select(pupil_codes).where(
                pupil_codes.c.user_id == uid).order_by(pupil_codes.c.created_at))]
            imports = [store.row_dict(r) for r in s.execute(select(pupil_imports).where(
                pupil_imports.c.imported_by == uid).order_by(pupil_imports.c.created_at))]
            lock = store.row_dict(s.execute(select(login_locks).where(login_locks.c.key == f"user:{uid}")).first())
        account = {k: (store.iso(v) if isinstance(v, (dt.date, dt.datetime)) else v) for k, v in u.items()
                   if k not in ("password_hash", "totp_secret", "totp_last_step", "pupil_key")}
        account["password"] = "défini (stocké sous forme d'empreinte Argon2id)" if u["password_hash"] else "non défini"
        account["totp"] = "activé" if u.get("totp_secret") else "non activé"
        return {
            "generated_at": self.now.isoformat(),
            "controller": "Plateforme « 1 élève, 1 stage » — service d'identité",
            "account": account,
            "school": store.school_public(school),
            "sessions": [{"id": f["id"], "started_at": store.iso(f["started_at"]),
                          "last_used_at": store.iso(f["last_used_at"]), "revoked_at": store.iso(f["revoked_at"]),
                          "revoked_reason": f["revoked_reason"], "ip": f["ip"], "user_agent": f["user_agent"]}
                         for f in fams],
            "one_time_tokens": [{"kind": t["kind"], "created_at": store.iso(t["created_at"]),
                                 "expires_at": store.iso(t["expires_at"]), "used_at": store.iso(t["used_at"])}
                                for t in toks],
            "activation_codes": [{"created_at": store.iso(x["created_at"]), "expires_at": store.iso(x["expires_at"]),
                                  "used_at": store.iso(x["used_at"])} for x in codes],
            "pupil_imports": [{"id": i["id"], "school_uai": i["school_uai"], "created_at": store.iso(i["created_at"]),
                               "filename": i["filename"], "summary": i["summary"]} for i in imports],
            "login_lock": {"failed_count": lock["failed_count"], "locked_until": store.iso(lock["locked_until"])}
            if lock else None,
            "retention": {"anonymisation_due_at": anonymisation.anonymisation_due_at(
                u["role"], u["last_activity_at"]).isoformat(),
                "rule": "élèves : 1 an après la dernière activité ; autres comptes : 2 ans."},
        }

    # -- colleagues -----------------------------------------------------------------------
    def invite_colleague(self, actor: dict, email: str, function: str, first_name: str | None = None,
                         last_name: str | None = None, school_uai: str | None = None) -> dict:
        uai = accounts.normalize_uai(school_uai or (actor or {}).get("school_uai"))
        roles.require_can_invite(actor, uai)
        with self.db.session() as s:
            inviter = self._acting_user(s, actor)
        staff_rules.check_can_invite(inviter, uai, function)
        errs = FieldErrors()
        if check_email(email):
            errs.add("email", "Adresse e-mail invalide.")
        if function not in roles.STAFF_FUNCTIONS:
            errs.add("function", "Fonction invalide : chef d'établissement, professeur, CPE ou personnel administratif.")
        for f, v in (("first_name", first_name), ("last_name", last_name)):
            m = check_text(v, required=False, max_len=100)
            if m:
                errs.add(f, m)
        with self.db.session() as s:
            school = store.get_school(s, uai)
        if school is None:
            raise NotFound("Établissement introuvable.", code="school_not_found")
        if not errs.errors.get("email"):
            from .domain.academic import check_academic_email
            m = check_academic_email(email, school["academie_name"])
            if m:
                errs.add("email", m)
        errs.raise_if_any()
        email = normalize_email(email)
        user_id = str(uuid.uuid4())
        with self.db.uow() as uow:
            c = uow.session
            if store.email_taken(c, email):
                raise Conflict("Un compte existe déjà avec cette adresse.", code="email_taken")
            c.execute(users.insert().values(
                id=user_id, role=roles.SCHOOL_STAFF, status="invited", email=email,
                first_name=(first_name or "").strip(), last_name=(last_name or "").strip(), function=function,
                school_uai=uai, invited_by=actor.get("user_id"), created_at=self.now, updated_at=self.now,
                last_activity_at=self.now))
            t = self._new_token(c, user_id, tokens.INVITATION)
            uow.emit("user.registered", {"user_id": user_id, "role": roles.SCHOOL_STAFF, "school_uai": uai,
                                         "function": function})
        self.remember(tokens.INVITATION, email, t.raw)
        inviter = self._display_name(actor.get("user_id"))
        self.notify("colleague_invitation", {"email": email, "name": f"{first_name or ''} {last_name or ''}".strip()},
                    {"token": t.raw, "school_uai": uai, "school_name": school["name"], "inviter_name": inviter},
                    f"invitation:{t.token_hash[:32]}")
        return {"user_id": user_id, "status": "invited", "email": email, "function": function, "school_uai": uai,
                "expires_at": t.expires_at.isoformat()}

    def _display_name(self, user_id) -> str:
        if not user_id:
            return ""
        with self.db.session() as s:
            u = store.get_user(s, user_id)
        return f"{u['first_name']} {u['last_name']}".strip() if u else ""

    def accept_invitation(self, token: str, first_name: str, last_name: str, password: str,
                          phone: str | None = None) -> dict:
        errs = FieldErrors()
        for f, v in (("first_name", first_name), ("last_name", last_name)):
            m = check_text(v, max_len=100)
            if m:
                errs.add(f, m)
        m = check_password(password)
        if m:
            errs.add("password", m)
        if phone:
            m = check_mobile_phone(phone)
            if m:
                errs.add("phone", m)
        errs.raise_if_any()
        pw_hash = hash_password(password)
        with self.db.uow() as uow:
            c = uow.session
            rec = self._use_token(c, token, tokens.INVITATION)
            u = store.get_user(c, rec["user_id"], for_update=True)
            if u["status"] != "invited":
                raise Conflict("Cette invitation a déjà été acceptée.", code="already_active")
            p = normalize_phone(phone) if phone else None
            owner_id = store.identifier_owner(c, "phone", p, except_id=u["id"]) if p else None
            if owner_id:
                p = None   # not recorded, same answer; its owner is told below
            self._touch(c, u["id"], status="active", activated_at=self.now, password_hash=pw_hash,
                        first_name=first_name.strip(), last_name=last_name.strip(), phone=p)
            uow.emit("user.activated", {"user_id": u["id"], "role": u["role"], "school_uai": u["school_uai"],
                                        "grade": None})
            inviter = store.get_user(c, u["invited_by"]) if _is_uuid(u.get("invited_by")) else None
            confirmed = staff_rules.confirmed_by_invitation(inviter, u["school_uai"])
            if confirmed:
                self._confirm(c, uow, store.get_user(c, u["id"]), staff_rules.BY_INVITATION, inviter)
        if owner_id:
            self._tell_identifier_owner(owner_id, "phone")
        detail = "Votre compte est activé : vous pouvez vous connecter."
        if not confirmed:
            detail += " Le chef d'établissement doit encore confirmer votre compte pour que vous puissiez agir " \
                      "au nom de l'établissement."
        return {"status": "active", "user_id": u["id"], "staff_confirmed": confirmed, "detail": detail}

    # -- pupils ------------------------------------------------------------------------------
    def import_pupils(self, actor: dict, uai: str, content_base64: str, filename: str | None = None,
                      render_pdf=None, dry_run: bool = False) -> dict:
        uai = accounts.normalize_uai(uai)
        roles.require_staff_of(actor, uai)
        self._require_confirmed_staff(actor)
        try:
            data = base64.b64decode(content_base64 or "", validate=True)
        except Exception:
            raise ValidationError(errors={"file": ["Le contenu du fichier est illisible (base64 attendu)."]})
        with self.db.session() as s:
            school = store.get_school(s, uai)
        if school is None:
            raise NotFound("Établissement introuvable.", code="school_not_found")
        parsed = parse_pupils_csv(data, self.now.date(), school["kind"])
        if parsed.file_errors:
            raise ValidationError("Le fichier ne peut pas être importé.", errors={"file": parsed.file_errors})
        if dry_run:
            return self._preview_import(uai, parsed)
        import_id = str(uuid.uuid4())
        new_codes = []
        with self.db.uow() as uow:
            c = uow.session
            # one import at a time per school (two staff members importing the same file)
            c.execute(select(func.pg_advisory_xact_lock(func.hashtext("pupils:" + uai))))
            plan = plan_import(parsed.rows, self._known_pupils(c, uai))
            rejected = [r.to_dict() for r in parsed.rejected] + [r.to_dict() for r in plan.conflicts]
            # INE and e-mail are unique across schools: check the rows to create/update.
            created, updated = [], []
            for row in plan.create:
                problem = self._pupil_uniqueness(c, row.ine, row.email, None)
                if problem:
                    rejected.append({"line": row.line, "values": row.to_dict(), "reasons": [problem]})
                    continue
                pid = str(uuid.uuid4())
                c.execute(users.insert().values(
                    id=pid, role=roles.PUPIL, status="pending_activation", email=row.email, first_name=row.first_name,
                    last_name=row.last_name, school_uai=uai, grade=row.grade, class_name=row.class_name,
                    birth_date=row.birth_date, ine=row.ine, pupil_key=row.key, invited_by=actor.get("user_id"),
                    created_at=self.now, updated_at=self.now, last_activity_at=self.now))
                code = activation_codes.new_code()
                c.execute(pupil_codes.insert().values(id=str(uuid.uuid4()), user_id=pid,
                                                      code_hash=activation_codes.hash_code(code), import_id=import_id,
                                                      created_at=self.now, expires_at=self.now + activation_codes.TTL))
                new_codes.append({"pupil_id": pid, "last_name": row.last_name, "first_name": row.first_name,
                                  "class_name": row.class_name, "grade": row.grade, "code": code})
                created.append({"line": row.line, "pupil_id": pid})
            for pid, row, changes in plan.update:
                problem = self._pupil_uniqueness(c, changes.get("ine"), changes.get("email"), pid)
                if problem:
                    rejected.append({"line": row.line, "values": row.to_dict(), "reasons": [problem]})
                    continue
                changes = dict(changes)
                if "last_name" in changes or "first_name" in changes:
                    changes["pupil_key"] = row.key
                c.execute(update(users).where(users.c.id == pid).values(updated_at=self.now, **changes))
                updated.append({"line": row.line, "pupil_id": pid, "changes": sorted(changes)})
            unchanged = [{"line": row.line, "pupil_id": pid} for pid, row in plan.unchanged]
            rejected.sort(key=lambda r: r["line"])
            summary = {"created": len(created), "updated": len(updated), "unchanged": len(unchanged),
                       "rejected": len(rejected), "encoding": parsed.encoding, "delimiter": parsed.delimiter,
                       "columns": parsed.columns, "ignored_columns": parsed.ignored_columns}
            report = {"created": created, "updated": updated, "unchanged": unchanged, "rejected": rejected}
            c.execute(pupil_imports.insert().values(
                id=import_id, school_uai=uai, imported_by=actor.get("user_id") or "admin",
                filename=(filename or "")[:255] or None, file_sha256=hashlib.sha256(data).hexdigest(),
                created_at=self.now, summary=summary, report=report))
            if created or updated:
                uow.emit("pupil.imported", {"import_id": import_id, "school_uai": uai,
                                            "created": [x["pupil_id"] for x in created],
                                            "updated": [x["pupil_id"] for x in updated]})
        for e in new_codes:
            self.remember("pupil_code", e["pupil_id"], e["code"])
        pdf = render_pdf(school, new_codes, self.now) if render_pdf else None
        return {"import_id": import_id, "school_uai": uai, "summary": summary, "report": report,
                "codes": new_codes, "codes_expire_at": (self.now + activation_codes.TTL).isoformat(),
                "sheet_pdf_base64": base64.b64encode(pdf).decode("ascii") if pdf else None}

    @staticmethod
    def _known_pupils(c, uai: str) -> list[dict]:
        return [store.row_dict(r) for r in c.execute(
            select(users.c.id, users.c.pupil_key.label("key"), users.c.ine, users.c.email, users.c.last_name,
                   users.c.first_name, users.c.class_name, users.c.grade)
            .where(users.c.school_uai == uai, users.c.role == roles.PUPIL, users.c.status != "anonymized"))]

    def _preview_import(self, uai: str, parsed) -> dict:
        """What ``import_pupils`` would do with this file, written nowhere (no pupil, code, import or event):
        the same report, each row with its values, so that the school checks it before importing."""
        with self.db.session() as c:
            plan = plan_import(parsed.rows, self._known_pupils(c, uai))
            rejected = [r.to_dict() for r in parsed.rejected] + [r.to_dict() for r in plan.conflicts]
            created, updated = [], []
            for row in plan.create:
                problem = self._pupil_uniqueness(c, row.ine, row.email, None)
                if problem:
                    rejected.append({"line": row.line, "values": row.to_dict(), "reasons": [problem]})
                else:
                    created.append({"line": row.line, "pupil_id": None, "values": row.to_dict()})
            for pid, row, changes in plan.update:
                problem = self._pupil_uniqueness(c, changes.get("ine"), changes.get("email"), pid)
                if problem:
                    rejected.append({"line": row.line, "values": row.to_dict(), "reasons": [problem]})
                else:
                    updated.append({"line": row.line, "pupil_id": pid, "changes": sorted(changes),
                                    "values": row.to_dict()})
        unchanged = [{"line": row.line, "pupil_id": pid, "values": row.to_dict()} for pid, row in plan.unchanged]
        rejected.sort(key=lambda r: r["line"])
        summary = {"created": len(created), "updated": len(updated), "unchanged": len(unchanged),
                   "rejected": len(rejected), "encoding": parsed.encoding, "delimiter": parsed.delimiter,
                   "columns": parsed.columns, "ignored_columns": parsed.ignored_columns}
        return {"import_id": None, "school_uai": uai, "dry_run": True, "summary": summary,
                "report": {"created": created, "updated": updated, "unchanged": unchanged, "rejected": rejected},
                "codes": [], "codes_expire_at": None, "sheet_pdf_base64": None}

    def _pupil_uniqueness(self, c, ine, email, pupil_id) -> str | None:
        if ine:
            q = select(users.c.id).where(users.c.ine == ine)
            if pupil_id:
                q = q.where(users.c.id != pupil_id)
            if c.execute(q).first():
                return "Cet INE est déjà celui d'un élève d'un autre établissement."
        if email and store.email_taken(c, email, except_id=pupil_id):
            return "Cette adresse e-mail est déjà utilisée par un autre compte."
        return None

    def regenerate_codes(self, actor: dict, uai: str, pupil_ids, render_pdf=None) -> dict:
        """New codes for pupils who have not activated their account (lost sheet); old codes stop working."""
        uai = accounts.normalize_uai(uai)
        roles.require_staff_of(actor, uai)
        self._require_confirmed_staff(actor)
        ids = [str(i) for i in (pupil_ids or []) if _is_uuid(i)]
        new_codes = []
        with self.db.uow() as uow:
            c = uow.session
            rows = [store.row_dict(r) for r in c.execute(select(users).where(
                users.c.id.in_(ids), users.c.school_uai == uai, users.c.role == roles.PUPIL,
                users.c.status == "pending_activation"))] if ids else []
            for u in rows:
                c.execute(update(pupil_codes).where(pupil_codes.c.user_id == u["id"], pupil_codes.c.used_at.is_(None))
                          .values(used_at=self.now))
                code = activation_codes.new_code()
                c.execute(pupil_codes.insert().values(id=str(uuid.uuid4()), user_id=u["id"],
                                                      code_hash=activation_codes.hash_code(code), created_at=self.now,
                                                      expires_at=self.now + activation_codes.TTL))
                new_codes.append({"pupil_id": u["id"], "last_name": u["last_name"], "first_name": u["first_name"],
                                  "class_name": u["class_name"], "grade": u["grade"], "code": code})
            school = store.get_school(c, uai)
        for e in new_codes:
            self.remember("pupil_code", e["pupil_id"], e["code"])
        pdf = render_pdf(school, new_codes, self.now) if render_pdf and school else None
        return {"codes": new_codes, "sheet_pdf_base64": base64.b64encode(pdf).decode("ascii") if pdf else None}

    def pupil_activate(self, code: str, password: str, email: str | None = None, phone: str | None = None,
                       client: dict | None = None) -> dict:
        ip = (client or {}).get("ip") or "unknown"
        bucket = f"pupil_code_fail:ip:{ip}"
        with self.db.session() as s:   # failed attempts from this address (a classroom shares one)
            self._rate(s, bucket, config.limit("pupil_code_ip", throttle.PUPIL_ACTIVATE_PER_IP), count=False)
        errs = FieldErrors()
        h = activation_codes.hash_code(code) if isinstance(code, str) else None
        if h is None:
            errs.add("code", activation_codes.MESSAGES["unknown"])
        m = check_password(password)
        if m:
            errs.add("password", m)
        if email not in (None, "") and check_email(email):
            errs.add("email", "Adresse e-mail invalide.")
        if phone not in (None, "") and check_mobile_phone(phone):
            errs.add("phone", check_mobile_phone(phone))
        errs.raise_if_any()
        pw_hash = hash_password(password)
        with self.db.uow() as uow:
            c = uow.session
            rec = store.row_dict(c.execute(select(pupil_codes).where(pupil_codes.c.code_hash == h)
                                           .with_for_update()).first())
            status = activation_codes.code_status(rec, self.now)
            u = store.get_user(c, rec["user_id"], for_update=True) if status == "valid" else None
            if u is not None and u["status"] != "pending_activation":
                status = "used"
        if status != "valid":
            with self.db.uow() as uow:
                store.add_event(uow.session, bucket, self.now)
            raise (NotFound if status == "unknown" else Conflict)(activation_codes.MESSAGES[status],
                                                                 code=f"code_{status}")
        with self.db.uow() as uow:
            c = uow.session
            rec = store.row_dict(c.execute(select(pupil_codes).where(pupil_codes.c.code_hash == h)
                                           .with_for_update()).first())
            u = store.get_user(c, rec["user_id"], for_update=True)
            if rec["used_at"] is not None or u["status"] != "pending_activation":
                raise Conflict(activation_codes.MESSAGES["used"], code="code_used")
            new_email = normalize_email(email) if email else u["email"]
            new_phone = normalize_phone(phone) if phone else u["phone"]
            # An address or number that belongs to another account is not recorded, with the same answer
            # as a free one; its owner is told (no one learns here who has an account).
            told = []
            for kind, value, kept in (("email", new_email, u["email"]), ("phone", new_phone, u["phone"])):
                owner_id = store.identifier_owner(c, kind, value, except_id=u["id"]) if value and value != kept \
                    else None
                if owner_id:
                    told.append((owner_id, kind))
                    new_email, new_phone = (kept, new_phone) if kind == "email" else (new_email, kept)
            if not new_email and not new_phone:
                raise ValidationError(errors={"email": ["Indiquez une adresse e-mail (ou un numéro de mobile) : "
                                                        "elle vous servira d'identifiant de connexion."]})
            c.execute(update(pupil_codes).where(pupil_codes.c.id == rec["id"]).values(used_at=self.now))
            self._touch(c, u["id"], status="active", activated_at=self.now, password_hash=pw_hash, email=new_email,
                        phone=new_phone)
            uow.emit("user.activated", {"user_id": u["id"], "role": u["role"], "school_uai": u["school_uai"],
                                        "grade": u["grade"]})
            fresh = store.get_user(c, u["id"])
            out = self._issue(c, fresh, client)
        for owner_id, kind in told:
            self._tell_identifier_owner(owner_id, kind)
        return out

    def list_pupils(self, actor: dict, uai: str, class_name: str | None = None, grade: str | None = None,
                    q: str | None = None, page: int = 1, page_size: int = 100) -> dict:
        uai = accounts.normalize_uai(uai)
        roles.require_staff_of(actor, uai)
        page = max(1, int(page or 1))
        page_size = max(1, min(int(page_size or 100), 500))
        stmt = select(users).where(users.c.school_uai == uai, users.c.role == roles.PUPIL,
                                   users.c.status != "anonymized")
        if class_name:
            stmt = stmt.where(users.c.class_name == class_name)
        if grade:
            stmt = stmt.where(users.c.grade == grade)
        if q:
            from .domain.pupils_import import _key_part
            stmt = stmt.where(users.c.pupil_key.contains(_key_part(q)))
        with self.db.session() as s:
            total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar()
            rows = [store.row_dict(r) for r in s.execute(
                stmt.order_by(users.c.class_name, users.c.last_name, users.c.first_name, users.c.id)
                .limit(page_size).offset((page - 1) * page_size))]
            classes = [r[0] for r in s.execute(
                select(users.c.class_name).where(users.c.school_uai == uai, users.c.role == roles.PUPIL,
                                                 users.c.status != "anonymized")
                .group_by(users.c.class_name).order_by(users.c.class_name))]
        return {"items": [store.pupil_public(u) for u in rows], "page": page, "page_size": page_size,
                "total": total, "classes": classes}

    def move_pupil(self, actor: dict, pupil_id: str, class_name: str, grade: str | None = None) -> dict:
        errs = FieldErrors()
        m = check_text(class_name, max_len=40)
        if m:
            errs.add("class_name", m)
        if grade is not None and grade not in roles.GRADES:
            errs.add("grade", "Niveau invalide : quatrieme, troisieme ou seconde.")
        errs.raise_if_any()
        with self.db.uow() as uow:
            c = uow.session
            u = store.get_user(c, str(pupil_id), for_update=True) if _is_uuid(pupil_id) else None
            if u is None or u["role"] != roles.PUPIL or u["status"] == "anonymized":
                raise NotFound("Élève introuvable.", code="pupil_not_found")
            roles.require_staff_of(actor, u["school_uai"])
            if actor.get("role") == roles.SCHOOL_STAFF:
                staff_rules.require_confirmed(self._acting_user(c, actor))
            school = store.get_school(c, u["school_uai"])
            new_grade = grade or grade_from_class(class_name) or u["grade"]
            if not roles.grade_allowed_in(new_grade, school["kind"]):
                raise ValidationError(errors={"grade": ["Ce niveau n'existe pas dans cet établissement."]})
            c.execute(update(users).where(users.c.id == u["id"]).values(class_name=class_name.strip(),
                                                                         grade=new_grade, updated_at=self.now))
            u = store.get_user(c, u["id"])
        return store.pupil_public(u)

    # -- school staff confirmation and the designated head (docs/school-staff.md) -------------------
    def confirm_staff(self, actor: dict, uai: str, user_id: str) -> dict:
        """An admin, or a confirmed head of ``uai``, confirms a school-staff account of ``uai``."""
        uai = accounts.normalize_uai(uai)
        with self.db.uow() as uow:
            c = uow.session
            if store.get_school(c, uai) is None:
                raise NotFound("Établissement introuvable.", code="school_not_found")
            c.execute(select(func.pg_advisory_xact_lock(func.hashtext("staff:" + uai))))  # one change at a time
            confirmer = self._acting_user(c, actor)
            target = store.get_user(c, str(user_id), for_update=True) if _is_uuid(user_id) else None
            has_head = c.execute(select(users.c.id).where(
                users.c.school_uai == uai, users.c.role == roles.SCHOOL_STAFF, users.c.function == roles.HEAD,
                users.c.staff_confirmed_at.is_not(None), users.c.status == "active").limit(1)).first() is not None
            how = staff_rules.check_can_confirm(confirmer, target, uai, has_head)
            designated = self._confirm(c, uow, target, how, confirmer)
            fresh = store.get_user(c, target["id"])
        return {**self._staff_view(fresh, fresh["id"] if designated else None), "designated_now": designated}

    def designate_head(self, actor: dict, uai: str, user_id: str) -> dict:
        """Make ``user_id`` the designated head of ``uai`` (an admin, or the current designated head)."""
        uai = accounts.normalize_uai(uai)
        with self.db.uow() as uow:
            c = uow.session
            if store.get_school(c, uai) is None:
                raise NotFound("Établissement introuvable.", code="school_not_found")
            c.execute(select(func.pg_advisory_xact_lock(func.hashtext("staff:" + uai))))
            by = self._acting_user(c, actor)
            head = store.designated_head(c, uai, for_update=True)
            previous = head["user_id"] if head else None
            target = store.get_user(c, str(user_id)) if _is_uuid(user_id) else None
            staff_rules.check_can_designate(by, target, uai, previous)
            self._designate(c, uow, uai, target["id"], previous, by)
        return {"school_uai": uai, "user_id": target["id"], "previous_user_id": previous,
                "designated_at": self.now.isoformat()}

    def list_staff(self, actor: dict, uai: str) -> dict:
        """The school's staff with their confirmation state, the designated head and the audit trail
        (staff of the school, confirmed or not, and admins)."""
        uai = accounts.normalize_uai(uai)
        roles.require_staff_of(actor, uai)
        with self.db.session() as s:
            if store.get_school(s, uai) is None:
                raise NotFound("Établissement introuvable.", code="school_not_found")
            rows = [store.row_dict(r) for r in s.execute(select(users).where(
                users.c.school_uai == uai, users.c.role == roles.SCHOOL_STAFF,
                users.c.status.in_(("active", "invited", "pending_activation")))
                .order_by(users.c.last_name, users.c.first_name, users.c.id))]
            head = store.designated_head(s, uai)
            history = [store.row_dict(r) for r in s.execute(select(staff_audit).where(staff_audit.c.school_uai == uai)
                                                            .order_by(staff_audit.c.at.desc()).limit(100))]
        head_id = head["user_id"] if head else None
        return {"school_uai": uai, "designated_head_id": head_id,
                "items": [self._staff_view(u, head_id) for u in rows],
                "history": [{"action": h["action"], "user_id": h["user_id"], "how": h["how"],
                             "actor_id": h["actor_id"], "actor_role": h["actor_role"],
                             "previous_user_id": h["previous_user_id"], "at": store.iso(h["at"])} for h in history]}

    def list_unconfirmed_staff(self, actor: dict, school_uai: str | None = None, academie: str | None = None,
                               function: str | None = None, page: int = 1, page_size: int = 50) -> dict:
        """Admins: active school-staff accounts waiting for a confirmation, oldest first."""
        roles.require_admin(actor)
        if function is not None and function not in roles.STAFF_FUNCTIONS:
            raise ValidationError(errors={"function": ["Fonction invalide : head, teacher, cpe ou admin_staff."]})
        page = max(1, int(page or 1))
        page_size = max(1, min(int(page_size or 50), 200))
        stmt = (select(users, schools.c.name.label("school_name"), schools.c.academie_name)
                .join(schools, schools.c.uai == users.c.school_uai)
                .where(users.c.role == roles.SCHOOL_STAFF, users.c.status == "active",
                       users.c.staff_confirmed_at.is_(None)))
        if school_uai:
            stmt = stmt.where(users.c.school_uai == accounts.normalize_uai(school_uai))
        if academie:
            stmt = stmt.where(schools.c.academie_name == academie)
        if function:
            stmt = stmt.where(users.c.function == function)
        with self.db.session() as s:
            total = s.execute(select(func.count()).select_from(stmt.subquery())).scalar()
            rows = [store.row_dict(r) for r in s.execute(stmt.order_by(users.c.activated_at, users.c.id)
                                                         .limit(page_size).offset((page - 1) * page_size))]
            heads = {r.school_uai: r.user_id for r in s.execute(select(school_heads).where(
                school_heads.c.school_uai.in_({r["school_uai"] for r in rows})))} if rows else {}
        return {"items": [{**self._staff_view(u, None), "school_name": u["school_name"],
                           "academie_name": u["academie_name"],
                           "school_has_designated_head": u["school_uai"] in heads} for u in rows],
                "page": page, "page_size": page_size, "total": total}

    @staticmethod
    def _staff_view(u: dict, head_id: str | None) -> dict:
        return {"user_id": u["id"], "first_name": u["first_name"], "last_name": u["last_name"],
                "email": u["email"], "function": u["function"], "school_uai": u["school_uai"],
                "status": u["status"], "confirmed": staff_rules.is_confirmed(u),
                "confirmed_at": store.iso(u.get("staff_confirmed_at")), "confirmed_by": u.get("staff_confirmed_by"),
                "confirmed_how": u.get("staff_confirmed_how"), "designated_head": bool(head_id) and u["id"] == head_id,
                "activated_at": store.iso(u.get("activated_at"))}

    # -- statisticians ------------------------------------------------------------------------
    def validate_statistician(self, actor: dict, user_id: str) -> dict:
        roles.require_admin(actor)
        with self.db.uow() as uow:
            u = store.get_user(uow.session, str(user_id), for_update=True) if _is_uuid(user_id) else None
            if u is None or u["role"] != roles.STATISTICIAN:
                raise NotFound("Compte statisticien introuvable.", code="user_not_found")
            if u["status"] != "pending_validation":
                raise Conflict("Ce compte n'attend pas de validation.", code="not_pending_validation")
            self._touch(uow.session, u["id"], status="active")
        return {"user_id": u["id"], "status": "active"}

    # -- anonymisation ------------------------------------------------------------------------
    def anonymize_inactive(self, limit: int = 500) -> dict:
        cut = anonymisation.inactivity_cutoffs(self.now)
        stmt = (select(users).where(users.c.status != "anonymized", users.c.role != roles.ADMIN, or_(
            (users.c.role == roles.PUPIL) & (users.c.last_activity_at <= cut["pupil"]),
            (users.c.role != roles.PUPIL) & (users.c.last_activity_at <= cut["other"])))
            .order_by(users.c.last_activity_at).limit(limit))
        with self.db.session() as s:
            due = [store.row_dict(r) for r in s.execute(stmt)]
        done = []
        for u in due:
            if not anonymisation.is_due(u["role"], u["last_activity_at"], self.now):
                continue
            if u["email"]:
                self.notify("anonymisation_notice", {"email": u["email"],
                                                     "name": f"{u['first_name']} {u['last_name']}".strip()},
                            {}, f"anonymisation:{u['id']}")
            self.anonymize(u["id"])
            done.append(u["id"])
        return {"anonymized": len(done), "user_ids": done}

    def anonymize(self, user_id: str) -> None:
        with self.db.uow() as uow:
            c = uow.session
            u = store.get_user(c, user_id, for_update=True)
            if u is None or u["status"] == "anonymized":
                return
            fields = anonymisation.anonymised_fields(u["id"])
            c.execute(update(users).where(users.c.id == u["id"]).values(
                status="anonymized", anonymized_at=self.now, updated_at=self.now, class_name=None,
                organisation_name=None, pupil_key=f"anonymized:{u['id']}", **fields))
            store.revoke_families(c, u["id"], self.now, "anonymized")
            self._deny([r[0] for r in c.execute(select(refresh_families.c.id)
                                                .where(refresh_families.c.user_id == u["id"]))])
            c.execute(one_time_tokens.delete().where(one_time_tokens.c.user_id == u["id"]))
            c.execute(pupil_codes.delete().where(pupil_codes.c.user_id == u["id"]))
            c.execute(refresh_families.delete().where(refresh_families.c.user_id == u["id"]))
            uow.emit("user.anonymized", {"user_id": u["id"], "role": u["role"], "school_uai": u["school_uai"]})

    def prune(self) -> dict:
        """Housekeeping: forget rate-limit events older than a day, and the detailed reports of
        pupil imports older than IMPORT_REPORT_RETENTION (rejected rows hold names and birth dates);
        the summary (counts) stays."""
        with self.db.uow() as uow:
            events = store.prune_events(uow.session, self.now - dt.timedelta(days=1))
            reports = uow.session.execute(
                update(pupil_imports).where(pupil_imports.c.created_at < self.now - IMPORT_REPORT_RETENTION,
                                            ~pupil_imports.c.report.has_key("purged_at"))
                .values(report={"purged_at": self.now.isoformat()})).rowcount
        return {"rate_events": events, "import_reports": reports}

    # -- admin TOTP -----------------------------------------------------------------------------
    def totp_setup(self, actor: dict) -> dict:
        roles.require_admin(actor)
        secret = totp.new_secret()
        with self.db.uow() as uow:
            u = store.get_user(uow.session, actor["user_id"], for_update=True)
            if u is None:
                raise NotFound("Compte introuvable.")
            uow.session.execute(update(users).where(users.c.id == u["id"]).values(totp_secret=secret,
                                                                                  totp_last_step=None))
        return {"secret": secret, "provisioning_uri": totp.provisioning_uri(secret, u["email"] or u["id"])}


_NO_USER = "00000000-0000-0000-0000-000000000000"   # matches no account
IMPORT_REPORT_RETENTION = dt.timedelta(days=30)


def _is_uuid(v) -> bool:
    try:
        uuid.UUID(str(v))
        return True
    except (ValueError, TypeError, AttributeError):
        return False


def _class_key(name) -> str:
    return "".join(ch for ch in fold(name or "") if ch.isalnum())


def _require_user(actor):
    if not actor or not actor.get("user_id"):
        raise Unauthorized("Authentification requise : connectez-vous.", code="missing_token")


__all__ = ["Operations", "rate_events"]
