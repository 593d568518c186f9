"""Reminders 3 days before an application's deadline, the deadline being the one the event carries."""
import datetime as dt

from notifications.domain import reminders as rm

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
APP = {"application_id": "a1", "offer_id": "o1", "pupil_id": "p1", "employer_id": "e1"}


def _at(days: float) -> str:
    return (T0 + dt.timedelta(days=days)).isoformat()


def test_submission_plans_the_employer_reminder_3_days_before_the_events_deadline():
    p = rm.plan("application.submitted", {**APP, "expires_at": _at(15)})
    assert not p.cancel and not p.missing_deadline
    [r] = p.create
    assert r.template == "employer_expiry_reminder" and r.recipient.value == "e1"
    assert r.deadline == T0 + dt.timedelta(days=15)
    assert r.due_at == T0 + dt.timedelta(days=12)
    assert r.context["deadline"] == r.deadline.isoformat()
    assert r.key == f"reminder:a1:employer_expiry_reminder:{r.deadline.isoformat()}"


def test_the_deadline_is_read_as_given():
    p = rm.plan("application.submitted", {**APP, "expires_at": "2026-12-08T09:07:00Z"})
    assert p.create[0].deadline == dt.datetime(2026, 12, 8, 9, 7, tzinfo=dt.timezone.utc)
    assert p.create[0].due_at == dt.datetime(2026, 12, 5, 9, 7, tzinfo=dt.timezone.utc)


def test_no_deadline_no_reminder_and_it_is_said():
    """The deadlines are the applications service's: nothing here derives one from a delay."""
    for t in ("application.submitted", "application.restored", "application.transferred", "application.accepted"):
        p = rm.plan(t, APP)
        assert p.create == [] and p.missing_deadline, t
    assert not hasattr(rm, "ANSWER_DELAY") and not hasattr(rm, "TRANSFER_DELAY") and not hasattr(rm, "CONFIRM_DELAY")


def test_read_keeps_the_plan_unless_it_gives_the_deadline_and_nudge_too():
    assert rm.plan("application.read", APP) == rm.ReminderPlan()
    assert rm.plan("application.nudged", {**APP, "expires_at": _at(3)}) == rm.ReminderPlan()
    p = rm.plan("application.read", {**APP, "expires_at": _at(14)})
    assert p.cancel and p.create[0].deadline == T0 + dt.timedelta(days=14)


def test_transfer_plans_from_its_new_deadline():
    p = rm.plan("application.transferred", {**APP, "expires_at": _at(30)})
    assert p.cancel and p.create[0].deadline == T0 + dt.timedelta(days=30)
    assert p.create[0].recipient.value == "e1"


def test_acceptance_replaces_the_employer_reminder_by_the_pupils():
    p = rm.plan("application.accepted", {**APP, "accept_expires_at": _at(15), "expires_at": _at(20)})
    assert p.cancel
    [r] = p.create
    assert (r.template, r.recipient.value, r.due_at) == ("pupil_acceptance_reminder", "p1", T0 + dt.timedelta(days=12))
    # without accept_expires_at, the state's deadline
    assert rm.plan("application.accepted", {**APP, "expires_at": _at(15)}).create[0].deadline == \
        T0 + dt.timedelta(days=15)


def test_terminal_events_cancel_everything():
    for t in ("application.confirmed", "application.rejected", "application.cancelled", "application.expired"):
        p = rm.plan(t, {**APP, "expires_at": None})
        assert p.cancel and p.create == [] and not p.missing_deadline


def test_restore_plans_again():
    p = rm.plan("application.restored", {**APP, "expires_at": _at(15)})
    assert p.cancel and p.create[0].template == "employer_expiry_reminder"


def test_missing_ids_plan_nothing():
    assert rm.plan("application.submitted", {"application_id": "a1", "expires_at": _at(15)}).create == []


def test_late_reminders_are_still_sent_until_the_deadline():
    deadline = T0 + dt.timedelta(days=15)
    assert rm.still_relevant(deadline, deadline - dt.timedelta(minutes=1))
    assert not rm.still_relevant(deadline, deadline)


def test_parse_dt():
    assert rm.parse_dt("2026-01-01T10:00:00") == dt.datetime(2026, 1, 1, 10, tzinfo=dt.timezone.utc)
    assert rm.parse_dt("nonsense") is None and rm.parse_dt(None) is None
