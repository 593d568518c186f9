"""In-memory fakes for identity's use cases: a unit of work, the repository, signing keys, password hashing,
the notifications client and the gateways' list of closed sessions. Use cases run on them without
PostgreSQL, RabbitMQ or Redis (``tests/unit/test_identity_use_cases.py``); the integration tests keep
proving the SQL of ``identity.repository``.

    ctx = fake_context(now)
    ctx.repo.add_school(uai="0131884C", kind="college", name=..., academie_name="Aix-Marseille")
    accounts.register(ctx, {...})
    ctx.uow.events        # [(type, data)] emitted by committed units of work
    ctx.notifications.sent, ctx.deny_sessions.ids
"""
from __future__ import annotations

import copy
import datetime as dt
import uuid

USER_COLUMNS = ("id", "role", "status", "email", "phone", "password_hash", "first_name", "last_name", "function",
                "job_title", "organisation_name", "school_uai", "grade", "class_name", "birth_date", "ine",
                "pupil_key", "stat_scope", "stat_scope_code", "totp_secret", "totp_last_step", "invited_by",
                "classes", "staff_confirmed_at", "staff_confirmed_by", "staff_confirmed_how", "created_at",
                "updated_at", "activated_at", "last_login_at", "last_activity_at", "anonymized_at",
                "warned_at")
SCHOOL_COLUMNS = ("uai", "kind", "name", "sector", "private_contract", "status", "postal_code", "commune_insee",
                  "commune_name", "dep_code", "academie_code", "academie_name", "lat", "lon", "education_prioritaire",
                  "qpv", "qpv_situation", "street_address", "address_complement", "address_postal_code",
                  "address_city", "name_key", "commune_key")


class FakeSpaces:
    """The part of ``identity.repository.spaces`` the token's claims read (no shared spaces in unit tests)."""

    def __init__(self):
        self.current: dict[str, str] = {}

    def current_space(self, conn, user_id):
        return self.current.get(user_id)


