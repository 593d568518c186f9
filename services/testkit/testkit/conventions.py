"""Test helpers of the conventions service: sample data for tests and benchmarks (never used by the service),
and (below) the in-memory fakes its use cases are unit-tested with."""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import uuid
from contextlib import contextmanager

from common.errors import ServiceUnavailable as _ServiceUnavailable
from conventions.domain.convention import Convention

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

EMPLOYER_FIELDS = {
    "representative": {"name": "Claire Dubois-Martin", "function": "Directrice des ressources humaines"},
    "tutor": {"name": "Karim Benali", "function": "Technicien de maintenance", "email": "karim.benali@atelier.example.fr",
              "phone": "06 12 34 56 78"},
    "activities": "Découverte de l'atelier de réparation de vélos, observation du diagnostic des pannes, "
                  "accueil des clients en boutique, participation à l'inventaire aux côtés du tuteur.",
    "hours": {"mode": "same", "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday"],
              "same": {"start": "09:00", "end": "16:30", "break_start": "12:00", "break_end": "13:00"}},
    "lunch_break": "Repas tiré du sac, pris dans la salle de pause de l'atelier",
}

SCHOOL_FIELDS = {
    "school_representative": {"name": "Jean-Pierre Lefèvre", "function": "Principal adjoint",
                              "email": "ce.0751234a@ac-paris.fr", "phone": "01 40 00 00 00"},
    "pupil_address": "12 rue des Lilas, 75020 Paris",
    "pupil_phone": "07 11 22 33 44",
    "referent_teacher": {"name": "Sophie Garnier", "email": "sophie.garnier@ac-paris.fr", "phone": "06 98 76 54 32"},
    "legal_representatives": [{"name": "Nadia Haddad", "email": "nadia.haddad@example.org", "phone": "06 55 44 33 22"},
                              {"name": "Youssef Haddad", "email": "youssef.haddad@example.org",
                               "phone": "06 55 44 33 23"}],
    "pai": False,
    "emergency_kit_by": None,
    "board_deliberation_date": "2026-09-15",
}


def prefill(school_uai: str = "0751234A", grade: str = "troisieme") -> dict:
    return {
        "pupil": {"first_name": "Inès", "last_name": "Haddad", "birth_date": "2012-03-14",
                  "class_name": "3e B" if grade != "seconde" else "2nde 4", "grade": grade},
        "school": {"uai": school_uai, "name": "Collège Jean Jaurès" if grade != "seconde" else "Lycée Voltaire",
                   "address": "5 avenue Gambetta", "zipcode": "75020", "city": "Paris",
                   "head_name": "Marie Lambert", "academie": "Paris"},
        "organisation": {"name": "Atelier Vélo Solidaire", "siret": "12345678900011",
                         "head_office_address": "40 rue de Bagnolet, 75020 Paris"},
        "offer": {"title": "Découverte des métiers du cycle", "internship_address": "40 rue de Bagnolet, 75020 Paris"},
    }


def sample_convention(grade: str = "troisieme", *, filled: bool = True, weeks=None) -> Convention:
    conv = Convention(
        id=str(uuid.uuid4()), application_id=str(uuid.uuid4()), grade=grade, school_uai="0751234A",
        pupil_user_id=str(uuid.uuid4()), employer_user_id=str(uuid.uuid4()), offer_id=str(uuid.uuid4()),
        organisation_id=str(uuid.uuid4()),
        weeks=list(weeks or (["2027-W05"] if grade != "seconde" else ["2027-W24", "2027-W25"])),
        prefill=prefill(grade=grade),
    )
    if filled:
        conv.employer = {k: (dict(v) if isinstance(v, dict) else v) for k, v in EMPLOYER_FIELDS.items()}
        conv.school = {k: v for k, v in SCHOOL_FIELDS.items()}
    return conv


def actors(conv: Convention) -> dict:
    base = {"function": None, "school_uai": None, "grade": None, "school_rep": None, "school_qpv": None,
            "academie": None, "staff_confirmed": None}
    staff = {**base, "role": "school_staff", "staff_confirmed": True}   # confirmed school staff
    return {
        "employer": {**base, "user_id": conv.employer_user_id, "role": "employer"},
        "other_employer": {**base, "user_id": str(uuid.uuid4()), "role": "employer"},
        "head": {**staff, "user_id": str(uuid.uuid4()), "function": "head",
                 "school_uai": conv.school_uai},
        "teacher": {**staff, "user_id": str(uuid.uuid4()), "function": "teacher",
                    "school_uai": conv.school_uai},
        "other_school": {**staff, "user_id": str(uuid.uuid4()), "function": "head",
                         "school_uai": "0999999Z"},
        "pupil": {**base, "user_id": conv.pupil_user_id, "role": "pupil", "school_uai": conv.school_uai,
                  "grade": conv.grade},
        "other_pupil": {**base, "user_id": str(uuid.uuid4()), "role": "pupil", "school_uai": conv.school_uai},
        "admin": {**base, "user_id": str(uuid.uuid4()), "role": "admin"},
        "statistician": {**base, "user_id": str(uuid.uuid4()), "role": "statistician"},
    }


