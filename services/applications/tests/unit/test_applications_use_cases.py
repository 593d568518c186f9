"""The use cases with in-memory fakes (testkit.applications.fakes): no broker, no database. The fake clients
fail any call made while row locks are held, so every test here also checks "no RPC under a lock"."""
from __future__ import annotations

import datetime as dt

import pytest

import testkit.hooks  # noqa: F401  (registers the listener of common.seams: the transfer link's token)
from common.errors import Conflict, Forbidden, NotFound, ValidationError
from testkit.applications import employer, form, pupil
from testkit.applications.fakes import FakeUnitOfWork, at, fake_clients

from applications.domain import deadlines as C
from applications.use_cases import (anonymisation, answers, expiry, exports, reading, seats, statistics, submission,
                                    transfers)


@pytest.fixture
def uow():
    return FakeUnitOfWork()


@pytest.fixture
def clients(uow):
    return fake_clients(uow)


@pytest.fixture
def emp():
    return employer()


def offer(clients, emp, **kw):
    return clients.offers.add(emp["user_id"], **kw)


def apply_(uow, clients, p, offer_id, now=None, key=None, week="2027-W05"):
    return submission.submit(uow, clients, p, offer_id, form(week=week), key, now or at())


def act(uow, clients, actor, app, action, now=None, **kw):
    return answers.transition(uow, clients, actor, app["id"], action, now or at(1), **kw)


def accepted(uow, clients, emp, seats=3):
    """A pupil's application, accepted by ``emp``: (pupil, application)."""
    p = pupil()
    a = apply_(uow, clients, p, offer(clients, emp, seats=seats))
    act(uow, clients, emp, a, "accept")
    return p, a


# -- submission --------------------------------------------------------------------------------------------

def test_submit_records_the_application_its_deadline_and_event(uow, clients, emp):
    o = offer(clients, emp)
    p = pupil()
    a = apply_(uow, clients, p, o)
    assert a["created"] and a["state"] == "submitted" and a["pupil_name"] == "Léa Martin"
    assert a["deadline_at"] == (at() + dt.timedelta(days=C.EMPLOYER_ANSWER_DAYS)).isoformat()
    (etype, data), = uow.events
    assert etype == "application.submitted"
    assert data["expires_at"] == a["deadline_at"] and data["submitted_at"] == at().isoformat()
    assert [h["action"] for h in a["history"]] == ["submit"]


def test_submit_is_idempotent_per_key(uow, clients, emp):
    o = offer(clients, emp)
    p = pupil()
    first = apply_(uow, clients, p, o, key="k1")
    again = apply_(uow, clients, p, o, key="k1")
    assert again["id"] == first["id"] and again["created"] is False
    assert len(uow.applications) == 1 and uow.event_types() == ["application.submitted"]
    with pytest.raises(Conflict) as e:
        apply_(uow, clients, p, o, key="k2")
    assert e.value.code == "already_applied"


def test_an_ineligible_pupil_is_refused_before_identity_is_asked(uow, clients, emp):
    o = offer(clients, emp, grades=("seconde",), weeks=("2027-W25", "2027-W26"))
    with pytest.raises(Forbidden):
        apply_(uow, clients, pupil(grade="troisieme"), o)
    assert clients.identity.calls == [] and uow.applications == {}


# -- answers -----------------------------------------------------------------------------------------------

def test_confirming_reserves_a_seat_and_cancels_the_other_pending_applications(uow, clients, emp):
    o1, o2 = offer(clients, emp), offer(clients, emp)
    p = pupil()
    a1, a2 = apply_(uow, clients, p, o1), apply_(uow, clients, p, o2)
    act(uow, clients, emp, a1, "accept")
    out = act(uow, clients, p, a1, "confirm", at(2))
    assert out["state"] == "confirmed"
    assert clients.offers.reserved == {a1["id"]: o1}
    assert uow.applications[a1["id"]]["seat_held"] is True
    assert uow.applications[a2["id"]]["state"] == "cancelled_after_other_confirmed"
    cancelled = [d for t, d in uow.events if t == "application.cancelled"]
    assert cancelled[0]["confirmed_application_id"] == a1["id"]
    accepted = next(d for t, d in uow.events if t == "application.accepted")
    assert accepted["accept_expires_at"] == accepted["expires_at"] == (at(1) + dt.timedelta(days=15)).isoformat()


def test_a_full_offer_refuses_the_confirmation_and_nothing_changes(uow, clients, emp):
    o = offer(clients, emp, seats=1)
    p1, p2 = pupil(), pupil()
    a1, a2 = apply_(uow, clients, p1, o), apply_(uow, clients, p2, o)
    for a in (a1, a2):
        act(uow, clients, emp, a, "accept")
    act(uow, clients, p1, a1, "confirm", at(2))
    with pytest.raises(Conflict) as e:
        act(uow, clients, p2, a2, "confirm", at(2))
    assert e.value.code == "no_seat_left"
    assert uow.applications[a2["id"]]["state"] == "accepted_by_employer"


