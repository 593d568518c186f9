"""Reminders 3 days before an application's deadline."""
import datetime as dt

from notifications.domain import reminders as rm

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
APP = {"application_id": "a1", "offer_id": "o1", "pupil_id": "p1", "employer_id": "e1"}


def test_submission_plans_the_employer_reminder_12_days_later():
    p = rm.plan("application.submitted", APP, T0)
    assert not p.cancel
    [r] = p.create
    assert r.template == "employer_expiry_reminder" and r.recipient.value == "e1"
    assert r.deadline == T0 + dt.timedelta(days=15)
    assert r.due_at == T0 + dt.timedelta(days=12)
    assert r.context["deadline"] == r.deadline.isoformat()
    assert r.key == f"reminder:a1:employer_expiry_reminder:{r.deadline.isoformat()}"


def test_the_producers_deadline_wins():
    p = rm.plan("application.submitted", {**APP, "expires_at": "2026-12-08T09:07:00Z"}, T0)
    assert p.create[0].deadline == dt.datetime(2026, 12, 8, 9, 7, tzinfo=dt.timezone.utc)
    assert p.create[0].due_at == dt.datetime(2026, 12, 5, 9, 7, tzinfo=dt.timezone.utc)


def test_read_keeps_the_plan_and_nudge_too():
    assert rm.plan("application.read", APP, T0 + dt.timedelta(days=1)) == rm.ReminderPlan()
    assert rm.plan("application.nudged", APP, T0) == rm.ReminderPlan()


def test_transfer_moves_the_deadline_to_30_days():
    p = rm.plan("application.transferred", APP, T0)
    assert p.cancel and p.create[0].deadline == T0 + dt.timedelta(days=30)
    assert p.create[0].recipient.value == "e1"


def test_acceptance_replaces_the_employer_reminder_by_the_pupils():
    p = rm.plan("application.accepted", {**APP, "accept_expires_at": (T0 + dt.timedelta(days=15)).isoformat()}, T0)
    assert p.cancel
    [r] = p.create
    assert (r.template, r.recipient.value, r.due_at) == ("pupil_acceptance_reminder", "p1", T0 + dt.timedelta(days=12))


def test_terminal_events_cancel_everything():
    for t in ("application.confirmed", "application.rejected", "application.cancelled", "application.expired"):
        p = rm.plan(t, APP, T0)
        assert p.cancel and p.create == []


def test_restore_plans_again():
    p = rm.plan("application.restored", APP, T0)
    assert p.cancel and p.create[0].template == "employer_expiry_reminder"


def test_missing_ids_plan_nothing():
    assert rm.plan("application.submitted", {"application_id": "a1"}, T0).create == []


def test_late_reminders_are_still_sent_until_the_deadline():
    deadline = T0 + dt.timedelta(days=15)
    assert rm.still_relevant(deadline, deadline - dt.timedelta(minutes=1))
    assert not rm.still_relevant(deadline, deadline)


def test_parse_dt():
    assert rm.parse_dt("2026-01-01T10:00:00") == dt.datetime(2026, 1, 1, 10, tzinfo=dt.timezone.utc)
    assert rm.parse_dt("nonsense") is None and rm.parse_dt(None) is None
