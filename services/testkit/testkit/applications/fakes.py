"""In-memory fakes for the applications service's use-case unit tests (no broker, no database).

- ``FakeUnitOfWork``: the unit of work (``uow.begin()``, ``uow.read()``) over dicts, with the same
  methods as ``applications.repository.Repository`` / ``applications.queries.Queries``; a unit of work
  that raises leaves nothing behind (its changes are rolled back), events are kept in ``uow.events``.
- ``FakeOffers``, ``FakeIdentity``, ``FakeNotifications``: the clients of ``applications.clients``; each
  call is recorded, and a call made while a unit of work holds row locks fails the test (the use cases
  must call other services before locking).
- ``fake_clients(uow)``: the three together, as ``applications.clients.Clients``.

The SQL itself is proven by the service's integration tests.
"""
from __future__ import annotations

import copy
import datetime as dt
import uuid
from contextlib import contextmanager

from common.clock import to_paris
from common.errors import Conflict, NotFound

from applications.clients import Clients
from applications.domain import machine as M
from applications.domain import states as S
from applications.domain.submission import OfferSnapshot
from applications.views import HISTORY_FIELDS, event_data, facts_of


class FakeUnitOfWork:
    def __init__(self):
        self.applications: dict[str, dict] = {}
        self.history_rows: list[dict] = []
        self.links: dict[str, dict] = {}
        self.events: list[tuple[str, dict]] = []
        self.claimed: set[tuple[str, str]] = set()
        self.locked = False          # a unit of work holds row locks
        self.relay_woken = 0

    def _state(self):
        return (self.applications, self.history_rows, self.links, self.events, self.claimed)

    @contextmanager
    def begin(self):
        saved = copy.deepcopy(self._state())
        try:
            yield MemoryRepository(self)
        except BaseException:
            (self.applications, self.history_rows, self.links, self.events, self.claimed) = saved
            raise
        finally:
            self.locked = False

    @contextmanager
    def read(self):
        yield MemoryRepository(self)

    def wake_relay(self) -> None:
        self.relay_woken += 1

    # -- for assertions ------------------------------------------------------------------------
    def event_types(self) -> list[str]:
        return [t for t, _ in self.events]


def _copy(row):
    return None if row is None else copy.deepcopy(row)


