"""A collège's declared 3e weeks at submission (applications.domain.school_weeks), on the use case's fakes:
its 3e pupils apply only on those weeks; 4e pupils, and schools that declared nothing, are not restricted."""
import pytest

from applications.domain import school_weeks
from applications.use_cases import submission
from common.errors import ValidationError
from testkit.applications import employer, form, pupil
from testkit.applications.fakes import FakeUnitOfWork, at, fake_clients


def test_the_refusal_names_the_declared_weeks():
    assert school_weeks.refusal("troisieme", "2027-W05", []) is None
    assert school_weeks.refusal("troisieme", "2027-W05", ["2027-W05", "2027-W06"]) is None
    assert school_weeks.refusal("quatrieme", "2027-W07", ["2027-W05"]) is None
    message = school_weeks.refusal("troisieme", "2027-W07", ["2027-W05", "2027-W06"])
    assert message == ("Votre collège a fixé les semaines de stage des élèves de 3e ; choisissez l'une d'elles : "
                       "semaine du 01/02/2027 (2027-W05), semaine du 08/02/2027 (2027-W06).")


def test_submission_checks_the_weeks_of_the_pupils_school():
    uow = FakeUnitOfWork()
    clients = fake_clients(uow)
    emp = employer()
    offer_id = clients.offers.add(emp["user_id"], weeks=("2027-W05", "2027-W06"))
    p = pupil(grade="troisieme", school_uai="0130007M")
    clients.identity.weeks["0130007M"] = ["2027-W06"]
    with pytest.raises(ValidationError) as e:
        submission.submit(uow, clients, p, offer_id, form(week="2027-W05"), None, at())
    assert e.value.code == "week_not_declared_by_school" and "2027-W06" in e.value.errors["week"][0]
    assert submission.submit(uow, clients, p, offer_id, form(week="2027-W06"), None, at())["created"]
    # another school (nothing declared): no restriction
    other = pupil(grade="troisieme", school_uai="0131884C")
    assert submission.submit(uow, clients, other, offer_id, form(week="2027-W05"), None, at())["created"]
