"""Issue 13 item 2: school-staff accounts act for their school only once someone accountable
confirmed them; one designated head per school (identity.domain.staff)."""
import datetime as dt

import pytest

from common.errors import Conflict, Forbidden, NotFound
from identity.domain import staff

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)
UAI = "0131884C"
ADMIN = {"id": "admin", "role": "admin"}


def member(uid, function="teacher", confirmed=False, uai=UAI, status="active"):
    return {"id": uid, "role": "school_staff", "function": function, "school_uai": uai, "status": status,
            "staff_confirmed_at": NOW if confirmed else None}


def test_claim_and_token_rule():
    assert staff.confirmed_claim(member("a")) is False
    assert staff.confirmed_claim(member("a", confirmed=True)) is True
    assert staff.confirmed_claim({"id": "e", "role": "employer"}) is None
    assert not staff.actor_may_act({"role": "school_staff", "staff_confirmed": None})   # old tokens: no claim
    assert not staff.actor_may_act({"role": "school_staff", "staff_confirmed": False})
    assert staff.actor_may_act({"role": "school_staff", "staff_confirmed": True})
    assert staff.actor_may_act({"role": "employer"}) and staff.actor_may_act({"role": "admin"})
    with pytest.raises(Forbidden) as e:
        staff.require_confirmed(member("a", function="head"))
    assert e.value.code == "staff_not_confirmed" and "confirmé" in e.value.detail
    staff.require_confirmed(member("a", confirmed=True))
    staff.require_confirmed({"id": "x", "role": "admin"})


def test_first_head_is_confirmed_by_an_admin_only():
    head = member("h", function="head")
    assert staff.check_can_confirm(ADMIN, head, UAI, school_has_confirmed_head=False) == staff.BY_ADMIN
    # an unconfirmed head cannot confirm anyone, not even another head of the same school
    with pytest.raises(Forbidden):
        staff.check_can_confirm(member("h2", function="head"), head, UAI, False)
    with pytest.raises(Forbidden):    # nor himself
        staff.check_can_confirm(member("h", function="head", confirmed=True), head, UAI, True)
    assert staff.becomes_designated_head(head, None) and not staff.becomes_designated_head(head, "other")
    assert not staff.becomes_designated_head(member("t"), None)


def test_a_confirmed_head_confirms_colleagues_of_his_school_only():
    boss = member("boss", function="head", confirmed=True)
    assert staff.check_can_confirm(boss, member("t"), UAI, True) == staff.BY_HEAD
    assert staff.check_can_confirm(boss, member("h2", function="head"), UAI, True) == staff.BY_HEAD
    with pytest.raises(NotFound):
        staff.check_can_confirm(boss, member("t", uai="0131264D"), UAI, True)
    with pytest.raises(Forbidden):
        staff.check_can_confirm(member("boss", function="head", confirmed=True, uai="0131264D"), member("t"), UAI, True)
    with pytest.raises(Forbidden):   # a confirmed teacher or administrative staff does not confirm
        staff.check_can_confirm(member("x", function="admin_staff", confirmed=True), member("t"), UAI, True)
    with pytest.raises(Conflict) as e:
        staff.check_can_confirm(boss, member("t", confirmed=True), UAI, True)
    assert e.value.code == "staff_already_confirmed"
    with pytest.raises(Conflict):
        staff.check_can_confirm(boss, member("t", status="pending_activation"), UAI, True)
    with pytest.raises(NotFound):
        staff.check_can_confirm(boss, {"id": "p", "role": "pupil", "school_uai": UAI}, UAI, True)


def test_designated_head_changes_explicitly():
    current = member("cur", function="head", confirmed=True)
    nxt = member("next", function="head", confirmed=True)
    staff.check_can_designate(ADMIN, nxt, UAI, "cur")
    staff.check_can_designate(current, nxt, UAI, "cur")            # the designated head hands over
    with pytest.raises(Forbidden):                                  # another confirmed head cannot take over
        staff.check_can_designate(member("other", function="head", confirmed=True), nxt, UAI, "cur")
    with pytest.raises(Conflict):
        staff.check_can_designate(ADMIN, member("n", function="head"), UAI, "cur")       # not confirmed
    with pytest.raises(Conflict):
        staff.check_can_designate(ADMIN, member("t", confirmed=True), UAI, "cur")        # not a head
    with pytest.raises(Conflict):
        staff.check_can_designate(ADMIN, current, UAI, "cur")                            # already


def test_invitations():
    boss = member("boss", function="head", confirmed=True)
    staff.check_can_invite(boss, UAI, "teacher")
    staff.check_can_invite(boss, UAI, "head")
    staff.check_can_invite(ADMIN, UAI, "head")
    staff.check_can_invite(member("a", function="admin_staff", confirmed=True), UAI, "teacher")
    with pytest.raises(Forbidden):
        staff.check_can_invite(member("a", function="admin_staff", confirmed=True), UAI, "head")
    with pytest.raises(Forbidden):
        staff.check_can_invite(member("h", function="head"), UAI, "teacher")             # unconfirmed
    assert staff.confirmed_by_invitation(boss, UAI) and staff.confirmed_by_invitation(ADMIN, UAI)
    assert not staff.confirmed_by_invitation(member("a", function="admin_staff", confirmed=True), UAI)
    assert not staff.confirmed_by_invitation(member("h", function="head"), UAI)
    assert not staff.confirmed_by_invitation(boss, "0131264D") and not staff.confirmed_by_invitation(None, UAI)
