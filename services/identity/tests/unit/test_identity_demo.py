import csv
from pathlib import Path

from identity.use_cases import demo
from identity.domain import academic, passwords, roles

DATA = Path(__file__).resolve().parents[4] / "data" / "reference"


def test_demo_accounts_follow_the_rules():
    with open(DATA / "schools.csv", encoding="utf-8") as f:
        schools = {r["uai"]: r for r in csv.DictReader(f)}
    college, lycee = schools[demo.DEMO_COLLEGE_UAI], schools[demo.DEMO_LYCEE_UAI]
    assert college["kind"] == "college" and college["education_prioritaire"] in ("REP", "REP+")
    assert lycee["kind"] == "lycee"
    assert passwords.check_password(demo.DEMO_PASSWORD) is None
    for a in demo.ACCOUNTS:
        if a["role"] == roles.SCHOOL_STAFF:
            assert academic.check_academic_email(a["email"], schools[a["school_uai"]]["academie_name"]) is None
    for p in demo.PUPILS:
        assert roles.grade_allowed_in(p["grade"], schools[p["school_uai"]]["kind"])
    grades = {p["grade"] for p in demo.PUPILS}
    assert grades == {"troisieme", "seconde"}
    emails = [a["email"] for a in demo.ACCOUNTS + demo.PUPILS]
    assert len(set(emails)) == len(emails)
    assert demo.demo_user_id(emails[0]) == demo.demo_user_id(emails[0])