def test_a_seat_reserved_for_a_confirmation_that_fails_under_the_lock_is_given_back(uow, clients, emp):
    p, a = accepted(uow, clients, emp)

    def pupil_cancels_meanwhile():
        act(uow, clients, p, a, "cancel", at(2))

    clients.offers.on_reserve = pupil_cancels_meanwhile
    with pytest.raises(Conflict) as e:
        act(uow, clients, p, a, "confirm", at(2))
    assert e.value.code == "invalid_transition"
    assert clients.offers.reserved == {}
    assert uow.applications[a["id"]]["state"] == "cancelled_by_pupil"


def test_a_cancelled_confirmation_gives_the_seat_back_or_the_timer_retries(uow, clients, emp):
    p, a = accepted(uow, clients, emp)
    act(uow, clients, p, a, "confirm", at(2))
    clients.offers.down = True
    act(uow, clients, p, a, "cancel", at(3))
    assert uow.applications[a["id"]]["seat_held"] is True and a["id"] in clients.offers.reserved
    clients.offers.down = False
    assert seats.reconcile(uow, clients, limit=50, timeout=3.0) == 1
    assert uow.applications[a["id"]]["seat_held"] is False and clients.offers.reserved == {}


def test_a_deadline_applies_before_the_action_and_a_reacceptance_needs_a_seat(uow, clients, emp):
    o = offer(clients, emp, seats=1)
    a = apply_(uow, clients, pupil(), o)
    clients.offers.calls.clear()
    out = act(uow, clients, emp, a, "accept", at(15))
    assert out["state"] == "accepted_by_employer"
    assert [h["to_state"] for h in out["history"]] == ["submitted", "expired", "accepted_by_employer"]
    assert [c[0] for c in clients.offers.calls] == ["get_offer"]  # the seats left, asked before locking


def test_wrong_party_sees_nothing(uow, clients, emp):
    a = apply_(uow, clients, pupil(), offer(clients, emp))
    with pytest.raises(NotFound):
        act(uow, clients, employer(), a, "accept")


def test_bulk_is_all_or_nothing(uow, clients, emp):
    o = offer(clients, emp, seats=5)
    apps = [apply_(uow, clients, pupil(), o) for _ in range(3)]
    act(uow, clients, emp, apps[0], "reject", reason="Complet")
    with pytest.raises(Conflict) as e:
        answers.bulk(uow, clients, emp, "accept", [a["id"] for a in apps], at(1))
    assert e.value.code == "bulk_refused" and list(e.value.errors) == [apps[0]["id"]]
    assert [uow.applications[a["id"]]["state"] for a in apps[1:]] == ["submitted", "submitted"]
    out = answers.bulk(uow, clients, emp, "read", [a["id"] for a in apps[1:]], at(1))
    assert out["count"] == 2 and {i["state"] for i in out["items"]} == {"read_by_employer"}
    with pytest.raises(ValidationError):
        answers.bulk(uow, clients, emp, "accept", [], at(1))


# -- transfers ---------------------------------------------------------------------------------------------

def test_a_transfer_sends_its_link_first_and_the_link_is_single_use(uow, clients, emp):
    a = apply_(uow, clients, pupil(), offer(clients, emp))
    act(uow, clients, emp, a, "transfer", email="RH@Example.fr", message="Regarde")
    (sent,) = clients.notifications.sent
    assert sent["email"] == "rh@example.fr"
    assert testkit.hooks.last_secret("transfer", a["id"]) == sent["token"]
    assert sent["token"] not in str(uow.events)
    view = transfers.get_transfer(uow, sent["token"], at(2))
    assert view["application"]["email"] is None and "pupil_id" not in view["application"]
    done = transfers.decide_transfer(uow, sent["token"], "accept", at(2))
    assert done["state"] == "accepted_by_employer"
    with pytest.raises(Conflict) as e:
        transfers.get_transfer(uow, sent["token"], at(2))
    assert e.value.code == "transfer_link_used"


def test_a_transfer_whose_link_cannot_be_sent_does_not_happen(uow, clients, emp):
    from common.errors import ServiceUnavailable

    a = apply_(uow, clients, pupil(), offer(clients, emp))
    clients.notifications.down = True
    with pytest.raises(ServiceUnavailable):
        act(uow, clients, emp, a, "transfer", email="rh@example.fr")
    assert uow.applications[a["id"]]["state"] == "submitted" and uow.links == {}


def test_a_transfer_link_expires_after_30_days(uow, clients, emp):
    a = apply_(uow, clients, pupil(), offer(clients, emp))
    act(uow, clients, emp, a, "transfer", email="rh@example.fr")
    token = clients.notifications.sent[0]["token"]
    with pytest.raises(Conflict) as e:
        transfers.decide_transfer(uow, token, "reject", at(1 + C.TRANSFER_LINK_DAYS), reason="Non")
    assert e.value.code == "transfer_link_expired"


# -- the timer ---------------------------------------------------------------------------------------------

