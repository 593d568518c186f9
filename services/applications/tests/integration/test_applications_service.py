"""The applications service over real RabbitMQ and PostgreSQL, with the real offers (seats), identity
(names, schools) and notifications (transfer link) services in-process."""
from __future__ import annotations

import csv
import io

import eventlet
import pytest
from sqlalchemy import text

from common.errors import Conflict, Forbidden, NotFound, ValidationError

from testkit.applications import employer, form, new_id, pupil, suite_offer, suite_pupils
from testkit.hooks import last_secret


def events(engine, type_=None):
    with engine.connect() as c:
        rows = c.execute(text("SELECT type, envelope FROM outbox ORDER BY id")).all()
    return [r.envelope for r in rows if type_ is None or r.type == type_]


def week_of(offer):
    return offer["offer_weeks"][0]


def submit(rpc, p, offer, week=None, **kw):
    return rpc.submit(actor=p, offer_id=offer["id"], form=form(week=week or week_of(offer)), **kw)


def seats_taken(cluster, offer):
    return cluster.offers.get_offer(offer["id"])["seats_taken"]


def pupil_of(app):
    return {"user_id": app["pupil_id"], "role": "pupil", "grade": app["grade"], "school_uai": app["school_uai"]}


@pytest.fixture
def emp():
    return employer()


@pytest.fixture
def offer(cluster, emp):
    return suite_offer(cluster, emp["user_id"], seats=2)


# -- submission ----------------------------------------------------------------------------------

def test_submit_records_history_and_event(cluster, rpc, engine, emp, offer):
    p = suite_pupils(cluster, 1, activate=False)[0]["actor"]
    app = submit(rpc, p, offer)
    assert app["created"] is True
    assert app["state"] == "submitted" and app["weeks"] == [week_of(offer)]
    assert app["pupil_name"].startswith("Camille ELEVE0") and app["school_name"] == "Collège Belle de Mai"
    assert app["class_name"] == "3A" and app["school_category"] == "rep_plus"
    assert app["phone"] == "+33612345678" and app["offer_title"] == "Boulanger pâtissier"
    assert [h["to_state"] for h in app["history"]] == ["submitted"]
    assert app["history"][0]["actor_id"] == p["user_id"]
    ev = events(engine, "application.submitted")
    assert len(ev) == 1
    data = ev[0]["data"]
    assert data["application_id"] == app["id"] and data["employer_id"] == emp["user_id"]
    assert data["state"] == "submitted" and data["expires_at"] == app["deadline_at"]
    assert "motivation" not in data and "email" not in data
    # the employer reads name, grade, school and motivation, not the contact details
    seen = rpc.get_application(application_id=app["id"], actor=emp)
    assert seen["motivation"] and seen["pupil_name"] == app["pupil_name"]
    assert seen["email"] is None and seen["phone"] is None and seen["legal_representative"] is None
    assert seen["contact_hidden"] is True
    # conventions read everything (service call, no actor)
    full = rpc.get_application(application_id=app["id"])
    assert full["legal_representative"]["email"] == "marie@example.fr" and full["address"]


def _weeks_with_holidays(zone: str) -> tuple[str, str, str]:
    """(school year, a coming week of holidays in ``zone`` but not everywhere, a coming week of school everywhere)."""
    import datetime as dt

    from common.clock import PROCESS_CLOCK, paris_date
    from offers.domain import calendar as cal

    today = paris_date(PROCESS_CLOCK.now())
    for year in cal.offerable_school_years(today):
        coming = [w for w in cal.college_weeks(year) if cal.week_monday(w) > today + dt.timedelta(days=7)]
        holiday = [w for w in coming if zone in (cal.known_holiday_zones(w) or ())]
        school = [w for w in coming if cal.known_holiday_zones(w) == ()]
        if holiday and school:
            return year, holiday[0], school[0]
    raise AssertionError("no coming holiday week")


def test_a_pupil_cannot_pick_a_holiday_week_of_their_school_zone(cluster, rpc, emp):
    """Issue 13 item 11, with the real offers service: the offer's ``holiday_weeks`` (official calendar) and the
    pupil's académie (zone C for Paris, code 01; zone A for Lyon, code 10)."""
    year, holiday, school = _weeks_with_holidays("C")
    o = suite_offer(cluster, emp["user_id"], school_year=year, weeks=sorted([holiday, school]))
    assert "C" in o["holiday_weeks"][holiday] and school not in o["holiday_weeks"]
    paris = pupil(academie="01")
    with pytest.raises(ValidationError) as e:
        submit(rpc, paris, o, week=holiday)
    assert e.value.errors["week"] == ["Cette semaine tombe pendant les vacances scolaires de votre établissement "
                                      "(zone C) : choisissez une autre semaine."]
    assert submit(rpc, paris, o, week=school)["weeks"] == [school]
    if "A" not in o["holiday_weeks"][holiday]:  # a pupil of another zone may take that week
        assert submit(rpc, pupil(academie="10"), o, week=holiday)["weeks"] == [holiday]
    # Corse (académie 27) has no A/B/C zone: not checked
    assert submit(rpc, pupil(academie="27"), o, week=holiday)["weeks"] == [holiday]


