"""Employers' spaces (domain/spaces.py): the personal space, the current space claim, who invites and removes."""
import datetime as dt

import pytest

from common.errors import Conflict, Forbidden, NotFound, ValidationError
from identity.domain import access_tokens, spaces

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)
EMPLOYER = {"id": "e1", "role": "employer", "first_name": "Claire", "last_name": "Durand", "organisation_name": None}


def test_the_personal_space_is_the_employers_own_id_and_the_claim_follows_the_current_space():
    assert spaces.current_space_id(EMPLOYER, None) == "e1"
    assert spaces.current_space_id(EMPLOYER, "s9") == "s9"
    assert spaces.current_space_id({"id": "p", "role": "pupil"}, None) is None
    assert spaces.membership("e1", "e1", None) == spaces.OWNER
    assert spaces.membership("s9", "e1", None) is None
    assert spaces.membership("s9", "e1", "member") == "member"
    assert spaces.personal_space_name(EMPLOYER) == "Claire Durand"
    assert spaces.personal_space_name({**EMPLOYER, "organisation_name": "Boulangerie"}) == "Boulangerie"
    claims = access_tokens.build_claims({**EMPLOYER, "space_id": "s9"})
    assert claims["space_id"] == "s9" and access_tokens.actor_from_claims(claims)["space_id"] == "s9"
    assert access_tokens.build_claims({"id": "p", "role": "pupil", "space_id": "s9"})["space_id"] is None


def test_only_members_see_a_space_and_only_its_owner_invites():
    with pytest.raises(NotFound):
        spaces.require_member(None)
    with pytest.raises(Forbidden):
        spaces.require_owner(spaces.MEMBER)
    spaces.require_owner(spaces.OWNER)
    with pytest.raises(Forbidden):
        spaces.require_employer({"role": "school_staff"})
    assert spaces.clean_invitation(" Karim@Example.FR ", 1) == "karim@example.fr"
    with pytest.raises(ValidationError):
        spaces.clean_invitation("karim", 1)
    with pytest.raises(Conflict):
        spaces.clean_invitation("k@example.fr", spaces.MAX_MEMBERS)


def test_a_member_leaves_the_owner_removes_and_nobody_removes_the_owner():
    spaces.check_removal("m1", spaces.MEMBER, "m1", spaces.MEMBER)       # leaving
    spaces.check_removal("o", spaces.OWNER, "m1", spaces.MEMBER)         # removing
    with pytest.raises(Forbidden):
        spaces.check_removal("m1", spaces.MEMBER, "m2", spaces.MEMBER)
    with pytest.raises(Forbidden):
        spaces.check_removal("m1", spaces.MEMBER, "o", spaces.OWNER)
    with pytest.raises(Conflict):
        spaces.check_removal("o", spaces.OWNER, "o", spaces.OWNER)
    with pytest.raises(NotFound):
        spaces.check_removal("o", spaces.OWNER, "x", None)
    with pytest.raises(NotFound):
        spaces.check_removal("x", None, "m1", spaces.MEMBER)


def test_an_invitation_is_single_use_and_lasts_seven_days():
    rec = {"expires_at": NOW + spaces.INVITATION_TTL, "accepted_at": None}
    assert spaces.invitation_status(rec, NOW) == "valid"
    assert spaces.invitation_status(rec, NOW + dt.timedelta(days=7)) == "expired"
    assert spaces.invitation_status({**rec, "accepted_at": NOW}, NOW) == "used"
    assert spaces.invitation_status(None, NOW) == "unknown"
    with pytest.raises(Forbidden):
        spaces.check_joiner({"role": "pupil"}, "x@example.fr")
