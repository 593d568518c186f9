"""The timer's expiry statement (repository.EXPIRE_SQL) and the domain agree: the same applications are due
(deadlines.is_due, machine.overdue), they move to the same states with the same history, and the
application.expired envelope built in SQL is the one views.event_data and common.events.make_envelope build."""
from __future__ import annotations

import datetime as dt
import uuid

import jsonschema
import pytest
from sqlalchemy import insert, select, text

from common.db import make_engine
from common.events import make_envelope

from applications import views
from applications.domain import deadlines as C
from applications.domain import machine as M
from applications.domain import states as S
from applications.events import EVENTS
from applications.models import applications as A
from applications.models import transitions as H
from applications.repository import expire_batch

NOW = dt.datetime(2027, 1, 20, 9, 30, tzinfo=dt.timezone.utc)
US = dt.timedelta(microseconds=1)
# how long ago the application's clock started (submission, restoration or acceptance)
AGES = (dt.timedelta(days=31), dt.timedelta(days=30), dt.timedelta(days=30) - US, dt.timedelta(days=15) + US,
        dt.timedelta(days=15), dt.timedelta(days=15) - US, dt.timedelta(days=1))


@pytest.fixture(scope="module")
def engine(service_db):
    e = make_engine(service_db("applications", reference=False), pool_size=2)
    yield e
    e.dispose()


def _row(state: str, age: dt.timedelta) -> dict:
    start = NOW - age
    facts = M.ApplicationFacts(id=str(uuid.uuid4()), state=state, pupil_id=str(uuid.uuid4()),
                               employer_id=str(uuid.uuid4()), submitted_at=start, grade="troisieme",
                               weeks=("2027-W05",), offer_id=str(uuid.uuid4()), school_uai="0130001A",
                               accepted_at=start if state == S.ACCEPTED_BY_EMPLOYER else None)
    return {"id": facts.id, "offer_id": facts.offer_id, "employer_id": facts.employer_id,
            "space_id": facts.employer_id, "pupil_id": facts.pupil_id, "school_uai": facts.school_uai, "grade": facts.grade,
            "weeks": list(facts.weeks), "motivation": "Je souhaite découvrir.", "state": state,
            "submitted_at": start, "accepted_at": facts.accepted_at, "transferred_at": None, "restored_at": None,
            "nudged_at": None, "reapply_invited_at": None, "restore_count": 0, "updated_at": start,
            **facts.clocks.as_columns()}


def test_the_statement_expires_what_the_domain_says_is_due(engine):
    rows = [_row(state, age) for state in S.STATES for age in AGES]
    with engine.begin() as c:
        c.execute(text("TRUNCATE applications, application_deadlines, application_transitions, transfer_tokens, outbox"))
        c.execute(insert(A), rows)
    expected = {}
    for r in rows:
        t = M.overdue(views.facts_of(r), NOW)
        if t is not None:
            expected[r["id"]] = t
    assert expected and len(expected) < len(rows)  # both sides of every deadline are covered

    with engine.begin() as c:
        taken, done = expire_batch(c, NOW, 10_000)
    assert done == len(expected)

    with engine.connect() as c:
        states = dict(c.execute(select(A.c.id, A.c.state)).all())
        history = {h.application_id: h for h in c.execute(select(H)).all()}
        envelopes = {e["data"]["application_id"]: e for e in c.execute(
            text("SELECT envelope FROM outbox WHERE type = 'application.expired'")).scalars()}
    for r in rows:
        t = expected.get(r["id"])
        assert states[r["id"]] == (t.to_state if t else r["state"]), (r["state"], r["deadline_at"])
    assert set(history) == set(envelopes) == set(expected)
    for app_id, t in expected.items():
        h = history[app_id]
        assert (h.action, h.from_state, h.to_state, h.actor_role, h.actor_id, h.at) == \
               (t.action, t.from_state, t.to_state, t.actor_role, t.actor_id, t.at)


def test_the_envelope_built_in_sql_is_the_one_python_builds(engine):
    row = _row(S.ACCEPTED_BY_EMPLOYER, dt.timedelta(days=16))
    with engine.begin() as c:
        c.execute(text("TRUNCATE applications, application_deadlines, application_transitions, transfer_tokens, outbox"))
        c.execute(insert(A), [row])
        assert expire_batch(c, NOW, 100) == (1, 1)
    with engine.connect() as c:
        envelope = c.execute(text("SELECT envelope FROM outbox WHERE type = 'application.expired'")).scalar_one()
    facts = views.facts_of(row)
    t = M.overdue(facts, NOW)
    data = views.event_data(row, t, M.columns_after(facts, t))
    expected = make_envelope("applications", t.event_type, data, EVENTS[t.event_type]["version"], occurred_at=NOW)
    assert envelope["data"] == data
    assert {k: v for k, v in envelope.items() if k != "event_id"} == \
           {k: v for k, v in expected.items() if k != "event_id"}
    jsonschema.validate(envelope["data"], EVENTS["application.expired"]["data_schema"])
    assert data["state"] == C.expiry_target(C.EXPIRE_BY_PUPIL) and data["expires_at"] is None
