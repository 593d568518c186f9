"""A removed offer cancels its applications in progress (use_cases/offer_removal.py) on the fakes."""
from __future__ import annotations

import pytest

from testkit.applications import employer, form, pupil
from testkit.applications.fakes import FakeUnitOfWork, at, fake_clients

from applications.domain import machine as M
from applications.use_cases import answers, offer_removal, submission


@pytest.fixture
def uow():
    return FakeUnitOfWork()


def test_a_removed_offer_cancels_pending_and_confirmed_applications_once(uow):
    clients = fake_clients(uow)
    emp = employer()
    offer_id = clients.offers.add(emp["user_id"], seats=3)
    other_offer = clients.offers.add(emp["user_id"], seats=3)
    p1, p2, p3, p4 = pupil(), pupil(), pupil(), pupil()
    submitted = submission.submit(uow, clients, p1, offer_id, form(week="2027-W05"), None, at())
    confirmed = submission.submit(uow, clients, p2, offer_id, form(week="2027-W05"), None, at())
    answers.transition(uow, clients, emp, confirmed["id"], "accept", at(1))
    answers.transition(uow, clients, p2, confirmed["id"], "confirm", at(2))
    rejected = submission.submit(uow, clients, p3, offer_id, form(week="2027-W05"), None, at())
    answers.transition(uow, clients, emp, rejected["id"], "reject", at(1), reason="Complet.")
    elsewhere = submission.submit(uow, clients, p4, other_offer, form(week="2027-W05"), None, at())
    envelope = {"event_id": "e-removed", "type": "offer.removed", "data": {"offer_id": offer_id}}
    done = offer_removal.on_offer_removed(uow, clients, envelope, at(3))
    assert sorted(done) == sorted([submitted["id"], confirmed["id"]])
    assert offer_removal.on_offer_removed(uow, clients, envelope, at(3)) == []   # the inbox claims it once
    states = {k: uow.applications[k]["state"] for k in (submitted["id"], confirmed["id"], rejected["id"],
                                                       elsewhere["id"])}
    assert states == {submitted["id"]: "cancelled_by_employer", confirmed["id"]: "cancelled_by_employer",
                      rejected["id"]: "rejected", elsewhere["id"]: "submitted"}
    cancelled = [d for t, d in uow.events if t == "application.cancelled" and d["offer_id"] == offer_id]
    assert {d["cause"] for d in cancelled} == {"offer_removed"} and len(cancelled) == 2
    assert [d["seat_released"] for d in cancelled if d["application_id"] == confirmed["id"]] == [True]
    assert clients.offers.reserved.get(confirmed["id"]) is None          # the seat was given back
    last = [h for h in uow.history_rows if h["application_id"] == confirmed["id"]][-1]
    assert (last["action"], last["actor_role"], last["reason"]) == (M.CANCEL_OFFER_REMOVED, "system",
                                                                    M.MSG_OFFER_REMOVED)
