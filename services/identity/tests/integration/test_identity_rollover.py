"""The end-of-year rollover of accounts through the real service and PostgreSQL (docs/privacy.md): pupils move up
or out, classes are archived; an interrupted run resumes where it stopped, and a second run changes nothing."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from common.errors import Forbidden, ValidationError
from identity import repository

ADMIN = {"user_id": str(uuid.uuid4()), "role": "admin"}
COLLEGE = "0131884C"
LONG_AGO = dt.datetime(2025, 9, 1, tzinfo=dt.timezone.utc)


def _users(engine, rows):
    ids = []
    with Session(engine) as s, s.begin():
        for values in rows:
            uid = str(uuid.uuid4())
            repository.insert_user(s, id=uid, status=values.pop("status", "active"), first_name="A", last_name="B",
                                   created_at=LONG_AGO, updated_at=LONG_AGO, last_activity_at=LONG_AGO,
                                   school_uai=values.pop("school_uai", COLLEGE), **values)
            ids.append(uid)
    return ids


def _state(engine, ids):
    with engine.connect() as c:
        return {r.id: (r.grade, r.class_name, r.school_uai, r.classes, r.updated_at) for r in c.execute(
            text("SELECT id, grade, class_name, school_uai, classes, updated_at FROM users WHERE id = ANY(:ids)"),
            {"ids": ids})}


def test_the_rollover_moves_pupils_up_or_out_resumes_and_runs_once(identity, engine):
    rpc, _ = identity
    fourth = _users(engine, [{"role": "pupil", "grade": "quatrieme", "class_name": f"4{c}"} for c in "ABC"])
    third = _users(engine, [{"role": "pupil", "grade": "troisieme", "class_name": "3A"} for _ in range(2)])
    lycee = _users(engine, [{"role": "pupil", "grade": "seconde", "class_name": "2nde1", "school_uai": "0130043B"}])
    gone = _users(engine, [{"role": "pupil", "grade": "quatrieme", "class_name": "4A", "status": "anonymized"}])
    teacher = _users(engine, [{"role": "school_staff", "function": "teacher", "classes": ["4A", "3A"]}])
    everyone = fourth + third + lycee + gone + teacher

    with pytest.raises(Forbidden):
        rpc.rollover(actor={"user_id": teacher[0], "role": "school_staff"}, school_year="2025-2026")
    with pytest.raises(ValidationError) as e:
        rpc.rollover(actor=ADMIN, school_year="2099-2100")          # not over yet
    assert "n'est pas terminée" in e.value.errors["school_year"][0]
    with pytest.raises(ValidationError):
        rpc.rollover(actor=ADMIN, school_year="2025-2027")
    assert rpc.rollover_report(actor=ADMIN, school_year="2025-2026")["status"] == "not_started"

    # interrupted after one batch of two pupils: the report tells what is left
    out = rpc.rollover(actor=ADMIN, school_year="2025-2026", batch=2, max_batches=1)
    assert out["status"] == "in_progress" and out["steps"]["pupils"]["seen"] == 2
    assert out["steps"]["pupils"]["remaining"] >= 4 and not out["steps"]["staff_classes"]["finished"]
    # resumed: it continues where it stopped, to the end
    out = rpc.rollover(actor=ADMIN, school_year="2025-2026", batch=2)
    assert out["status"] == "finished" and out["finished_at"]
    assert out["steps"]["pupils"]["remaining"] == 0 and out["steps"]["staff_classes"]["finished"]
    after = _state(engine, everyone)
    assert {after[u][:3] for u in fourth} == {("troisieme", None, COLLEGE)}
    assert {after[u][:3] for u in third + lycee} == {(None, None, None)}          # out of the school
    assert after[gone[0]][:2] == ("quatrieme", "4A")                              # anonymised: untouched
    assert after[teacher[0]][3] is None                                           # classes archived
    # every pupil changed exactly once: a second run changes nothing and reports the same
    again = rpc.rollover(actor=ADMIN, school_year="2025-2026")
    assert again == out and _state(engine, everyone) == after
    assert rpc.rollover_report(actor=ADMIN, school_year="2025-2026") == out