def test_submission_is_idempotent(rpc, engine, offer):
    p = pupil()
    first = submit(rpc, p, offer, idempotency_key="k-1")
    again = submit(rpc, p, offer, idempotency_key="k-1")
    assert again["id"] == first["id"] and again["created"] is False
    with pytest.raises(Conflict) as e:  # a new key (a real second attempt) is refused
        submit(rpc, p, offer, idempotency_key="k-2")
    assert e.value.code == "already_applied"
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM applications")).scalar() == 1
    assert len(events(engine, "application.submitted")) == 1


def test_concurrent_double_submit_yields_one_application(rpc, engine, offer, amqp_uri):
    from common.rpc import cluster_rpc

    p = pupil()

    def go(_):
        with cluster_rpc(amqp_uri, timeout=30) as r:
            try:
                return r.applications.submit(actor=p, offer_id=offer["id"], form=form(week=week_of(offer)),
                                             idempotency_key="dbl")["id"]
            except Conflict:
                return "conflict"

    results = list(eventlet.GreenPool(10).imap(go, range(10)))
    ids = {r for r in results if r != "conflict"}
    assert len(ids) == 1
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM applications")).scalar() == 1


def test_form_errors_all_at_once(rpc, offer):
    with pytest.raises(ValidationError) as e:
        rpc.submit(actor=pupil(), offer_id=offer["id"], form={"motivation": "x" * 1501, "phone": "0123"})
    assert {"motivation", "email", "phone", "address", "legal_representative", "week"} <= set(e.value.errors)
    with pytest.raises(ValidationError) as e:
        submit(rpc, pupil(), offer, week="2027-W30")
    assert "ne fait pas partie" in e.value.errors["week"][0]


def test_eligibility_refusals(cluster, rpc, emp):
    lycee = suite_offer(cluster, emp["user_id"], grades=("seconde",))
    with pytest.raises(Forbidden) as e:
        submit(rpc, pupil(), lycee)
    assert e.value.code == "not_for_grade" and "3e" in e.value.detail
    draft = suite_offer(cluster, emp["user_id"], publish=False)
    with pytest.raises(Conflict) as e:
        submit(rpc, pupil(), draft)
    assert e.value.code == "not_published"
    rep_only = suite_offer(cluster, emp["user_id"], reserved_rep=True)
    with pytest.raises(Forbidden) as e:
        submit(rpc, pupil(rep=None), rep_only)
    assert e.value.code == "reserved_to_priority_schools"
    assert submit(rpc, pupil(rep="REP+"), rep_only)["school_category"] == "rep_plus"
    with pytest.raises(NotFound):
        rpc.submit(actor=pupil(), offer_id=new_id(), form=form())
    with pytest.raises(Forbidden):
        submit(rpc, emp, rep_only)


def test_full_offer_refuses_new_applications(cluster, rpc, emp):
    o = suite_offer(cluster, emp["user_id"], seats=1)
    p = pupil()
    a = submit(rpc, p, o)
    rpc.accept(actor=emp, application_id=a["id"])
    rpc.confirm(actor=p, application_id=a["id"])
    with pytest.raises(Conflict) as e:
        submit(rpc, pupil(), o)
    assert e.value.code == "no_seat_left"


# -- transitions ---------------------------------------------------------------------------------

