import datetime as dt

import pytest

from common.errors import ValidationError

from applications.domain import deadlines as C
from applications.domain import states as S

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 23, 9, 17, tzinfo=UTC)
D = dt.timedelta


@pytest.mark.parametrize("state", [S.SUBMITTED, S.READ_BY_EMPLOYER, S.RESTORED])
def test_unanswered_expire_15_days_after_submission(state):
    c = C.clocks_for(state, submitted_at=T0)
    assert c.deadline_at == T0 + D(days=15)
    assert c.deadline_action == C.EXPIRE
    assert c.reminder_at == T0 + D(days=12)
    assert c.reminder_to == "employer"


def test_transferred_expire_30_days_after_submission():
    c = C.clocks_for(S.TRANSFERRED, submitted_at=T0)
    assert c.deadline_at == T0 + D(days=30)
    assert c.reminder_at == T0 + D(days=27)
    assert c.reminder_to == "employer"


def test_restoration_restarts_the_answer_clock():
    r = T0 + D(days=40)
    assert C.clocks_for(S.RESTORED, submitted_at=T0, restored_at=r).deadline_at == r + D(days=15)
    assert C.answer_clock_start(T0, None) == T0
    assert C.answer_clock_start(T0, T0 - D(days=1)) == T0


def test_accepted_expires_by_pupil_15_days_after_acceptance():
    acc = T0 + D(days=3, hours=5)
    c = C.clocks_for(S.ACCEPTED_BY_EMPLOYER, submitted_at=T0, accepted_at=acc)
    assert c.deadline_at == acc + D(days=15)
    assert c.deadline_action == C.EXPIRE_BY_PUPIL
    assert c.reminder_at == acc + D(days=12)
    assert c.reminder_to == "pupil"
    with pytest.raises(ValueError):
        C.clocks_for(S.ACCEPTED_BY_EMPLOYER, submitted_at=T0)


@pytest.mark.parametrize("state", [S.CONFIRMED, S.REJECTED, S.EXPIRED, S.EXPIRED_BY_PUPIL, S.CANCELLED_BY_PUPIL,
                                   S.CANCELLED_BY_EMPLOYER, S.CANCELLED_AFTER_OTHER_CONFIRMED])
def test_settled_states_have_no_clock(state):
    c = C.clocks_for(state, submitted_at=T0, accepted_at=T0)
    assert c == C.NO_CLOCK
    assert not C.is_due(c, T0 + D(days=999))
    assert not C.reminder_due(c, T0 + D(days=999))


def test_due_exact_to_the_minute():
    c = C.clocks_for(S.SUBMITTED, submitted_at=T0)
    assert not C.is_due(c, T0 + D(days=15, minutes=-1))
    assert C.is_due(c, T0 + D(days=15))
    assert C.is_due(c, T0 + D(days=15, minutes=1))


def test_reminder_window():
    c = C.clocks_for(S.SUBMITTED, submitted_at=T0)
    assert not C.reminder_due(c, T0 + D(days=12, minutes=-1))
    assert C.reminder_due(c, T0 + D(days=12))
    assert C.reminder_due(c, T0 + D(days=14, hours=23))
    assert not C.reminder_due(c, T0 + D(days=15))


def test_expiry_target_and_confirm_window():
    assert C.expiry_target(C.EXPIRE) == S.EXPIRED
    assert C.expiry_target(C.EXPIRE_BY_PUPIL) == S.EXPIRED_BY_PUPIL
    assert C.can_still_confirm(T0, T0 + D(days=15, seconds=-1))
    assert not C.can_still_confirm(T0, T0 + D(days=15))
    assert C.transfer_link_expires_at(T0) == T0 + D(days=30)


def test_clock_columns():
    c = C.clocks_for(S.SUBMITTED, submitted_at=T0)
    assert c.as_columns() == {"deadline_at": T0 + D(days=15), "deadline_action": "expire",
                              "reminder_at": T0 + D(days=12), "reminder_to": "employer"}


def test_naive_datetimes_refused():
    with pytest.raises(ValueError):
        C.clocks_for(S.SUBMITTED, submitted_at=dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        C.is_due(C.clocks_for(S.SUBMITTED, submitted_at=T0), dt.datetime(2026, 1, 1))


# Labels and tabs ------------------------------------------------------------------------------

def test_labels_for_every_state_and_role():
    for role in ("pupil", "employer", "school_staff", "transfer_recipient", "admin", None):
        for state in S.STATES:
            assert S.label(state, role)


def test_issue_labels():
    assert S.label(S.ACCEPTED_BY_EMPLOYER, "pupil") == "acceptée par l'entreprise"
    assert S.label(S.ACCEPTED_BY_EMPLOYER, "employer") == "en attente de réponse de l'élève"
    assert S.label(S.CANCELLED_BY_PUPIL, "pupil") == "annulée par vous"
    assert S.label(S.CANCELLED_BY_PUPIL, "employer") == "annulée par l'élève"
    assert S.label(S.CANCELLED_BY_EMPLOYER, "employer") == "annulée par vous"


def test_tabs_partition_the_states():
    listed = [s for states in S.TABS.values() for s in states]
    assert sorted(listed) == sorted(S.STATES)
    assert list(S.TABS) == ["received", "accepted", "confirmed", "rejected", "expired", "cancelled"]
    assert S.tab_of(S.RESTORED) == "received"
    assert S.tab_of(S.TRANSFERRED) == "received"
    assert S.tab_of(S.EXPIRED_BY_PUPIL) == "expired"
    assert S.tab_of(S.CANCELLED_AFTER_OTHER_CONFIRMED) == "cancelled"
    assert S.states_of_tab("accepted") == (S.ACCEPTED_BY_EMPLOYER,)
    with pytest.raises(ValidationError):
        S.states_of_tab("nope")
