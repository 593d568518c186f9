"""Every member of an employer space manages the space's offers (domain/access.py)."""
from offers.domain import access

OFFER = {"owner_id": "e1", "employer_id": "e1", "space_id": "s9"}


def test_members_of_the_space_manage_its_offers_and_others_do_not():
    assert access.manages({"role": "employer", "user_id": "e2", "space_id": "s9"}, OFFER)
    assert not access.manages({"role": "employer", "user_id": "e1", "space_id": "e1"}, OFFER)   # the creator left
    assert not access.manages({"role": "employer", "user_id": "e3", "space_id": "s8"}, OFFER)
    assert access.manages({"role": "admin", "user_id": "a"}, OFFER)


def test_before_spaces_an_offer_belongs_to_its_employers_personal_space():
    legacy = {"owner_id": "e1", "employer_id": "e1"}
    assert access.manages({"role": "employer", "user_id": "e1"}, legacy)
    assert not access.manages({"role": "employer", "user_id": "e2"}, legacy)
    partner = {"owner_id": "o1", "operator_id": "o1", "employer_id": None}
    assert access.manages({"role": "operator", "user_id": "o1"}, partner)
    assert access.space_to_list({"role": "employer", "user_id": "e2", "space_id": "s9"}, None) == "s9"
    assert access.space_to_list({"role": "admin", "user_id": "a"}, "e1") is None