def test_read_accept_confirm_cancel_cycle(cluster, rpc, engine, offer, emp):
    p = pupil()
    app = submit(rpc, p, offer)
    read = rpc.read(actor=emp, application_id=app["id"])
    assert read["state"] == "read_by_employer"
    again = rpc.read(actor=emp, application_id=app["id"])
    assert len(again["history"]) == 2  # opening again records nothing
    acc = rpc.accept(actor=emp, application_id=app["id"], message="Rendez-vous lundi à 9 h")
    assert acc["state"] == "accepted_by_employer" and acc["email"] == "lea@example.fr"
    assert acc["state_label"] == "en attente de réponse de l'élève"
    mine = rpc.get_application(application_id=app["id"], actor=p)
    assert mine["state_label"] == "acceptée par l'entreprise"
    assert mine["history"][-1]["message"] == "Rendez-vous lundi à 9 h"
    assert "confirm" in mine["allowed_actions"]
    conf = rpc.confirm(actor=p, application_id=app["id"])
    assert conf["state"] == "confirmed"
    assert seats_taken(cluster, offer) == 1
    assert rpc.confirm(actor=p, application_id=app["id"])["state"] == "confirmed"  # a retry is harmless
    assert seats_taken(cluster, offer) == 1
    with pytest.raises(ValidationError):
        rpc.cancel(actor=emp, application_id=app["id"])  # reason required
    cancelled = rpc.cancel(actor=emp, application_id=app["id"], reason="Fermeture exceptionnelle")
    assert cancelled["state"] == "cancelled_by_employer"
    assert seats_taken(cluster, offer) == 0  # the seat went back
    hist = [(h["from_state"], h["to_state"], h["actor_role"], h["reason"]) for h in cancelled["history"]]
    assert hist == [(None, "submitted", "pupil", None), ("submitted", "read_by_employer", "employer", None),
                    ("read_by_employer", "accepted_by_employer", "employer", None),
                    ("accepted_by_employer", "confirmed", "pupil", None),
                    ("confirmed", "cancelled_by_employer", "employer", "Fermeture exceptionnelle")]
    types = [e["type"] for e in events(engine)]
    assert types == ["application.submitted", "application.read", "application.accepted",
                     "application.confirmed", "application.cancelled"]
    last = events(engine, "application.cancelled")[0]["data"]
    assert last["state"] == "cancelled_by_employer" and last["seat_released"] is True
    acc_ev = events(engine, "application.accepted")[0]["data"]
    assert acc_ev["accept_expires_at"] == acc_ev["expires_at"]


def test_a_rejection_is_final_and_the_employer_may_invite_to_apply_again(cluster, rpc, engine, emp):
    """Issue 13 item 7: once rejected (the pupil is told at once), never accepted again, alone or in bulk;
    the employer may invite the pupil to apply again, and the pupil then submits a new application."""
    o = suite_offer(cluster, emp["user_id"], seats=3)
    p = pupil()
    a = submit(rpc, p, o)
    with pytest.raises(ValidationError) as e:
        rpc.reject(actor=emp, application_id=a["id"])
    assert "reason" in e.value.errors
    assert rpc.reject(actor=emp, application_id=a["id"], reason="Trop de demandes")["state"] == "rejected"
    assert len(events(engine, "application.rejected")) == 1
    with pytest.raises(Conflict) as e:  # seats are left: still final
        rpc.accept(actor=emp, application_id=a["id"])
    assert e.value.code == "rejection_final"
    other = submit(rpc, pupil(), o)
    with pytest.raises(Conflict) as e:
        rpc.bulk(actor=emp, action="accept", application_ids=[other["id"], a["id"]])
    assert list(e.value.errors) == [a["id"]]
    assert rpc.get_application(application_id=other["id"], actor=emp)["state"] == "submitted"  # all or nothing
    seen = rpc.get_application(application_id=a["id"], actor=emp)
    assert seen["state"] == "rejected" and seen["allowed_actions"] == ["invite_to_reapply"]
    # not before the invitation: one application per pupil and offer
    with pytest.raises(Conflict) as e:
        submit(rpc, p, o)
    assert e.value.code == "already_applied"
    invited = rpc.invite_to_reapply(actor=emp, application_id=a["id"])
    assert invited["state"] == "rejected" and invited["reapply_invited_at"]
    assert invited["history"][-1]["action"] == "invite_to_reapply"
    assert rpc.invite_to_reapply(actor=emp, application_id=a["id"])["reapply_invited_at"] == \
        invited["reapply_invited_at"]  # idempotent
    [ev] = events(engine, "application.reapply_invited")
    assert ev["data"]["application_id"] == a["id"] and ev["data"]["pupil_id"] == p["user_id"]
    with pytest.raises(Forbidden):
        rpc.invite_to_reapply(actor=p, application_id=a["id"])
    again = submit(rpc, p, o)
    assert again["created"] is True and again["id"] != a["id"] and again["state"] == "submitted"
    assert rpc.accept(actor=emp, application_id=again["id"])["state"] == "accepted_by_employer"
    assert rpc.get_application(application_id=a["id"], actor=emp)["state"] == "rejected"
    with pytest.raises(Conflict) as e:  # the invitation is used: one live application again
        submit(rpc, p, o)
    assert e.value.code == "already_applied"


def test_pupil_cancel_restore_once_nudge_once(rpc, engine, offer, emp):
    p = pupil()
    a = submit(rpc, p, offer)
    assert rpc.nudge(actor=p, application_id=a["id"])["nudged_at"]
    with pytest.raises(Conflict) as e:
        rpc.nudge(actor=p, application_id=a["id"])
    assert e.value.code == "already_nudged"
    assert rpc.cancel(actor=p, application_id=a["id"])["state"] == "cancelled_by_pupil"
    r = rpc.restore(actor=p, application_id=a["id"])
    assert r["state"] == "restored" and r["restore_count"] == 1
    rpc.cancel(actor=p, application_id=a["id"])
    with pytest.raises(Conflict) as e:
        rpc.restore(actor=p, application_id=a["id"])
    assert e.value.code == "already_restored"
    assert len(events(engine, "application.nudged")) == 1
    assert len(events(engine, "application.restored")) == 1