class FakeRepository:
    """The functions of ``identity.repository`` over dicts (the connection argument is ignored)."""

    def __init__(self):
        self.schools: dict[str, dict] = {}
        self.users: dict[str, dict] = {}
        self.heads: dict[str, dict] = {}
        self.audit: list[dict] = []
        self.tokens: list[dict] = []
        self.rate_events: list[tuple[str, dt.datetime]] = []
        self.locks: dict[str, dict] = {}
        self.families: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.codes: list[dict] = []
        self.imports: list[dict] = []
        self.federated: dict[tuple[str, str], dict] = {}     # (provider, subject) -> link
        self.memberships: dict[tuple[str, str], dict] = {}   # (user_id, school_uai) -> membership
        self.admin_actions: list[dict] = []
        self.classes: dict[str, dict] = {}
        self.spaces = FakeSpaces()
        self.changes: list[dict] = []

    # -- set-up helpers (tests) ---------------------------------------------------------
    def add_school(self, **values) -> dict:
        school = {**{k: None for k in SCHOOL_COLUMNS}, "status": "OUVERT", **values}
        self.schools[school["uai"]] = school
        return school

    def add_user(self, **values) -> dict:
        now = values.get("created_at") or dt.datetime.now(dt.timezone.utc)
        user = {**{k: None for k in USER_COLUMNS}, "id": str(uuid.uuid4()), "status": "active", "created_at": now,
                "updated_at": now, "last_activity_at": now, **values}
        self.users[user["id"]] = user
        return user

    # -- pending changes of e-mail address or mobile number --------------------------------
    def void_changes(self, conn, user_id, kind, now):
        for ch in self.changes:
            if ch["user_id"] == user_id and ch["kind"] == kind and ch["used_at"] is None:
                ch["used_at"] = now

    def insert_change(self, conn, user_id, kind, new_value, secret_hash, now, expires_at):
        self.changes.append({"id": str(uuid.uuid4()), "user_id": user_id, "kind": kind, "new_value": new_value,
                             "secret_hash": secret_hash, "attempts": 0, "created_at": now, "expires_at": expires_at,
                             "used_at": None})

    def change_by_hash(self, conn, secret_hash):
        return copy.deepcopy(next((ch for ch in self.changes if ch["secret_hash"] == secret_hash), None))

    def pending_change(self, conn, user_id, kind):
        mine = [ch for ch in self.changes if ch["user_id"] == user_id and ch["kind"] == kind and ch["used_at"] is None]
        return copy.deepcopy(mine[-1]) if mine else None

    def count_attempt(self, conn, change_id):
        for ch in self.changes:
            if ch["id"] == change_id:
                ch["attempts"] += 1

    def mark_change_used(self, conn, change_id, now):
        for ch in self.changes:
            if ch["id"] == change_id:
                ch["used_at"] = now

    # -- users, schools, staff -----------------------------------------------------------
    def get_school(self, conn, uai):
        return copy.deepcopy(self.schools.get(uai))

    # -- end-of-year rollover (repository/rollover.py) --------------------------------------------
    def start_run(self, conn, school_year, now):
        self.__dict__.setdefault("rollover_runs", {}).setdefault(
            school_year, {"school_year": school_year, "started_at": now, "finished_at": None, "progress": {}})

    def get_run(self, conn, school_year, for_update=False):
        return copy.deepcopy(self.__dict__.get("rollover_runs", {}).get(school_year))

    def save_run(self, conn, school_year, **values):
        self.__dict__.setdefault("rollover_runs", {})[school_year].update(copy.deepcopy(values))

    def rollover_batch(self, conn, step, after_id, limit):
        def goes(u):
            if step == "pupils":
                return u["role"] == "pupil" and u["status"] != "anonymized"
            return u["role"] == "school_staff" and u.get("classes") is not None
        rows = sorted((u for u in self.users.values() if goes(u) and (after_id is None or u["id"] > after_id)),
                      key=lambda u: u["id"])
        return copy.deepcopy(rows[:limit])

    def get_user(self, conn, user_id, for_update=False):
        return copy.deepcopy(self.users.get(user_id))

    def find_by_login(self, conn, kind, value):
        return next((copy.deepcopy(u) for u in self.users.values()
                     if u[kind] == value and u["status"] != "anonymized"), None)

    def identifier_owner(self, conn, kind, value, except_id=None):
        return next((u["id"] for u in self.users.values() if u[kind] == value and u["id"] != except_id), None)

    def email_taken(self, conn, email, except_id=None):
        return self.identifier_owner(conn, "email", email, except_id) is not None

    def user_id_by_id_or_email(self, conn, user_id, email):
        return next((u["id"] for u in self.users.values() if u["id"] == user_id or u["email"] == email), None)

    def insert_user(self, conn, **values):
        for kind in ("email", "phone", "ine"):
            if values.get(kind) and any(u[kind] == values[kind] for u in self.users.values()):
                raise AssertionError(f"unique {kind} violated by the use case")
        self.users[values["id"]] = {**{k: None for k in USER_COLUMNS}, **values}

    def update_user(self, conn, user_id, **values):
        if user_id in self.users:
            self.users[user_id].update(values)

    def serialise_school_staff(self, conn, uai):
        pass

    def has_confirmed_head(self, conn, uai):
        return any(u["school_uai"] == uai and u["role"] == "school_staff" and u["function"] == "head"
                   and u["staff_confirmed_at"] is not None and u["status"] == "active" for u in self.users.values())

    def designated_head(self, conn, uai, for_update=False):
        return copy.deepcopy(self.heads.get(uai))

    def upsert_head(self, conn, uai, user_id, at, by, replace=True):
        if uai in self.heads and not replace:
            return False
        self.heads[uai] = {"school_uai": uai, "user_id": user_id, "designated_at": at, "designated_by": by}
        return True

    def insert_audit(self, conn, *, school_uai, user_id, action, how, at, actor_id=None, actor_role=None,
                     previous_user_id=None):
        self.audit.append({"school_uai": school_uai, "user_id": user_id, "action": action, "how": how, "at": at,
                           "actor_id": actor_id, "actor_role": actor_role, "previous_user_id": previous_user_id})

    # -- the administration journal (identity.repository.backoffice) -----------------------
    def insert_admin_action(self, conn, rec):
        self.admin_actions.append(dict(rec))

    def admin_action_by_key(self, conn, target_id, action, idempotency_key):
        return next((r for r in self.admin_actions if r["target_id"] == target_id and r["action"] == action
                     and r["details"].get("idempotency_key") == idempotency_key), None)

    def last_admin_action(self, conn, target_id, action):
        found = [r for r in self.admin_actions if r["target_id"] == target_id and r["action"] == action]
        return found[-1] if found else None

    # -- schools an admin writes, classes (identity.repository.backoffice) -------------------
    def school_for_update(self, conn, uai):
        return self.get_school(conn, uai)

    def insert_school(self, conn, rec):
        self.add_school(**{k: v for k, v in rec.items() if k in SCHOOL_COLUMNS})

    def update_school(self, conn, uai, rec):
        self.schools[uai].update({k: v for k, v in rec.items() if k in SCHOOL_COLUMNS and k != "uai"})

    def serialise_classes(self, conn, uai):
        pass

    def _pupils_of(self, uai):
        return [u for u in self.users.values() if u["school_uai"] == uai and u["role"] == "pupil"
                and u["status"] != "anonymized"]

    def live_classes(self, conn, uai):
        return sorted((dict(c) for c in self.classes.values() if c["school_uai"] == uai and not c["archived_at"]),
                      key=lambda c: c["name"])

    def pupil_class_names(self, conn, uai):
        return sorted({u["class_name"] for u in self._pupils_of(uai) if u["class_name"]})

    def insert_class(self, conn, uai, name, grade, now):
        cid = str(uuid.uuid4())
        self.classes[cid] = {"id": cid, "school_uai": uai, "name": name, "grade": grade, "created_at": now,
                             "updated_at": now, "archived_at": None}
        return cid

    def update_class(self, conn, class_id, now, **values):
        self.classes[class_id].update(updated_at=now, **values)

    def rename_pupils_class(self, conn, uai, old, new, grade, now):
        moved = [u for u in self._pupils_of(uai) if u["class_name"] == old]
        for u in moved:
            u.update(class_name=new, updated_at=now, **({"grade": grade} if grade else {}))
        return len(moved)

    def staff_following(self, conn, uai, name):
        return [{"id": u["id"], "classes": list(u["classes"])} for u in self.users.values()
                if u["school_uai"] == uai and u["role"] == "school_staff" and name in (u["classes"] or [])]

    def count_pupils_in_class(self, conn, uai, name):
        return sum(1 for u in self._pupils_of(uai) if u["class_name"] == name)

    def pupils_by_ids(self, conn, ids):
        return [dict(u) for i in sorted(ids) if (u := self.users.get(i)) and u["role"] == "pupil"
                and u["status"] != "anonymized"]

    def move_pupils(self, conn, ids, class_name, grade, now):
        for i in ids:
            self.users[i].update(class_name=class_name, updated_at=now, **({"grade": grade} if grade else {}))

    # -- one-time tokens, rate events, locks ----------------------------------------------
    def find_token(self, conn, token_hash, for_update=True):
        return next((dict(t) for t in self.tokens if t["token_hash"] == token_hash), None)

    def expire_tokens(self, conn, user_id, kind, now):
        for t in self.tokens:
            if t["user_id"] == user_id and t["kind"] == kind and t["used_at"] is None:
                t["used_at"] = now

    def insert_token(self, conn, user_id, kind, token_hash, now, expires_at):
        self.tokens.append({"id": str(uuid.uuid4()), "user_id": user_id, "kind": kind, "token_hash": token_hash,
                            "created_at": now, "expires_at": expires_at, "used_at": None})

    def mark_token_used(self, conn, token_id, now):
        for t in self.tokens:
            if t["id"] == token_id:
                t["used_at"] = now

    def window_events(self, conn, bucket, since):
        return [at for b, at in self.rate_events if b == bucket and at > since]

    def add_event(self, conn, bucket, at):
        self.rate_events.append((bucket, at))

    def prune_events(self, conn, before):
        kept = [e for e in self.rate_events if e[1] >= before]
        gone = len(self.rate_events) - len(kept)
        self.rate_events = kept
        return gone

    def lock_row(self, conn, key, now):
        return dict(self.locks.setdefault(key, {"key": key, "failed_count": 0, "locked_until": None,
                                                "updated_at": now}))

    def save_lock(self, conn, key, failed_count, locked_until, now):
        if key in self.locks:
            self.locks[key].update(failed_count=failed_count, locked_until=locked_until, updated_at=now)

    # -- sessions ---------------------------------------------------------------------------
    def revoke_families(self, conn, user_id, now, reason):
        closed = []
        for f in self.families.values():
            if f["user_id"] == user_id and f["revoked_at"] is None:
                f.update(revoked_at=now, revoked_reason=reason)
                closed.append(f["id"])
        return closed

    def revoke_family(self, conn, family_id, now, reason):
        self.families[family_id].update(revoked_at=now, revoked_reason=reason)
        return 1

    def family_ids_of(self, conn, user_id):
        return [f["id"] for f in self.families.values() if f["user_id"] == user_id]

    def find_refresh(self, conn, token_hash):
        t = next((dict(t) for t in self.refresh_tokens.values() if t["token_hash"] == token_hash), None)
        return (t, dict(self.families[t["family_id"]])) if t else (None, None)

    def insert_family(self, conn, family_id, user_id, now, ip, user_agent):
        self.families[family_id] = {"id": family_id, "user_id": user_id, "started_at": now, "last_used_at": now,
                                    "revoked_at": None, "revoked_reason": None, "ip": ip, "user_agent": user_agent}

    def touch_family(self, conn, family_id, now):
        self.families[family_id]["last_used_at"] = now

    def insert_refresh_token(self, conn, token_id, family_id, token_hash, now, expires_at):
        self.refresh_tokens[token_id] = {"id": token_id, "family_id": family_id, "token_hash": token_hash,
                                         "issued_at": now, "expires_at": expires_at, "used_at": None,
                                         "revoked_at": None, "successor": None}

    def mark_refresh_used(self, conn, token_id, now, successor):
        self.refresh_tokens[token_id].update(used_at=now, successor=successor)

    def delete_user_secrets(self, conn, user_id):
        self.tokens = [t for t in self.tokens if t["user_id"] != user_id]
        self.codes = [c for c in self.codes if c["user_id"] != user_id]
        gone = [f for f, v in self.families.items() if v["user_id"] == user_id]
        for f in gone:
            del self.families[f]
        self.refresh_tokens = {k: t for k, t in self.refresh_tokens.items() if t["family_id"] not in gone}

    # -- pupils -------------------------------------------------------------------------------
    def guardians_of(self, conn, pupil_ids):   # the register's guardians (identity.repository.register)
        return {}

    def serialise_imports(self, conn, uai):
        pass

    def known_pupils(self, conn, uai):
        return [{"id": u["id"], "key": u["pupil_key"], "ine": u["ine"], "email": u["email"],
                 "last_name": u["last_name"], "first_name": u["first_name"], "class_name": u["class_name"],
                 "grade": u["grade"]} for u in self.users.values()
                if u["school_uai"] == uai and u["role"] == "pupil" and u["status"] != "anonymized"]

    def ine_taken(self, conn, ine, except_id=None):
        return any(u["ine"] == ine and u["id"] != except_id for u in self.users.values())

    def pending_pupils(self, conn, uai, ids):
        return [copy.deepcopy(self.users[i]) for i in ids if i in self.users and self.users[i]["school_uai"] == uai
                and self.users[i]["role"] == "pupil" and self.users[i]["status"] == "pending_activation"]

    def insert_pupil_code(self, conn, user_id, code_hash, now, expires_at, import_id=None):
        self.codes.append({"id": str(uuid.uuid4()), "user_id": user_id, "code_hash": code_hash,
                           "import_id": import_id, "created_at": now, "expires_at": expires_at, "used_at": None})

    def void_pupil_codes(self, conn, user_id, now):
        for c in self.codes:
            if c["user_id"] == user_id and c["used_at"] is None:
                c["used_at"] = now

    def pupil_code_by_hash(self, conn, code_hash):
        return next((dict(c) for c in self.codes if c["code_hash"] == code_hash), None)

    def mark_code_used(self, conn, code_id, now):
        for c in self.codes:
            if c["id"] == code_id:
                c["used_at"] = now

    def insert_import(self, conn, **values):
        self.imports.append(values)

    def purge_import_reports(self, conn, before, now):
        n = 0
        for i in self.imports:
            if i["created_at"] < before and "purged_at" not in i["report"]:
                i["report"] = {"purged_at": now.isoformat()}
                n += 1
        return n


    # -- national sign-in and memberships ------------------------------------------------------
    def serialise_identity(self, conn, provider, subject):
        pass

    def federated_user_id(self, conn, provider, subject):
        return (self.federated.get((provider, subject)) or {}).get("user_id")

    def federated_link_of(self, conn, user_id, provider):
        return next((dict(f) for f in self.federated.values()
                     if f["user_id"] == user_id and f["provider"] == provider), None)

    def insert_federated(self, conn, provider, subject, user_id, at):
        if (provider, subject) in self.federated or self.federated_link_of(conn, user_id, provider):
            return False
        self.federated[(provider, subject)] = {"provider": provider, "subject": subject, "user_id": user_id,
                                               "linked_at": at}
        return True

    def pupil_by_ine(self, conn, ine, for_update=False):
        return next((copy.deepcopy(u) for u in self.users.values() if u["ine"] == ine and u["role"] == "pupil"),
                    None)

    def pupil_by_key(self, conn, uai, key):
        return next((copy.deepcopy(u) for u in self.users.values() if u["school_uai"] == uai
                     and u["pupil_key"] == key and u["role"] == "pupil" and u["status"] != "anonymized"), None)

    def known_school_uais(self, conn, uais):
        return {u for u in uais if u in self.schools}

    def memberships_of(self, conn, user_id):
        return sorted((copy.deepcopy(m) for m in self.memberships.values() if m["user_id"] == user_id),
                      key=lambda m: (m["created_at"], m["school_uai"]))

    def upsert_membership(self, conn, user_id, m, now):
        old = self.memberships.get((user_id, m["school_uai"]))
        values = {k: m.get(k) for k in ("function", "source", "confirmed_at", "confirmed_by", "confirmed_how")}
        self.memberships[(user_id, m["school_uai"])] = {
            "user_id": user_id, "school_uai": m["school_uai"], "created_at": old["created_at"] if old else now,
            "updated_at": now, **values}

    def delete_memberships(self, conn, user_id, uais):
        for u in uais:
            self.memberships.pop((user_id, u), None)

    def delete_federation_rows(self, conn, user_id):
        self.federated = {k: f for k, f in self.federated.items() if f["user_id"] != user_id}
        self.memberships = {k: m for k, m in self.memberships.items() if m["user_id"] != user_id}