def account(actor: dict, name: str = "Marie Lambert") -> dict:
    """The identity account behind an actor (``identity.get_user``), as the service fetches it to sign."""
    first, _, last = name.partition(" ")
    return {"id": actor["user_id"], "role": actor["role"], "function": actor.get("function"), "first_name": first,
            "last_name": last, "school_uai": actor.get("school_uai")}


# Fields of the parties used by the cross-service tests that fill a convention (the Marseille REP+ collège
# of the shared suite): tests/test_conventions_lifecycle.py, test_notifications_journey.py,
# test_event_catalogue_journey.py.
SUITE_EMPLOYER_FIELDS = {
    "representative": {"name": "Paul Durand", "function": "Gérant"},
    "tutor": {"name": "Karim Benali", "function": "Boulanger", "email": "karim@example.com", "phone": "06 12 34 56 78"},
    "hours": {"mode": "same", "same": {"start": "08:30", "end": "16:00", "break_start": "12:00",
                                       "break_end": "13:00"}},
}
SUITE_SCHOOL_FIELDS = {
    "school_representative": {"name": "Jean-Pierre Lefèvre", "function": "Principal adjoint",
                              "email": "ce.0131884c@ac-aix-marseille.fr", "phone": "04 91 00 00 00"},
    "pupil_address": "12 rue des Lilas, 13003 Marseille",
    "pupil_phone": "07 11 22 33 44",
    "referent_teacher": {"name": "Sophie Garnier", "email": "sophie.garnier@ac-aix-marseille.fr",
                         "phone": "06 98 76 54 32"},
    "pai": False,
    "board_deliberation_date": "2026-09-15",
}


# -- fakes for the use cases' unit tests (conventions.use_cases without PostgreSQL nor RabbitMQ) --------------


class FakeRepository:
    """In-memory twin of ``conventions.repository.Repository`` (same methods, same answers)."""

    def __init__(self, state: dict):
        self.state = state

    def emit(self, events) -> None:
        self.state["outbox"].extend((t, copy.deepcopy(d)) for t, d in events)

    def claim(self, envelope, handler) -> bool:
        key = (envelope["event_id"], handler)
        if key in self.state["inbox"]:
            return False
        self.state["inbox"].add(key)
        return True

    # conventions
    def get(self, convention_id, *, for_update=False):
        conv = self.state["conventions"].get(str(convention_id))
        return copy.deepcopy(conv)

    def get_many(self, ids, *, for_update=False):
        return {i: self.get(i) for i in sorted({str(i) for i in ids}) if i in self.state["conventions"]}

    def id_for_application(self, application_id):
        return next((c.id for c in self.state["conventions"].values()
                     if c.application_id == str(application_id)), None)

    def add(self, conv, now, location=None) -> bool:
        if self.id_for_application(conv.application_id):
            return False
        self.state["conventions"][conv.id] = copy.deepcopy(conv)
        self.state["locations"][conv.id] = dict(location or {})
        return True

    def save(self, conv, now, *, before=None) -> None:
        gone = set(before or []) - {s.id for s in conv.signatures}
        self.state["discarded_signatures"].update(gone)
        self.state["conventions"][conv.id] = copy.deepcopy(conv)

    # links
    def add_link(self, link_id, link) -> None:
        self.state["links"][link_id] = copy.deepcopy(link)

    def revoke_links(self, convention_id, now, *, rep_index=None, unused_only=True) -> None:
        for link in self.state["links"].values():
            if link.convention_id == convention_id and link.revoked_at is None \
                    and not (unused_only and link.used_at is not None) \
                    and (rep_index is None or link.rep_index == rep_index):
                link.revoked_at = now

    def find_link(self, token_hash):
        return next(((copy.deepcopy(link), link_id) for link_id, link in self.state["links"].items()
                     if link.token_hash == token_hash), None)

    def save_link_attempts(self, link_id, link) -> None:
        stored = self.state["links"][link_id]
        stored.failed_attempts, stored.locked_at = link.failed_attempts, link.locked_at

    def mark_link_used(self, link_id, now) -> None:
        self.state["links"][link_id].used_at = now

    # codes
    def signature_code(self, user_id, *, for_update=True):
        return copy.deepcopy(self.state["codes"].get(user_id))

    def put_signature_code(self, record) -> None:
        self.state["codes"][record.user_id] = copy.deepcopy(record)

    def set_code_attempts(self, user_id, attempts) -> None:
        self.state["codes"][user_id].attempts = attempts

    def delete_signature_code(self, user_id, issued_at) -> None:
        if user_id in self.state["codes"] and self.state["codes"][user_id].issued_at == issued_at:
            del self.state["codes"][user_id]

    # the school's image, documents
    def put_school_signature(self, school_uai, **values) -> None:
        self.state["school_signatures"][school_uai] = dict(values)

    def school_signature(self, school_uai):
        return copy.deepcopy(self.state["school_signatures"].get(school_uai))

    def stored_document(self, convention_id):
        doc = self.state["documents"].get(convention_id)
        return (doc["cache_key"], doc["pdf"]) if doc else None

    def put_document(self, convention_id, **values) -> None:
        self.state["documents"][convention_id] = dict(values)