def test_wrong_party_and_wrong_state(rpc, offer, emp):
    p = pupil()
    a = submit(rpc, p, offer)
    with pytest.raises(NotFound):  # another employer does not even learn it exists
        rpc.accept(actor=employer(), application_id=a["id"])
    with pytest.raises(Forbidden):
        rpc.accept(actor=p, application_id=a["id"])
    with pytest.raises(Conflict) as e:
        rpc.confirm(actor=p, application_id=a["id"])
    assert e.value.code == "invalid_transition"


def test_confirm_cancels_other_pending_college(cluster, rpc, engine, emp):
    p = pupil()
    offers = [suite_offer(cluster, emp["user_id"]) for _ in range(3)]
    apps = [submit(rpc, p, o) for o in offers]
    rpc.accept(actor=emp, application_id=apps[0]["id"])
    rpc.accept(actor=emp, application_id=apps[1]["id"])
    rpc.confirm(actor=p, application_id=apps[0]["id"])
    states = [rpc.get_application(application_id=a["id"], actor=p)["state"] for a in apps]
    assert states == ["confirmed", "cancelled_after_other_confirmed", "cancelled_after_other_confirmed"]
    cancelled = events(engine, "application.cancelled")
    assert {e["data"]["state"] for e in cancelled} == {"cancelled_after_other_confirmed"}
    # each names the confirmed application and its employer (notifications: one message to that employer)
    assert {(e["data"]["confirmed_application_id"], e["data"]["confirmed_employer_id"]) for e in cancelled} == \
        {(apps[0]["id"], emp["user_id"])}
    # and a new application is refused
    with pytest.raises(Conflict) as e:
        submit(rpc, p, suite_offer(cluster, emp["user_id"]))
    assert e.value.code == "conflicts_with_confirmed"
    # restoring a cascade-cancelled one conflicts with the confirmed internship
    with pytest.raises(Conflict) as e:
        rpc.restore(actor=p, application_id=apps[1]["id"])
    assert e.value.code == "conflicts_with_confirmed"


def test_confirm_cancels_same_week_only_seconde(cluster, rpc, emp):
    p = pupil(grade="seconde", school_uai="0130043B")
    w1, w1b = (suite_offer(cluster, emp["user_id"], grades=("seconde",), seconde_period="week1") for _ in range(2))
    w2 = suite_offer(cluster, emp["user_id"], grades=("seconde",), seconde_period="week2")
    both = suite_offer(cluster, emp["user_id"], grades=("seconde",), seconde_period="both")
    a1, a1b, a2, ab = (rpc.submit(actor=p, offer_id=o["id"], form=form(week=None)) for o in (w1, w1b, w2, both))
    assert len(ab["weeks"]) == 2 and a1["weeks"] == [ab["weeks"][0]] and a2["weeks"] == [ab["weeks"][1]]
    rpc.accept(actor=emp, application_id=a1["id"])
    rpc.confirm(actor=p, application_id=a1["id"])
    got = {a["id"]: rpc.get_application(application_id=a["id"], actor=p)["state"] for a in (a1b, a2, ab)}
    assert got == {a1b["id"]: "cancelled_after_other_confirmed", a2["id"]: "submitted",
                   ab["id"]: "cancelled_after_other_confirmed"}
    # week 2 is still open: accept and confirm it too
    rpc.accept(actor=emp, application_id=a2["id"])
    assert rpc.confirm(actor=p, application_id=a2["id"])["state"] == "confirmed"
    with pytest.raises(Conflict) as e:
        rpc.submit(actor=p, offer_id=suite_offer(cluster, emp["user_id"], grades=("seconde",),
                                                 seconde_period="week2")["id"], form=form(week=None))
    assert e.value.code == "conflicts_with_confirmed"


def test_no_overbooking_under_concurrent_confirmations(cluster, rpc, emp, amqp_uri):
    from common.rpc import cluster_rpc

    o = suite_offer(cluster, emp["user_id"], seats=3)
    pairs = []
    for _ in range(20):
        p = pupil()
        a = submit(rpc, p, o)
        pairs.append((p, a["id"]))
    rpc.bulk(actor=emp, action="accept", application_ids=[i for _, i in pairs])

    def go(pair):
        with cluster_rpc(amqp_uri, timeout=60) as r:
            try:
                return r.applications.confirm(actor=pair[0], application_id=pair[1])["state"]
            except Conflict as exc:
                return exc.code

    results = list(eventlet.GreenPool(20).imap(go, pairs))
    assert results.count("confirmed") == 3
    assert results.count("no_seat_left") == 17
    assert seats_taken(cluster, o) == 3