class _FakeTransaction:
    def __init__(self, db: "FakeUnitOfWork"):
        self._db = db
        self.session = db.repo
        self._events: list = []

    def __enter__(self):
        self._before = copy.deepcopy(self._db.repo.__dict__)
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self._db.events.extend(self._events)
        else:   # rolled back
            self._db.repo.__dict__.clear()
            self._db.repo.__dict__.update(self._before)
        return False

    def emit(self, event_type: str, data: dict, version: int = 1) -> dict:
        self._events.append((event_type, data))
        return {"type": event_type, "data": data}


class _FakeSession:
    def __init__(self, repo):
        self._repo = repo

    def __enter__(self):
        return self._repo

    def __exit__(self, *exc):
        return False


class FakeUnitOfWork:
    """In-memory twin of ``identity.repository.UnitOfWork``: ``begin()`` (committed on a clean exit, rolled back
    on an exception) and ``read()`` over a ``FakeRepository``; ``events`` holds what committed transactions
    emitted."""

    def __init__(self, repo: FakeRepository):
        self.repo = repo
        self.events: list[tuple[str, dict]] = []

    def begin(self):
        return _FakeTransaction(self)

    def read(self):
        return _FakeSession(self.repo)

    def emitted(self, event_type: str) -> list[dict]:
        return [d for t, d in self.events if t == event_type]


