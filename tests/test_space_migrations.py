"""The data migrations of employers' spaces: every existing employer gets a personal space whose id is their user
id (identity 0012_accounts), and offers, applications and agreements written before are back-filled with that
space (``space_id = employer_id``). Each database is migrated to the revision before, given rows as the old code
wrote them, then migrated to the head."""
import datetime as dt
import uuid

import pytest
from sqlalchemy import create_engine, text

from common import migrations

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def database(backends):
    made = []

    def make(service):
        name = f"t{backends.run_id}_spacemig_{service}_{uuid.uuid4().hex[:6]}"
        made.append(name)
        return backends.create_database(name)

    yield make
    for name in made:
        backends.drop_database(name)


def _sql(url, sql, rows=None):
    engine = create_engine(url)
    try:
        with engine.begin() as c:
            result = c.execute(text(sql), rows) if rows is not None else c.execute(text(sql))
            return [tuple(r) for r in result.all()] if result.returns_rows else None
    finally:
        engine.dispose()


def test_every_employer_gets_a_personal_space_named_after_them(database):
    url = database("identity")
    migrations.upgrade("identity", url, "0007_stat_scope_codes")
    _sql(url, "INSERT INTO users (id, role, status, first_name, last_name, organisation_name, created_at, updated_at, "
              "last_activity_at) VALUES (:id, :role, :status, 'Claire', 'Durand', :org, :now, :now, :now)", [
                  {"id": "e1", "role": "employer", "status": "active", "org": None, "now": NOW},
                  {"id": "e2", "role": "employer", "status": "pending_activation", "org": "Boulangerie", "now": NOW},
                  {"id": "e3", "role": "employer", "status": "anonymized", "org": None, "now": NOW},
                  {"id": "p1", "role": "pupil", "status": "active", "org": None, "now": NOW}])
    migrations.upgrade("identity", url)
    assert _sql(url, "SELECT id, name FROM spaces ORDER BY id") == [("e1", "Claire Durand"), ("e2", "Boulangerie")]
    assert _sql(url, "SELECT space_id, user_id, role FROM space_members ORDER BY user_id") == [
        ("e1", "e1", "owner"), ("e2", "e2", "owner")]
    assert _sql(url, "SELECT user_id, space_id FROM current_spaces ORDER BY user_id") == [("e1", "e1"), ("e2", "e2")]


@pytest.mark.parametrize("service,before,table,sql", [
    ("applications", "0005_scope_codes", "applications",
     "INSERT INTO applications (id, offer_id, employer_id, pupil_id, grade, weeks, motivation, state, submitted_at, "
     "updated_at) VALUES ('a1', 'o', :e, 'p', 'troisieme', ARRAY['2027-W05'], 'm', 'submitted', :now, :now)"),
    ("conventions", "0005_scope_codes", "conventions",
     "INSERT INTO conventions (id, application_id, school_uai, pupil_user_id, employer_user_id, grade, state) "
     "VALUES ('c1', 'a1', '0131884C', 'p', :e, 'troisieme', 'draft')"),
])
def test_records_written_before_belong_to_their_employers_personal_space(database, service, before, table, sql):
    url = database(service)
    migrations.upgrade(service, url, before)
    employer = str(uuid.uuid4())
    _sql(url, sql, [{"e": employer, "now": NOW}])
    migrations.upgrade(service, url)
    assert _sql(url, f"SELECT space_id FROM {table}") == [(employer,)]


def test_offers_of_employers_get_their_space_and_partner_offers_none(database):
    url = database("offers")
    migrations.upgrade("offers", url, "0004_holiday_weeks")
    employer, operator = str(uuid.uuid4()), str(uuid.uuid4())
    _sql(url, "INSERT INTO offers (id, state, owner_id, employer_id, operator_id, is_partner) VALUES "
              "(:a, 'draft', :e, :e, NULL, false), (:b, 'published', :o, NULL, :o, true)",
         [{"a": str(uuid.uuid4()), "b": str(uuid.uuid4()), "e": employer, "o": operator}])
    migrations.upgrade("offers", url)
    assert sorted(_sql(url, "SELECT is_partner, space_id::text FROM offers"), key=str) == sorted(
        [(False, employer), (True, None)], key=str)