def test_failed_release_is_retried_by_the_timer(cluster, rpc, emp, services, amqp_uri):
    from offers.service import OffersService

    from testkit.applications import start_container

    o = suite_offer(cluster, emp["user_id"], seats=1)
    p = pupil()
    a = submit(rpc, p, o)
    rpc.accept(actor=emp, application_id=a["id"])
    rpc.confirm(actor=p, application_id=a["id"])
    services["offers"].stop()  # offers is down when the pupil cancels
    try:
        assert rpc.cancel(actor=p, application_id=a["id"])["state"] == "cancelled_by_pupil"
    finally:
        services["offers"] = start_container(OffersService, amqp_uri)
    out = rpc.run_timer()
    assert out["seats_reconciled"] == 1
    assert seats_taken(cluster, o) == 0
    assert rpc.run_timer()["seats_reconciled"] == 0


# -- transfer link -------------------------------------------------------------------------------

def test_transfer_link_single_use(rpc, engine, offer, emp):
    p = pupil()
    a = submit(rpc, p, offer)
    with pytest.raises(ValidationError):
        rpc.transfer(actor=emp, application_id=a["id"], email="pas-un-email")
    t = rpc.transfer(actor=emp, application_id=a["id"], email="RH@Example.fr", message="Peux-tu regarder ?")
    assert t["state"] == "transferred"
    token = last_secret("transfer", a["id"])
    assert token and token not in str(events(engine))  # the secret never travels in an event
    view = rpc.get_transfer(token=token)
    assert view["application"]["id"] == a["id"] and view["application"]["email"] is None
    assert view["application"]["motivation"]
    with pytest.raises(ValidationError):
        rpc.decide_transfer(token=token, decision="reject")  # reason required
    done = rpc.decide_transfer(token=token, decision="accept", message="Bienvenue")
    assert done["state"] == "accepted_by_employer"
    with pytest.raises(Conflict) as e:
        rpc.get_transfer(token=token)
    assert e.value.code == "transfer_link_used"
    with pytest.raises(NotFound):
        rpc.get_transfer(token="nope")
    h = rpc.get_application(application_id=a["id"], actor=p)["history"]
    assert h[-1]["actor_role"] == "transfer_recipient"


def test_transfer_link_expires_after_30_days(rpc, offer, emp, clock):
    a = submit(rpc, pupil(), offer)
    rpc.transfer(actor=emp, application_id=a["id"], email="rh@example.fr")
    token = last_secret("transfer", a["id"])
    clock(days=30)
    with pytest.raises(Conflict) as e:
        rpc.decide_transfer(token=token, decision="reject", reason="Non")
    assert e.value.code == "transfer_link_expired"


# -- bulk ----------------------------------------------------------------------------------------

def test_bulk_is_all_or_nothing(cluster, rpc, engine, emp):
    o = suite_offer(cluster, emp["user_id"], seats=5)
    apps = [submit(rpc, pupil(), o) for _ in range(3)]
    other = submit(rpc, pupil(), suite_offer(cluster, new_id()))  # someone else's
    with pytest.raises(Conflict) as e:
        rpc.bulk(actor=emp, action="accept", application_ids=[a["id"] for a in apps] + [other["id"]])
    assert list(e.value.errors) == [other["id"]]
    assert {rpc.get_application(application_id=a["id"], actor=emp)["state"] for a in apps} == {"submitted"}
    assert events(engine, "application.accepted") == []
    rpc.reject(actor=emp, application_id=apps[2]["id"], reason="Non")
    with pytest.raises(ValidationError):
        rpc.bulk(actor=emp, action="reject", application_ids=[a["id"] for a in apps[:1]])
    out = rpc.bulk(actor=emp, action="reject", application_ids=[a["id"] for a in apps[:1]], reason="Complet")
    assert out["count"] == 1 and {i["state"] for i in out["items"]} == {"rejected"}
    # a rejection is final, in bulk too (issue 13 item 7): the whole batch is refused
    with pytest.raises(Conflict) as e:
        rpc.bulk(actor=emp, action="accept", application_ids=[a["id"] for a in apps])
    assert sorted(e.value.errors) == sorted([apps[0]["id"], apps[2]["id"]])
    out = rpc.bulk(actor=emp, action="accept", application_ids=[apps[1]["id"]])
    assert {i["state"] for i in out["items"]} == {"accepted_by_employer"}
    assert len(events(engine, "application.accepted")) == 1


# -- time rules ----------------------------------------------------------------------------------