class FakeQueries:
    """The read side the use cases call, over the fake's state (the SQL is proved by integration tests)."""

    def __init__(self, state: dict):
        self.state = state

    def personal_conventions(self, user_id):
        return [c.id for c in self.state["conventions"].values()
                if user_id in (c.pupil_user_id, c.employer_user_id)
                or any(s.signer_user_id == user_id for s in c.signatures)]


class FakeUnitOfWork:
    """In-memory twin of ``conventions.repository.UnitOfWork``: ``begin()`` works on a copy of the state kept only
    when the block ends without an exception (a rollback otherwise), ``read()`` the read side on a throw-away copy.
    ``events`` are the events committed, ``conventions`` the committed conventions."""

    def __init__(self):
        self.state = {"conventions": {}, "locations": {}, "links": {}, "codes": {}, "school_signatures": {},
                      "documents": {}, "inbox": set(), "outbox": [], "discarded_signatures": set()}
        self.commits = 0

    @contextmanager
    def begin(self):
        work = copy.deepcopy(self.state)
        yield FakeRepository(work)
        self.state = work
        self.commits += 1

    @contextmanager
    def read(self):
        yield FakeQueries(copy.deepcopy(self.state))

    @property
    def events(self) -> list:
        return self.state["outbox"]

    @property
    def conventions(self) -> dict:
        return self.state["conventions"]

    def links_of(self, convention_id) -> list:
        return [link for link in self.state["links"].values() if link.convention_id == convention_id]


class FakeClients:
    """In-memory twin of ``conventions.clients.Clients``: what identity, offers and applications answer, and the
    messages handed to notifications (``sent``). ``identity_down``: identity does not answer;
    ``notifications_down``: messages cannot be sent."""

    def __init__(self, *, users=None, schools=None, heads=None, applications=None, offers=None):
        self.users = dict(users or {})
        self.schools = dict(schools or {})
        self.school_heads = dict(heads or {})
        self.applications = dict(applications or {})
        self.offers = dict(offers or {})
        self.sent: list[dict] = []
        self.identity_down = False
        self.notifications_down = False

    def _identity(self, table, key):
        if self.identity_down:
            raise _ServiceUnavailable("L'annuaire des comptes ne répond pas. Réessayez dans quelques instants.")
        return copy.deepcopy(table.get(key))

    def user(self, user_id):
        return self._identity(self.users, user_id)

    def school(self, uai):
        return self._identity(self.schools, uai)

    def heads(self, uai):
        return self._identity(self.school_heads, uai) or []

    def prefill_sources(self, data):
        app = self.applications.get(str(data["application_id"]))
        uai = data.get("school_uai") or (app or {}).get("school_uai")
        offer_id = data.get("offer_id") or (app or {}).get("offer_id")
        return copy.deepcopy({"application": app, "pupil": self.users.get(data.get("pupil_id")),
                              "school": self.schools.get(uai), "heads": self.school_heads.get(uai) or [],
                              "offer": self.offers.get(offer_id)})

    def send_message(self, template, to, context, key) -> bool:
        if self.notifications_down:
            return False
        self.sent.append({"template": template, "to": to, "context": context, "key": key})
        return True


class FakeRenderer:
    """Stands for the rendering worker processes: a small fake PDF per request; ``calls`` counts renders."""

    def __init__(self):
        self.calls = 0

    def render(self, req: dict) -> bytes:
        self.calls += 1
        digest = hashlib.sha256(repr(sorted(req.items())).encode()).hexdigest()
        return b"%PDF-1.7 fake " + digest.encode()