class FakeKeys:
    """One signing key, made once per process (RSA generation takes a moment)."""
    _key: dict | None = None

    def _one(self) -> dict:
        if FakeKeys._key is None:
            from identity.domain import keys
            pem = keys.generate_private_key_pem()
            FakeKeys._key = {"kid": keys.kid_of(pem), "private_pem": pem, "public_pem": keys.public_pem(pem),
                             "activated_at": dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), "retired_at": None}
        return FakeKeys._key

    def all(self, now):
        return [self._one()]

    def signing_key(self, now):
        return self._one()


class FakePasswords:
    """Reversible "hashes": fast, and enough to tell a right password from a wrong one."""

    def hash(self, pw: str) -> str:
        return "fake$" + pw

    def verify(self, stored, pw) -> bool:
        return bool(stored) and stored == "fake$" + (pw or "")

    def needs_rehash(self, stored) -> bool:
        return False


class FakeNotifications:
    def __init__(self):
        self.sent: list[dict] = []

    def send_message(self, template, to, context, key):
        self.sent.append({"template": template, "to": to, "context": context, "key": key})

    def templates(self) -> list[str]:
        return [m["template"] for m in self.sent]


class FakeDenyList:
    def __init__(self):
        self.ids: list[str] = []

    def __call__(self, session_ids):
        self.ids.extend(str(i) for i in session_ids or [] if i)


def fake_context(now: dt.datetime | None = None, **overrides):
    from identity.use_cases.context import Context

    repo = FakeRepository()
    values = dict(uow=FakeUnitOfWork(repo), now=now or dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.timezone.utc),
                  notifications=FakeNotifications(), keys=FakeKeys(), passwords=FakePasswords(), repo=repo,
                  deny_sessions=FakeDenyList())
    values.update(overrides)
    return Context(**values)