def state_of(rpc, app):
    return rpc.get_application(application_id=app["id"])["state"]


def test_unanswered_expire_after_15_days_exactly(rpc, engine, offer, emp, clock):
    a = submit(rpc, pupil(), offer)
    b = submit(rpc, pupil(), offer)
    rpc.read(actor=emp, application_id=b["id"])
    clock(days=15, minutes=-1)
    assert rpc.run_timer()["expired"] == 0
    clock(minutes=1)
    assert rpc.run_timer()["expired"] == 2
    assert state_of(rpc, a) == "expired" and state_of(rpc, b) == "expired"
    ev = events(engine, "application.expired")
    assert {e["data"]["state"] for e in ev} == {"expired"}
    assert {e["data"]["from_state"] for e in ev} == {"submitted", "read_by_employer"}
    h = rpc.get_application(application_id=a["id"])["history"][-1]
    assert (h["from_state"], h["to_state"], h["actor_role"], h["action"]) == ("submitted", "expired", "system", "expire")


def test_transferred_expire_after_30_days(rpc, offer, emp, clock):
    a = submit(rpc, pupil(), offer)
    rpc.transfer(actor=emp, application_id=a["id"], email="rh@example.fr")
    clock(days=29, hours=23, minutes=59)
    rpc.run_timer()
    assert state_of(rpc, a) == "transferred"
    clock(minutes=1)
    rpc.run_timer()
    assert state_of(rpc, a) == "expired"


def test_accepted_not_confirmed_expires_by_pupil(rpc, engine, offer, emp, clock):
    p = pupil()
    a = submit(rpc, p, offer)
    clock(days=2)
    rpc.accept(actor=emp, application_id=a["id"])
    clock(days=15, minutes=-1)
    rpc.run_timer()
    assert state_of(rpc, a) == "accepted_by_employer"
    clock(minutes=1)
    with pytest.raises(Conflict) as e:  # exactly 15 days: too late to confirm, even before the timer runs
        rpc.confirm(actor=p, application_id=a["id"])
    assert e.value.code == "confirm_too_late"
    rpc.run_timer()
    assert state_of(rpc, a) == "expired_by_pupil"
    assert events(engine, "application.expired")[-1]["data"]["state"] == "expired_by_pupil"
    # the employer may accept again while seats remain
    assert rpc.accept(actor=emp, application_id=a["id"])["state"] == "accepted_by_employer"


def test_restored_expire_15_days_after_restoration(rpc, offer, clock):
    p = pupil()
    a = submit(rpc, p, offer)
    rpc.cancel(actor=p, application_id=a["id"])
    clock(days=10)
    rpc.restore(actor=p, application_id=a["id"])
    clock(days=14)
    rpc.run_timer()
    assert state_of(rpc, a) == "restored"
    clock(days=1)
    rpc.run_timer()
    assert state_of(rpc, a) == "expired"


def queue(engine):
    """The timer's queue: {application id: due_at}."""
    with engine.connect() as c:
        return dict(c.execute(text("SELECT application_id, due_at FROM application_deadlines")).all())


def test_the_timer_queue_follows_the_deadlines_and_drops_settled_entries(rpc, engine, offer, emp, clock):
    a = submit(rpc, pupil(), offer)
    b = submit(rpc, pupil(), offer)
    due = {k: v.isoformat() for k, v in queue(engine).items()}
    assert due == {a["id"]: a["deadline_at"], b["id"]: b["deadline_at"]}
    clock(days=2)
    accepted = rpc.accept(actor=emp, application_id=a["id"])  # a new clock: 15 days for the pupil
    assert queue(engine)[a["id"]].isoformat() == accepted["deadline_at"] != a["deadline_at"]
    rpc.reject(actor=emp, application_id=b["id"], reason="Plus de place dans l'équipe")
    assert queue(engine)[b["id"]].isoformat() == b["deadline_at"]  # left for the timer to drop
    clock(days=13)  # b's old deadline has come: only dropped, b stays rejected
    assert rpc.run_timer()["expired"] == 0
    assert state_of(rpc, b) == "rejected" and set(queue(engine)) == {a["id"]}
    clock(days=2)
    assert rpc.run_timer()["expired"] == 1
    assert state_of(rpc, a) == "expired_by_pupil" and queue(engine) == {}


def test_a_queue_entry_due_before_its_application_is_moved_not_lost(rpc, engine, offer):
    """The triggers keep each entry at its application's deadline; should an entry come due early anyway
    (a manual fix, a restore from backup), the timer puts it back at the deadline instead of dropping it."""
    a = submit(rpc, pupil(), offer)
    with engine.begin() as c:
        c.execute(text("UPDATE application_deadlines SET due_at = now() - interval '1 day'"))
    assert rpc.run_timer()["expired"] == 0
    assert state_of(rpc, a) == "submitted"
    assert queue(engine)[a["id"]].isoformat() == a["deadline_at"]