class MemoryRepository:
    def __init__(self, store: FakeUnitOfWork):
        self.store = store

    @property
    def _apps(self):
        return self.store.applications

    # -- queries -------------------------------------------------------------------------------
    def get(self, application_id):
        return _copy(self._apps.get(str(application_id)))

    def get_many(self, ids):
        return [_copy(self._apps[i]) for i in sorted(ids) if i in self._apps]

    def pupil_applications(self, pupil_id):
        return [_copy(a) for _, a in sorted(self._apps.items()) if a["pupil_id"] == pupil_id]

    def by_key(self, pupil_id, key):
        return next((_copy(a) for a in self._apps.values()
                     if a["pupil_id"] == pupil_id and a.get("idempotency_key") == key), None)

    def history(self, ids):
        out = {i: [] for i in ids}
        for h in self.store.history_rows:
            if h["application_id"] in out:
                out[h["application_id"]].append({k: h[k] for k in HISTORY_FIELDS})
        return out

    def _matches(self, a, scope, filters):
        if any(a.get(k) != v for k, v in scope.items()):
            return False
        if "tab" in filters and a["state"] not in S.TABS[filters["tab"]]:
            return False
        if "state" in filters and a["state"] not in filters["state"]:
            return False
        if any(k in filters and a.get(k) != str(filters[k]) for k in ("offer_id", "grade", "school_uai", "pupil_id")):
            return False
        if "week" in filters and str(filters["week"]) not in (a["weeks"] or ()):
            return False
        if "q" in filters:
            q = str(filters["q"]).lower()
            return any(q in (a.get(k) or "").lower() for k in ("pupil_name", "offer_title"))
        return True

    def page(self, scope, filters):
        found = [a for a in self._apps.values() if self._matches(a, scope, filters)]
        found.sort(key=lambda a: a["id"])
        found.sort(key=lambda a: a["submitted_at"], reverse=True)
        start = (filters["page"] - 1) * filters["per_page"]
        by_state = {}
        for a in self._apps.values():
            if self._matches(a, scope, {}):
                by_state[a["state"]] = by_state.get(a["state"], 0) + 1
        return len(found), [_copy(a) for a in found[start:start + filters["per_page"]]], by_state

    def export_rows(self, scope, filters, limit):
        found = sorted((a for a in self._apps.values() if self._matches(a, scope, filters)),
                       key=lambda a: (a["submitted_at"], a["id"]))
        return [_copy(a) for a in found[:limit]]

    def stats_rows(self, where):
        apps = [a for a in self._apps.values() if all(str(a.get(c)) == str(v) for c, v in where)]
        counts, pupils, months = {}, {}, {}
        for a in apps:
            key = (a["school_category"], a["state"])
            counts[key] = counts.get(key, 0) + 1
            p = pupils.setdefault(a["school_category"], (set(), set()))
            p[0].add(a["pupil_id"])
            if a["state"] == S.CONFIRMED:
                p[1].add(a["pupil_id"])
            m = to_paris(a["submitted_at"]).strftime("%Y-%m")
            n, c = months.get(m, (0, 0))
            months[m] = (n + 1, c + (a["state"] == S.CONFIRMED))
        return ([(cat, st, n) for (cat, st), n in counts.items()],
                [(cat, len(applied), len(placed)) for cat, (applied, placed) in pupils.items()],
                [(m, n, c) for m, (n, c) in months.items()])

    def transfer_links(self, ids):
        out = {}
        for link in sorted(self.store.links.values(), key=lambda t: t["created_at"]):
            if link["application_id"] in ids:
                out.setdefault(link["application_id"], []).append(
                    {k: link[k] for k in ("email", "created_at", "expires_at", "used_at")})
        return out

    def transfer_link(self, token_hash, lock=False):
        if lock:
            self.store.locked = True
        return _copy(self.store.links.get(token_hash))

    def acted_on(self, user_id, excluding):
        return [{"application_id": h["application_id"], **{k: h[k] for k in HISTORY_FIELDS}}
                for h in self.store.history_rows if h["actor_id"] == user_id and h["application_id"] not in excluding]

    def school_states(self, uai):
        out = {}
        for a in self._apps.values():
            if a["school_uai"] == uai:
                out.setdefault(a["pupil_id"], []).append(a["state"])
        return out

    def seat_releases_due(self, limit):
        return [(a["offer_id"], a["id"]) for a in self._apps.values()
                if a.get("seat_held") and a["state"] != S.CONFIRMED][:limit]

    # -- writes --------------------------------------------------------------------------------
    def emit(self, event_type, data):
        self.store.events.append((event_type, copy.deepcopy(data)))

    def claim(self, envelope, handler):
        key = (envelope["event_id"], handler)
        if key in self.store.claimed:
            return False
        self.store.claimed.add(key)
        return True

    def lock_pupil(self, pupil_id):
        self.store.locked = True
        return self.pupil_applications(pupil_id)

    def lock_many(self, ids):
        self.store.locked = True
        return {a["id"]: a for a in self.get_many(ids)}

    def lock_of_offer(self, offer_id, states):
        self.store.locked = True
        return [_copy(a) for a in sorted(self._apps.values(), key=lambda a: a["id"])
                if a["offer_id"] == offer_id and a["state"] in states]

    def insert(self, values):
        for a in self._apps.values():
            if a["pupil_id"] != values["pupil_id"]:
                continue
            if a["offer_id"] == values["offer_id"] and a.get("reapply_invited_at") is None:
                return False
            if values.get("idempotency_key") and a.get("idempotency_key") == values["idempotency_key"]:
                return False
        row = {"seat_held": False, "restore_count": 0, "transferred_at": None, "restored_at": None,
               "accepted_at": None, "nudged_at": None, "reapply_invited_at": None, **copy.deepcopy(values)}
        row["weeks"] = list(row["weeks"])
        self._apps[row["id"]] = row
        return True

    def update(self, application_id, cols):
        self._apps[application_id].update(copy.deepcopy(cols))

    def record(self, application_id, record):
        self.store.history_rows.append({"application_id": application_id, **record})

    def seat_released(self, application_id):
        a = self._apps[application_id]
        if a["state"] != S.CONFIRMED:
            a["seat_held"] = False

    def erase_pupil(self, pupil_id):
        for a in self._apps.values():
            if a["pupil_id"] == pupil_id:
                a.update(motivation="", email=None, phone=None, address=None, legal_representative=None,
                         pupil_name=None, class_name=None)
        mine = {a["id"] for a in self._apps.values() if a["pupil_id"] == pupil_id}
        for h in self.store.history_rows:
            if h["application_id"] in mine:
                h.update(message=None, reason=None)
        self.store.links = {k: v for k, v in self.store.links.items() if v["application_id"] not in mine}

    def erase_author(self, user_id):
        for h in self.store.history_rows:
            if h.get("actor_id") == user_id:
                h.update(message=None, reason=None)
        theirs = {a["id"] for a in self._apps.values() if a["employer_id"] == user_id}
        self.store.links = {k: v for k, v in self.store.links.items() if v["application_id"] not in theirs}

    def add_transfer_link(self, token_hash, application_id, email, now, expires_at):
        for link in self.store.links.values():
            if link["application_id"] == application_id and link["used_at"] is None:
                link["used_at"] = now
        self.store.links[token_hash] = {"token_hash": token_hash, "application_id": application_id, "email": email,
                                        "created_at": now, "expires_at": expires_at, "used_at": None}

    def use_transfer_link(self, token_hash, now):
        self.store.links[token_hash]["used_at"] = now

    def expire_batch(self, now, batch):
        """What repository.EXPIRE_SQL does, from the domain (the integration tests prove the SQL agrees)."""
        self.store.locked = True
        due = sorted((a for a in self._apps.values() if a.get("deadline_at") and a["deadline_at"] <= now),
                     key=lambda a: a["deadline_at"])[:batch]
        for a in due:
            t = M.overdue(facts_of(a), now)
            cols = M.columns_after(facts_of(a), t)
            before = copy.deepcopy(a)
            a.update(cols)
            self.record(a["id"], t.as_record())
            self.emit(t.event_type, event_data(before, t, cols))
        return len(due), len(due)


