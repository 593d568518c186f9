"""Messages meant for « the employer » of an application or offer reach every member of its employer space; the
creator always, the colleagues as optional messages (each member's preferences decide)."""
from notifications.domain.messages import EMAIL, IN_APP, spec
from notifications.domain.policy import choose_channels
from notifications.domain.routing import OFFER_OWNER, USER
from notifications.use_cases.recipients import Directory
from testkit.notifications import FakeClients


def _clients(space_members):
    contacts = {u: {"email": f"{u}@example.fr", "first_name": u, "role": "employer", "status": "active"}
                for u in ("creator", "colleague", "other")}
    return FakeClients(contacts=contacts,
                       applications={"a1": {"id": "a1", "employer_id": "creator", "offer_id": "o1"}},
                       offers={"o1": {"id": "o1", "employer_id": "creator", "space_id": "s1"}},
                       spaces={"s1": space_members})


def _reached(d, kind, value):
    contacts = d.contacts(kind, value, [], {})
    return contacts + d.colleagues({"offer_id": "o1", "application_id": "a1"}, contacts)


def test_the_members_of_the_space_are_reached_the_colleagues_as_colleagues():
    d = Directory(_clients([{"user_id": "creator", "role": "owner"}, {"user_id": "colleague", "role": "member"}]))
    for kind, value in ((USER, "creator"), (OFFER_OWNER, "o1")):
        assert [(c.user_id, c.colleague) for c in _reached(d, kind, value)] == [("creator", False),
                                                                                 ("colleague", True)]
    assert d.colleagues({"application_id": "a1"}, []) == []   # no offer named: nobody more


def test_a_space_not_shared_reaches_its_creator_only():
    d = Directory(_clients([]))
    assert [c.user_id for c in _reached(d, USER, "creator")] == ["creator"]


def test_a_colleague_may_switch_off_e_mails_about_new_applications_the_creator_may_not():
    d = Directory(_clients([{"user_id": "creator", "role": "owner"}, {"user_id": "colleague", "role": "member"}]))
    creator, colleague = _reached(d, USER, "creator")
    off = {"email": {"applications": False}, "sms": {}}
    assert choose_channels(spec("new_application"), creator, off)[0] == [EMAIL, IN_APP]
    go, skipped = choose_channels(spec("new_application"), colleague, off)
    assert go == [IN_APP] and skipped == [(EMAIL, "opted out")]
    assert choose_channels(spec("new_application"), colleague, None)[0] == [EMAIL, IN_APP]
