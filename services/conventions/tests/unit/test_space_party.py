"""Every member of an employer space is the employer party of the space's agreements (domain/convention.py)."""
from conventions.domain.convention import Convention, party_of, visible_filter


def _conv(**kw):
    return Convention(id="c1", application_id="a1", grade="troisieme", school_uai="0131884C", pupil_user_id="p1",
                      employer_user_id="e1", **kw)


def test_members_of_the_space_are_the_employer_party():
    conv = _conv(space_id="s9")
    colleague = {"role": "employer", "user_id": "e2", "space_id": "s9"}
    assert party_of(conv, colleague) == "employer" and visible_filter(colleague) == ("space_id", "s9")
    assert party_of(conv, {"role": "employer", "user_id": "e1", "space_id": "e1"}) is None
    assert party_of(conv, {"role": "employer", "user_id": "e3", "space_id": "s8"}) is None


def test_before_spaces_an_agreement_belongs_to_its_employers_personal_space():
    conv = _conv()
    assert conv.space_id == "e1"
    assert party_of(conv, {"role": "employer", "user_id": "e1"}) == "employer"
    assert visible_filter({"role": "employer", "user_id": "e1"}) == ("space_id", "e1")