# -- clients ---------------------------------------------------------------------------------------
class _Client:
    def __init__(self, store: FakeUnitOfWork):
        self.store = store
        self.calls: list[tuple] = []

    def _call(self, *call):
        assert not self.store.locked, f"{call[0]} called while holding row locks"
        self.calls.append(call)


class FakeOffers(_Client):
    """Offers with seats: ``add(employer_id, seats=..., weeks=..., grades=...)`` gives an offer id."""

    def __init__(self, store):
        super().__init__(store)
        self.offers: dict[str, dict] = {}
        self.reserved: dict[str, str] = {}   # application id -> offer id
        self.down = False
        self.on_reserve = None               # a hook run once a seat is reserved (a concurrent change)

    def add(self, employer_id, *, seats=3, weeks=("2027-W05", "2027-W06"), grades=("troisieme", "quatrieme"),
            state="published", title="Boulanger") -> str:
        offer_id = str(uuid.uuid4())
        self.offers[offer_id] = {"id": offer_id, "state": state, "grades": list(grades), "offer_weeks": list(weeks),
                                 "seats": seats, "employer_id": employer_id, "title": title}
        return offer_id

    def _left(self, offer_id):
        o = self.offers[offer_id]
        return o["seats"] - sum(1 for v in self.reserved.values() if v == offer_id)

    def offer(self, offer_id):
        self._call("get_offer", offer_id)
        if offer_id not in self.offers:
            raise NotFound("Offre introuvable.")
        return OfferSnapshot.from_dict({**self.offers[offer_id], "seats_left": self._left(offer_id)})

    def reserve_seat(self, offer_id, application_id, week):
        self._call("reserve_seat", offer_id, application_id, week)
        if application_id not in self.reserved:
            if self._left(offer_id) <= 0:
                raise Conflict("Il n'y a plus de place disponible pour cette offre.", code="no_seat_left")
            self.reserved[application_id] = offer_id
        if self.on_reserve:
            hook, self.on_reserve = self.on_reserve, None
            hook()

    def release_seat(self, offer_id, application_id) -> bool:
        self._call("release_seat", offer_id, application_id)
        if self.down:
            return False
        self.reserved.pop(application_id, None)
        return True

    def with_timeout(self, seconds):
        return self


class FakeIdentity(_Client):
    def __init__(self, store):
        super().__init__(store)
        self.rosters: dict[str, list[dict]] = {}   # uai -> [{"pupil_id", "name", "class_name"}]
        self.weeks: dict[str, list[str]] = {}      # uai -> the 3e weeks it declared (not past)

    def profile(self, actor):
        self._call("profile", actor.get("user_id"))
        return {"pupil_name": "Léa Martin", "school_name": "Collège Belle de Mai", "class_name": "3A",
                "academie_code": actor.get("academie"), "departement_code": "13", "region_code": "93"}

    def declared_weeks(self, uai):
        return list(self.weeks.get(uai, []))

    def school_pupils(self, actor, uai):
        self._call("school_pupils", uai)
        return list(self.rosters.get(uai, []))


class FakeNotifications(_Client):
    def __init__(self, store):
        super().__init__(store)
        self.sent: list[dict] = []
        self.down = False

    def send_transfer_link(self, email, token, token_hash, application, message):
        self._call("send_transfer_link", email)
        if self.down:
            from common.errors import ServiceUnavailable
            raise ServiceUnavailable("Service indisponible.")
        self.sent.append({"email": email, "token": token, "application_id": application["id"], "message": message})


def fake_clients(store: FakeUnitOfWork) -> Clients:
    return Clients(FakeOffers(store), FakeIdentity(store), FakeNotifications(store))


def at(days: float = 0, **kw) -> dt.datetime:
    """A fixed ``now`` (2027-01-04 09:00 UTC, a Monday) moved by ``days`` (and timedelta keywords)."""
    return dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.timezone.utc) + dt.timedelta(days=days, **kw)
