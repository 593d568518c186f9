"""The conventions part of the end-of-year rollover on PostgreSQL (docs/privacy.md): agreements signed by all whose
retention is over are purged of every person's data; the others are untouched; an interrupted run resumes, a
second run changes nothing."""
import datetime as dt
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from common.errors import Forbidden, ValidationError
from conventions.domain.convention import Signature
from conventions.queries import Queries
from conventions.repository import Repository
from conventions.use_cases import rollover
from testkit.conventions import sample_convention

ADMIN = {"user_id": "5b4f7c1e-0000-4000-8000-000000000001", "role": "admin"}
NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def uow(service_db):
    engine = create_engine(service_db("conventions"))

    @contextmanager
    def begin():
        with Session(engine) as s, s.begin():
            yield Repository(SimpleNamespace(session=s, emit=lambda *a: None, claim=lambda *a: True))

    @contextmanager
    def read():
        with Session(engine) as s:
            yield Queries(s)
    yield SimpleNamespace(begin=begin, read=read, engine=engine)
    engine.dispose()


def _agreement(uow, weeks, state="signed_by_all"):
    conv = sample_convention(weeks=weeks)
    with uow.begin() as repo:
        repo.add(conv, NOW)
        conv.state = state
        conv.signed_by_all_at = NOW if state == "signed_by_all" else None
        conv.frozen = conv.content()
        conv.signatures = [Signature(role="pupil", signer_key=f"user:{conv.pupil_user_id}", signer_name="Inès Haddad",
                                     method="session", signed_at=NOW, document_hash="h", ip="10.0.0.1",
                                     signer_user_id=conv.pupil_user_id)]
        repo.save(conv, NOW, before=[])
    return conv.id


def _rows(uow):
    with uow.engine.connect() as c:
        return {r.id: (r.pupil_name, r.prefill, r.employer_fields, r.school_fields, r.frozen) for r in
                c.execute(text("SELECT * FROM conventions"))}


def test_signed_agreements_past_their_retention_are_purged_once_and_resumably(uow):
    old = [_agreement(uow, ["2020-W10"]) for _ in range(3)]          # retention over in March 2025
    recent = _agreement(uow, ["2026-W10"])                           # kept until 2031
    unsigned = _agreement(uow, ["2020-W10"], state="validated")       # not a retention matter
    with pytest.raises(Forbidden):
        rollover.run(uow, {"user_id": "x", "role": "school_staff"}, "2025-2026", NOW)
    with pytest.raises(ValidationError):
        rollover.run(uow, ADMIN, "2026-2027", NOW)                    # not over before 1 July 2027

    out = rollover.run(uow, ADMIN, "2025-2026", NOW, batch=2, max_batches=1)   # interrupted
    assert out["status"] == "in_progress" and out["steps"]["signed_agreements"]["seen"] == 2
    assert out["steps"]["signed_agreements"]["remaining"] == 2
    out = rollover.run(uow, ADMIN, "2025-2026", NOW, batch=2)                   # resumed to the end
    assert out["status"] == "finished" and out["steps"]["signed_agreements"]["changed"] == 3
    rows = _rows(uow)
    for cid in old:
        pupil_name, prefill, employer, school, frozen = rows[cid]
        assert pupil_name == "Anonyme Anonyme" and prefill["pupil"]["birth_date"] is None
        assert "tutor" not in employer and "referent_teacher" not in school and "pupil_phone" not in school
        assert frozen["prefill"]["pupil"]["last_name"] == "Anonyme"
    assert rows[recent][0] == "Haddad Inès" and rows[unsigned][0] == "Haddad Inès"
    with uow.engine.connect() as c:
        names = {r.convention_id: (r.signer_name, r.ip) for r in c.execute(text("SELECT * FROM signatures"))}
    assert {names[cid] for cid in old} == {("Anonyme", None)} and names[recent] == ("Inès Haddad", "10.0.0.1")

    assert rollover.run(uow, ADMIN, "2025-2026", NOW) == out and _rows(uow) == rows     # twice: nothing more
    assert rollover.report(uow, ADMIN, "2025-2026") == out
