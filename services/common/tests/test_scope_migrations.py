"""The data migrations of issue 13 item 13: rows written before them get scope codes, never names.

Each service's database is migrated to the revision before, given rows as the old code wrote them, then
migrated to the head."""
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
        name = f"t{backends.run_id}_scopemig_{service}_{uuid.uuid4().hex[:6]}"
        made.append(name)
        return backends.create_database(name)

    yield make
    for name in made:
        backends.drop_database(name)


def _rows(url, sql):
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(sql)).all()]
    finally:
        engine.dispose()


def _write(url, sql, rows):
    engine = create_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text(sql), rows)
    finally:
        engine.dispose()


def test_applications_get_the_codes_of_their_school(database):
    url = database("applications")
    migrations.upgrade("applications", url, "0003")
    _write(url, "INSERT INTO applications (id, offer_id, employer_id, pupil_id, school_uai, academie, grade, weeks, "
                "motivation, state, submitted_at, updated_at) VALUES (:id, :o, :o, :o, :uai, :academie, 'troisieme', "
                "ARRAY['2027-W05'], 'm', 'submitted', :now, :now)", [
                    # the académie's name, as the pupil's token carried it
                    {"id": "a1", "o": str(uuid.uuid4()), "uai": "0131884C", "academie": "Aix-Marseille", "now": NOW},
                    {"id": "a2", "o": str(uuid.uuid4()), "uai": "0060076A", "academie": "Nice", "now": NOW},
                    # a school the directory does not know: the name still becomes a code
                    {"id": "a3", "o": str(uuid.uuid4()), "uai": "9999999Z", "academie": "Paris", "now": NOW},
                    {"id": "a4", "o": str(uuid.uuid4()), "uai": None, "academie": None, "now": NOW}])
    migrations.upgrade("applications", url)
    assert _rows(url, "SELECT id, academie_code, departement_code, region_code FROM applications ORDER BY id") == [
        ("a1", "02", "13", "93"), ("a2", "23", "06", "93"), ("a3", "01", None, None), ("a4", None, None, None)]


def test_conventions_get_the_codes_of_their_school(database):
    url = database("conventions")
    migrations.upgrade("conventions", url, "0003")
    _write(url, "INSERT INTO conventions (id, application_id, school_uai, academie, pupil_user_id, employer_user_id, "
                "grade, state) VALUES (:id, :id, :uai, :academie, 'p', 'e', 'troisieme', 'draft')", [
                    {"id": "c1", "uai": "0131884C", "academie": "02"},          # the code, as identity gave it
                    {"id": "c2", "uai": "0751703U", "academie": "Paris"},       # the name, when it did not
                    {"id": "c3", "uai": "9999999Z", "academie": "Nowhere"}])    # neither: dropped, never a name
    migrations.upgrade("conventions", url)
    assert _rows(url, "SELECT id, academie_code, departement_code, region_code FROM conventions ORDER BY id") == [
        ("c1", "02", "13", "93"), ("c2", "01", "75", "11"), ("c3", None, None, None)]


def test_statisticians_scope_names_become_codes(database):
    url = database("identity")
    migrations.upgrade("identity", url, "0003")
    rows = [{"id": f"s{i}", "scope": scope, "code": code, "now": NOW} for i, (scope, code) in enumerate([
        # (the column holds 10 characters: only short names could be stored)
        ("academie", "Créteil"), ("departement", "gard"), ("region", "Corse"),
        ("academie", "02"), ("national", None), ("academie", "Atlantis")])]
    _write(url, "INSERT INTO users (id, role, status, first_name, last_name, stat_scope, stat_scope_code, created_at, "
                "updated_at, last_activity_at) VALUES (:id, 'statistician', 'active', 'A', 'B', :scope, :code, :now, "
                ":now, :now)", rows)
    migrations.upgrade("identity", url)
    assert _rows(url, "SELECT id, stat_scope_code FROM users ORDER BY id") == [
        ("s0", "24"), ("s1", "30"), ("s2", "94"), ("s3", "02"), ("s4", None), ("s5", "Atlantis")]
