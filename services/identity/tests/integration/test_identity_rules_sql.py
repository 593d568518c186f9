"""Where SQL expresses a rule of identity.domain, it agrees with the domain: the anonymisation batch
(queries.inactive_accounts, built from anonymisation.inactivity_cutoffs and NEVER_ANONYMISED) selects
exactly the accounts anonymisation.in_warning_window says the idle timer looks at (warn or anonymise)."""
import datetime as dt
import uuid

from sqlalchemy.orm import Session

from identity import queries, repository
from identity.domain import anonymisation

NOW = dt.datetime(2031, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
SECOND = dt.timedelta(seconds=1)


def test_the_anonymisation_batch_selects_what_the_domain_says_is_due(engine):
    cut = anonymisation.inactivity_cutoffs(NOW)
    cases = [("pupil", cut["pupil"]), ("pupil", cut["pupil"] + SECOND), ("pupil", cut["pupil"] - SECOND),
             ("employer", cut["pupil"]), ("employer", cut["other"]), ("employer", cut["other"] + SECOND),
             ("school_staff", cut["other"] - SECOND), ("statistician", cut["other"] + SECOND),
             ("admin", cut["other"] - dt.timedelta(days=400))]
    ids = {}
    with Session(engine) as s, s.begin():
        for role, last in cases:
            uid = str(uuid.uuid4())
            repository.insert_user(s, id=uid, role=role, status="active", email=f"{uid}@example.com",
                                   first_name="A", last_name="B", created_at=last, updated_at=last,
                                   last_activity_at=last)
            ids[uid] = (role, last)
    with Session(engine) as s:
        selected = {u["id"] for u in queries.inactive_accounts(s, cut, limit=10_000) if u["id"] in ids}
    due = {uid for uid, (role, last) in ids.items() if anonymisation.in_warning_window(role, last, NOW)}
    assert selected == due
    assert len(due) == 4   # the cases straddle each cut-off: both sides are present