def test_the_timer_expires_what_is_due(uow, clients, emp):
    o = offer(clients, emp)
    a1 = apply_(uow, clients, pupil(), o)
    a2 = apply_(uow, clients, pupil(), o, now=at(1))
    assert expiry.expire_due(uow, at(15), batch=1, workers=2) == 1
    assert uow.applications[a1["id"]]["state"] == "expired"
    assert uow.applications[a2["id"]]["state"] == "submitted"
    assert uow.event_types().count("application.expired") == 1 and uow.relay_woken == 1


# -- reads, exports, statistics, anonymisation -------------------------------------------------------------

def test_lists_exports_and_statistics(uow, clients, emp):
    o = offer(clients, emp)
    p = pupil(rep="REP+")
    a = apply_(uow, clients, p, o)
    assert reading.get_application(uow, a["id"], p, at())["history"][0]["action"] == "submit"
    listed = reading.list_applications(uow, emp, {"tab": "received"}, at())
    assert listed["total"] == 1 and listed["tabs"]["received"] == 1 and listed["items"][0]["email"] is None
    csv = exports.export_csv(uow, emp, None)
    assert csv["count"] == 1 and "Boulanger" in csv["content"]
    mine = exports.export_personal_data(uow, p)
    assert mine["applications"][0]["email"] == "lea@example.fr"
    figures = statistics.statistics(uow, emp, None)
    assert figures["by_category"]["rep_plus"]["total"] == 1 and figures["scope"]["kind"] == "employer"


def test_class_summary_reads_the_roster_from_identity(uow, clients, emp):
    p = pupil(school_uai="0131884C")
    apply_(uow, clients, p, offer(clients, emp))
    clients.identity.rosters["0131884C"] = [{"pupil_id": p["user_id"], "name": "Léa", "class_name": "3A"},
                                            {"pupil_id": "other", "name": "Tom", "class_name": "3A"}]
    staff = {"user_id": "s", "role": "school_staff", "school_uai": "0131884C"}
    out = statistics.class_summary(uow, clients, staff)
    assert (out["pupils"], out["with_application"]) == (2, 1)


def test_an_anonymised_pupil_is_erased_once(uow, clients, emp):
    p = pupil()
    a = apply_(uow, clients, p, offer(clients, emp))
    envelope = {"event_id": "e1", "type": "user.anonymized", "data": {"user_id": p["user_id"], "role": "pupil"}}
    anonymisation.on_user_anonymized(uow, envelope)
    anonymisation.on_user_anonymized(uow, envelope)
    row = uow.applications[a["id"]]
    assert row["email"] is None and row["motivation"] == "" and row["state"] == "submitted"
    assert uow.claimed == {("e1", anonymisation.HANDLER)}


def test_an_anonymised_pupil_loses_the_messages_and_an_anonymised_employer_their_words(uow, clients, emp):
    p = pupil()
    a = apply_(uow, clients, p, offer(clients, emp))
    act(uow, clients, emp, a, "accept", message="Appelez-moi au 06 12 34 56 78, Paul Durand")
    assert any(h.get("message") for h in uow.history_rows)
    anonymisation.on_user_anonymized(uow, {"event_id": "e-emp", "type": "user.anonymized",
                                           "data": {"user_id": emp["user_id"], "role": "employer"}})
    assert not any(h.get("message") for h in uow.history_rows if h.get("actor_id") == emp["user_id"])
    assert uow.applications[a["id"]]["motivation"]            # the pupil's own data stays
    act(uow, clients, p, a, "cancel", reason="Je ne peux plus, Léa")
    anonymisation.on_user_anonymized(uow, {"event_id": "e-p", "type": "user.anonymized",
                                           "data": {"user_id": p["user_id"], "role": "pupil"}})
    assert not any(h.get("message") or h.get("reason") for h in uow.history_rows if h["application_id"] == a["id"])


def test_every_event_carries_the_deadline_of_the_new_state(uow, clients, emp):
    """Other services read deadlines from the events (expires_at), never re-derive them."""
    p = pupil()
    a = apply_(uow, clients, p, offer(clients, emp))
    act(uow, clients, emp, a, "transfer", at(2), email="rh@example.fr")
    act(uow, clients, p, a, "cancel", at(3))
    act(uow, clients, p, a, "restore", at(4))
    act(uow, clients, emp, a, "accept", at(5))
    act(uow, clients, p, a, "confirm", at(6))
    days = dt.timedelta(days=1)
    expected = {"application.submitted": at() + C.EMPLOYER_ANSWER_DAYS * days,
                "application.transferred": at() + C.TRANSFER_ANSWER_DAYS * days,
                "application.cancelled": None,
                "application.restored": at(4) + C.EMPLOYER_ANSWER_DAYS * days,
                "application.accepted": at(5) + C.PUPIL_CONFIRM_DAYS * days,
                "application.confirmed": None}
    assert [t for t, _ in uow.events] == list(expected)
    for etype, data in uow.events:
        deadline = expected[etype]
        assert data["expires_at"] == (deadline.isoformat() if deadline else None), etype