def test_a_transition_rewrites_its_row_in_place(running, engine):
    """The expiry changes the state and clears the clock; no index of applications depends on them, so each
    expired row is rewritten in its page (a HOT update), not added again to the table's six indexes."""
    import datetime as dt

    from applications.repository import expire_batch

    now = dt.datetime.now(dt.timezone.utc)
    with engine.begin() as c:
        c.execute(text("""
            INSERT INTO applications (id, offer_id, employer_id, pupil_id, school_uai, grade, weeks, motivation,
                                      state, submitted_at, updated_at, deadline_at, deadline_action, space_id)
            SELECT gen_random_uuid()::text, gen_random_uuid()::text, gen_random_uuid()::text,
                   gen_random_uuid()::text, '0130001A', 'troisieme', ARRAY['2027-W05'], 'Je souhaite découvrir.',
                   'submitted', :now - interval '16 days', :now - interval '16 days', :now - interval '1 day',
                   'expire', gen_random_uuid()::text
            FROM generate_series(1, 10)"""), {"now": now})
    with engine.begin() as c:
        taken, expired = expire_batch(c, now, 100)
        updated, hot = c.execute(text("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                                      "WHERE relname = 'applications'")).one()
    assert (taken, expired) == (10, 10)
    assert (updated, hot) == (10, 10)
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM applications WHERE state = 'expired'")).scalar() == 10


# -- visibility, lists, export, stats ------------------------------------------------------------

def test_per_role_visibility(cluster, rpc):
    e1, e2 = employer(), employer()
    o1 = suite_offer(cluster, e1["user_id"])
    o2 = suite_offer(cluster, e2["user_id"])
    p1 = pupil(school_uai="0750001A")
    p2 = pupil(school_uai="0930001B")
    a11 = submit(rpc, p1, o1)
    a12 = submit(rpc, p1, o2)
    a21 = submit(rpc, p2, o1)
    ids = lambda out: {i["id"] for i in out["items"]}  # noqa: E731
    assert ids(rpc.list_applications(actor=e1)) == {a11["id"], a21["id"]}
    assert ids(rpc.list_applications(actor=e2)) == {a12["id"]}
    assert ids(rpc.list_applications(actor=p1)) == {a11["id"], a12["id"]}
    staff = {"user_id": new_id(), "role": "school_staff", "function": "teacher", "school_uai": "0930001B"}
    assert ids(rpc.list_applications(actor=staff)) == {a21["id"]}
    # an employer filtering on someone else's offer still gets nothing of it
    assert ids(rpc.list_applications(actor=e1, filters={"offer_id": o2["id"]})) == set()
    for actor, app in ((e2, a11), (p2, a11), (staff, a11)):
        with pytest.raises(NotFound):
            rpc.get_application(application_id=app["id"], actor=actor)
    with pytest.raises(Forbidden):
        rpc.list_applications(actor={"user_id": new_id(), "role": "statistician", "academie": "01"})
    # tabs
    rpc.accept(actor=e1, application_id=a11["id"])
    out = rpc.list_applications(actor=e1, filters={"tab": "accepted"})
    assert ids(out) == {a11["id"]}
    assert out["tabs"]["accepted"] == 1 and out["tabs"]["received"] == 1
    assert out["items"][0]["phone"] == "+33612345678"  # accepted: contact visible
    rec = rpc.list_applications(actor=e1, filters={"tab": "received"})
    assert rec["items"][0]["phone"] is None
    with pytest.raises(ValidationError):
        rpc.list_applications(actor=e1, filters={"tab": "nope"})


def test_export_has_one_filled_column_per_state_date(cluster, rpc, offer, emp):
    p = suite_pupils(cluster, 1, class_name="3e B", activate=False)[0]["actor"]
    a = submit(rpc, p, offer)
    rpc.read(actor=emp, application_id=a["id"])
    rpc.accept(actor=emp, application_id=a["id"])
    rpc.confirm(actor=p, application_id=a["id"])
    rpc.cancel(actor=p, application_id=a["id"], reason="Déménagement")
    out = rpc.export_csv(actor=emp)
    rows = list(csv.DictReader(io.StringIO(out["content"].lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 1
    r = rows[0]
    for col in ("Date d'envoi", "Date de lecture", "Date d'acceptation", "Date de confirmation par l'élève",
                "Date d'annulation par l'élève"):
        assert r[col], col
    for col in ("Date de refus", "Date d'annulation par l'entreprise", "Date d'expiration", "Date de transfert"):
        assert r[col] == "", col
    assert r["Statut"] == "annulée par l'élève"
    assert r["Classe"] == "3e B" and r["Niveau"] == "3e"  # the pupil's class, not their grade (issue 13 item 6)
    with pytest.raises(Forbidden):
        rpc.export_csv(actor=p)


def test_stats_by_school_category(cluster, rpc, emp):
    o = suite_offer(cluster, emp["user_id"], seats=10)
    rep = pupil(rep="REP", academie="01")
    other = pupil(academie="02")
    a = submit(rpc, rep, o)
    submit(rpc, other, o)
    rpc.accept(actor=emp, application_id=a["id"])
    rpc.confirm(actor=rep, application_id=a["id"])
    national = rpc.stats(actor={"user_id": new_id(), "role": "statistician", "stat_scope": "national"})
    assert national["total"]["total"] == 2
    assert national["by_category"]["rep"]["by_state"]["confirmed"] == 1
    assert national["by_category"]["rep"]["placement_rate"] == 1.0
    assert national["by_category"]["other"]["placement_rate"] == 0.0
    assert national["priority"]["placement_rate"] == 1.0
    months = national["by_month"]  # by month of submission (Paris), and how many of them are placed
    assert sum(m["applications"] for m in months) == 2 and sum(m["placed"] for m in months) == 1
    assert all(len(m["month"]) == 7 for m in months)
    acad = rpc.stats(actor={"user_id": new_id(), "role": "statistician", "stat_scope": "academie",
                            "stat_scope_code": "02"})
    assert acad["total"]["total"] == 1 and acad["scope"] == {"kind": "academie", "code": "02"}
    assert rpc.stats(actor=emp)["total"]["total"] == 2
    assert rpc.stats(actor=employer())["total"]["total"] == 0


def test_anonymised_pupil_data_is_erased(rpc, offer, amqp_uri, engine):
    from common.events import make_envelope, publish_envelopes

    from common.events import handled

    p = pupil()
    a = submit(rpc, p, offer)
    env = make_envelope("identity", "user.anonymized", {"user_id": p["user_id"], "role": "pupil"})
    done = handled("applications.on_user_anonymized")
    publish_envelopes({"AMQP_URI": amqp_uri}, [(env, None), (env, None)])  # duplicated: handled once
    for _ in range(80):   # a positive sign: both deliveries went through the handler
        if handled("applications.on_user_anonymized") >= done + 2:
            break
        eventlet.sleep(0.1)
    assert handled("applications.on_user_anonymized") >= done + 2
    full = rpc.get_application(application_id=a["id"])
    assert full["email"] is None and full["motivation"] == "" and full["legal_representative"] is None
    assert full["state"] == "submitted"
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM inbox WHERE event_id = :e"), {"e": env["event_id"]}).scalar() == 1


def test_class_summary_for_school_staff(cluster, rpc, offer):
    klass = "3" + new_id()[:6]
    pupils = suite_pupils(cluster, 3, class_name=klass, activate=False)
    a = submit(rpc, pupils[0]["actor"], offer)
    staff = {"user_id": new_id(), "role": "school_staff", "function": "teacher",
             "school_uai": pupils[0]["actor"]["school_uai"]}
    out = rpc.class_summary(actor=staff)
    mine = next(c for c in out["classes"] if c["class_name"] == klass)
    assert (mine["pupils"], mine["with_application"], mine["confirmed"]) == (3, 1, 0)
    assert {p["pupil_id"] for p in mine["without_application"]} == {p["user_id"] for p in pupils[1:]}
    assert a["id"] in {i["id"] for i in rpc.list_applications(actor=staff)["items"]}
    with pytest.raises(Forbidden):
        rpc.class_summary(actor=pupils[0]["actor"])


def test_a_deadline_holds_even_before_the_timer_runs(rpc, engine, offer, emp, clock):
    """The timer runs every minute; an action in that minute sees the application as expired already."""
    p = pupil()
    a = submit(rpc, p, offer)
    b = submit(rpc, pupil(), offer)
    clock(days=15)
    with pytest.raises(Conflict) as e:  # the pupil cannot cancel an application that has just expired
        rpc.cancel(actor=p, application_id=a["id"])
    assert e.value.code == "invalid_transition"
    seen = rpc.read(actor=emp, application_id=b["id"])  # opening it: it is expired, not read
    assert seen["state"] == "expired"
    assert [h["action"] for h in seen["history"]] == ["submit", "expire"]
    # accepting it is accepting again after an expiry (seats remain): expiry, then acceptance, on record
    acc = rpc.accept(actor=emp, application_id=a["id"])
    assert acc["state"] == "accepted_by_employer"
    assert [h["to_state"] for h in acc["history"]] == ["submitted", "expired", "accepted_by_employer"]
    assert len(events(engine, "application.expired")) == 2
    assert rpc.run_timer()["expired"] == 0
