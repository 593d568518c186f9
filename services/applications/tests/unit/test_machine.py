import datetime as dt

import pytest

from common.errors import Conflict, Forbidden, ValidationError

from applications.domain import deadlines as C
from applications.domain import machine as M
from applications.domain import states as S

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PUPIL = {"user_id": "p1", "role": "pupil", "grade": "troisieme", "school_uai": "0750001A"}
OTHER_PUPIL = {"user_id": "p2", "role": "pupil"}
EMPLOYER = {"user_id": "e1", "role": "employer"}
OTHER_EMPLOYER = {"user_id": "e2", "role": "employer"}
SYSTEM = {"user_id": None, "role": "system"}
RECIPIENT = {"user_id": None, "role": "transfer_recipient", "application_id": "a1"}


def app(state=S.SUBMITTED, **kw):
    base = dict(id="a1", state=state, pupil_id="p1", employer_id="e1", submitted_at=T0, grade="troisieme",
                weeks=("2027-W05",), offer_id="o1")
    if state in (S.ACCEPTED_BY_EMPLOYER, S.CONFIRMED) and "accepted_at" not in kw:
        kw["accepted_at"] = T0 + dt.timedelta(days=1)
    if state == S.TRANSFERRED and "transferred_at" not in kw:
        kw["transferred_at"] = T0 + dt.timedelta(hours=1)
    base.update(kw)
    return M.ApplicationFacts(**base)


NOW = T0 + dt.timedelta(days=2)

# (action, actor, from-state, expected to-state, extra kwargs): every allowed transition.
ALLOWED = [
    (M.READ, EMPLOYER, S.SUBMITTED, S.READ_BY_EMPLOYER, {}),
    (M.READ, EMPLOYER, S.RESTORED, S.READ_BY_EMPLOYER, {}),
    (M.TRANSFER, EMPLOYER, S.SUBMITTED, S.TRANSFERRED, {"transfer_email": "rh@example.fr"}),
    (M.TRANSFER, EMPLOYER, S.READ_BY_EMPLOYER, S.TRANSFERRED, {"transfer_email": "rh@example.fr"}),
    (M.TRANSFER, EMPLOYER, S.RESTORED, S.TRANSFERRED, {"transfer_email": "rh@example.fr"}),
    (M.ACCEPT, EMPLOYER, S.SUBMITTED, S.ACCEPTED_BY_EMPLOYER, {}),
    (M.ACCEPT, EMPLOYER, S.READ_BY_EMPLOYER, S.ACCEPTED_BY_EMPLOYER, {"message": "Bienvenue !"}),
    (M.ACCEPT, EMPLOYER, S.TRANSFERRED, S.ACCEPTED_BY_EMPLOYER, {}),
    (M.ACCEPT, EMPLOYER, S.RESTORED, S.ACCEPTED_BY_EMPLOYER, {}),
    (M.ACCEPT, EMPLOYER, S.EXPIRED, S.ACCEPTED_BY_EMPLOYER, {"seats_left": 2}),
    (M.ACCEPT, EMPLOYER, S.EXPIRED_BY_PUPIL, S.ACCEPTED_BY_EMPLOYER, {"seats_left": 1}),
    (M.ACCEPT, RECIPIENT, S.TRANSFERRED, S.ACCEPTED_BY_EMPLOYER, {}),
    (M.REJECT, EMPLOYER, S.SUBMITTED, S.REJECTED, {"reason": "Complet"}),
    (M.REJECT, EMPLOYER, S.READ_BY_EMPLOYER, S.REJECTED, {"reason": "Complet"}),
    (M.REJECT, EMPLOYER, S.TRANSFERRED, S.REJECTED, {"reason": "Complet"}),
    (M.REJECT, EMPLOYER, S.RESTORED, S.REJECTED, {"reason": "Complet"}),
    (M.REJECT, RECIPIENT, S.TRANSFERRED, S.REJECTED, {"reason": "Pas de tuteur"}),
    (M.CANCEL, EMPLOYER, S.ACCEPTED_BY_EMPLOYER, S.CANCELLED_BY_EMPLOYER, {"reason": "Fermeture"}),
    (M.CANCEL, EMPLOYER, S.CONFIRMED, S.CANCELLED_BY_EMPLOYER, {"reason": "Fermeture"}),
    (M.CANCEL, PUPIL, S.SUBMITTED, S.CANCELLED_BY_PUPIL, {}),
    (M.CANCEL, PUPIL, S.READ_BY_EMPLOYER, S.CANCELLED_BY_PUPIL, {}),
    (M.CANCEL, PUPIL, S.TRANSFERRED, S.CANCELLED_BY_PUPIL, {}),
    (M.CANCEL, PUPIL, S.RESTORED, S.CANCELLED_BY_PUPIL, {}),
    (M.CANCEL, PUPIL, S.ACCEPTED_BY_EMPLOYER, S.CANCELLED_BY_PUPIL, {"reason": "Trop loin"}),
    (M.CANCEL, PUPIL, S.CONFIRMED, S.CANCELLED_BY_PUPIL, {}),
    (M.CONFIRM, PUPIL, S.ACCEPTED_BY_EMPLOYER, S.CONFIRMED, {}),
    (M.RESTORE, PUPIL, S.CANCELLED_BY_PUPIL, S.RESTORED, {}),
    (M.RESTORE, PUPIL, S.CANCELLED_AFTER_OTHER_CONFIRMED, S.RESTORED, {}),
    (M.CANCEL_AFTER_OTHER_CONFIRMED, SYSTEM, S.SUBMITTED, S.CANCELLED_AFTER_OTHER_CONFIRMED, {}),
    (M.CANCEL_AFTER_OTHER_CONFIRMED, SYSTEM, S.READ_BY_EMPLOYER, S.CANCELLED_AFTER_OTHER_CONFIRMED, {}),
    (M.CANCEL_AFTER_OTHER_CONFIRMED, SYSTEM, S.TRANSFERRED, S.CANCELLED_AFTER_OTHER_CONFIRMED, {}),
    (M.CANCEL_AFTER_OTHER_CONFIRMED, SYSTEM, S.RESTORED, S.CANCELLED_AFTER_OTHER_CONFIRMED, {}),
    (M.CANCEL_AFTER_OTHER_CONFIRMED, SYSTEM, S.ACCEPTED_BY_EMPLOYER, S.CANCELLED_AFTER_OTHER_CONFIRMED, {}),
    (M.INVITE_TO_REAPPLY, EMPLOYER, S.REJECTED, S.REJECTED, {}),
] + [(M.CANCEL_OFFER_REMOVED, SYSTEM, f, S.CANCELLED_BY_EMPLOYER, {}) for f in sorted(M.OFFER_REMOVAL_CANCELS)]


@pytest.mark.parametrize("action,actor,from_state,to_state,kw", ALLOWED,
                         ids=[f"{a}:{r['role']}:{f}" for a, r, f, _, _ in ALLOWED])
def test_every_allowed_transition(action, actor, from_state, to_state, kw):
    t = M.decide(app(from_state), action, actor, NOW, **kw)
    assert t is not None
    assert (t.from_state, t.to_state, t.action, t.at) == (from_state, to_state, action, NOW)
    assert t.actor_role == actor["role"]
    assert t.actor_id == actor["user_id"]
    rec = t.as_record()
    assert set(rec) == {"action", "from_state", "to_state", "actor_role", "actor_id", "at", "reason", "message"}
    assert rec["reason"] == kw.get("reason")


def test_every_state_is_reachable_and_every_rule_is_tested():
    reached = {to for _, _, _, to, _ in ALLOWED} | {S.SUBMITTED, S.EXPIRED, S.EXPIRED_BY_PUPIL}
    assert reached == set(S.STATES)
    tested = {(a, r["role"], f) for a, r, f, _, _ in ALLOWED}
    for action, by_role in M.RULES.items():
        if action in (M.NUDGE, M.EXPIRE, M.EXPIRE_BY_PUPIL):
            continue  # tested below
        for role, (froms, _) in by_role.items():
            for f in froms:
                assert (action, role, f) in tested, (action, role, f)


def _forbidden_pairs():
    out = []
    for action, by_role in M.RULES.items():
        if action == M.READ:
            continue
        for role, (froms, to) in by_role.items():
            for state in S.STATES:
                if state not in froms and state != to and (action, role, state) != (M.ACCEPT, "employer", S.REJECTED):
                    out.append((action, role, state))
    return out


ACTORS = {"pupil": PUPIL, "employer": EMPLOYER, "system": SYSTEM, "transfer_recipient": RECIPIENT}


@pytest.mark.parametrize("action,role,state", _forbidden_pairs())
def test_transition_refused_from_other_states(action, role, state):
    with pytest.raises(Conflict) as e:
        M.decide(app(state), action, ACTORS[role], NOW + dt.timedelta(days=60), reason="motif",
                 transfer_email="a@b.fr", seats_left=5)
    assert e.value.code in ("invalid_transition",)
    assert "Impossible de" in e.value.detail


@pytest.mark.parametrize("action", [M.ACCEPT, M.REJECT, M.TRANSFER, M.READ])
def test_pupil_cannot_do_employer_actions(action):
    with pytest.raises(Forbidden):
        M.decide(app(S.SUBMITTED), action, PUPIL, NOW, reason="x", transfer_email="a@b.fr")


@pytest.mark.parametrize("action", [M.CONFIRM, M.RESTORE, M.NUDGE])
def test_employer_cannot_do_pupil_actions(action):
    with pytest.raises(Forbidden):
        M.decide(app(S.ACCEPTED_BY_EMPLOYER), action, EMPLOYER, NOW)


@pytest.mark.parametrize("actor", [OTHER_PUPIL, OTHER_EMPLOYER, {"user_id": "x", "role": "school_staff"},
                                   {"user_id": "x", "role": "admin"}, {},
                                   {"role": "transfer_recipient", "application_id": "other"}])
def test_strangers_cannot_act(actor):
    with pytest.raises(Forbidden):
        M.decide(app(S.SUBMITTED), M.ACCEPT, actor, NOW)


def test_users_cannot_expire():
    with pytest.raises(Forbidden):
        M.decide(app(S.SUBMITTED), M.EXPIRE, EMPLOYER, NOW + dt.timedelta(days=30))


def test_recipient_cannot_cancel_or_act_before_transfer():
    with pytest.raises(Forbidden):
        M.decide(app(S.ACCEPTED_BY_EMPLOYER), M.CANCEL, RECIPIENT, NOW, reason="x")
    with pytest.raises(Conflict):
        M.decide(app(S.READ_BY_EMPLOYER), M.ACCEPT, RECIPIENT, NOW)


def test_transfer_link_expires_after_30_days():
    a = app(S.TRANSFERRED, transferred_at=T0)
    assert M.decide(a, M.ACCEPT, RECIPIENT, T0 + dt.timedelta(days=30) - dt.timedelta(minutes=1))
    with pytest.raises(Conflict) as e:
        M.decide(a, M.ACCEPT, RECIPIENT, T0 + dt.timedelta(days=30))
    assert e.value.code == "transfer_link_expired"


# Guards ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reject_requires_reason(reason):
    with pytest.raises(ValidationError) as e:
        M.decide(app(S.READ_BY_EMPLOYER), M.REJECT, EMPLOYER, NOW, reason=reason)
    assert e.value.errors == {"reason": ["Indiquez un motif."]}


@pytest.mark.parametrize("state", [S.ACCEPTED_BY_EMPLOYER, S.CONFIRMED])
def test_employer_cancel_requires_reason(state):
    with pytest.raises(ValidationError) as e:
        M.decide(app(state), M.CANCEL, EMPLOYER, NOW)
    assert "reason" in e.value.errors


def test_pupil_cancel_needs_no_reason():
    t = M.decide(app(S.SUBMITTED), M.CANCEL, PUPIL, NOW)
    assert t.to_state == S.CANCELLED_BY_PUPIL and t.reason is None


def test_reason_is_stripped_and_bounded():
    t = M.decide(app(), M.REJECT, EMPLOYER, NOW, reason="  Plus de tuteur  ")
    assert t.reason == "Plus de tuteur"
    with pytest.raises(ValidationError) as e:
        M.decide(app(), M.REJECT, EMPLOYER, NOW, reason="x" * 1001, message="y" * 1501)
    assert set(e.value.errors) == {"reason", "message"}


def test_accept_keeps_optional_message():
    t = M.decide(app(), M.ACCEPT, EMPLOYER, NOW, message="Rendez-vous lundi 9h")
    assert t.message == "Rendez-vous lundi 9h"


def test_transfer_requires_valid_email():
    with pytest.raises(ValidationError) as e:
        M.decide(app(), M.TRANSFER, EMPLOYER, NOW)
    assert "email" in e.value.errors
    with pytest.raises(ValidationError):
        M.decide(app(), M.TRANSFER, EMPLOYER, NOW, transfer_email="pas-un-email")
    t = M.decide(app(), M.TRANSFER, EMPLOYER, NOW, transfer_email=" RH@Example.fr ")
    assert t.details == {"transfer_email": "rh@example.fr"}


def test_transferred_cannot_be_transferred_again():
    with pytest.raises(Conflict):
        M.decide(app(S.TRANSFERRED), M.TRANSFER, EMPLOYER, NOW, transfer_email="a@b.fr")


@pytest.mark.parametrize("seats", [5, 0, None])
def test_a_rejection_is_final(seats):
    """Issue 13 item 7: a rejected application (the pupil was told) is never accepted again, seats or not."""
    with pytest.raises(Conflict) as e:
        M.decide(app(S.REJECTED), M.ACCEPT, EMPLOYER, NOW, seats_left=seats)
    assert e.value.code == "rejection_final"
    assert "définitif" in e.value.detail and "inviter l'élève à candidater de nouveau" in e.value.detail
    assert M.ACCEPT not in M.allowed_actions(app(S.REJECTED), EMPLOYER, NOW)


def test_invite_to_reapply_keeps_the_rejection_and_is_idempotent():
    a = app(S.REJECTED)
    assert M.allowed_actions(a, EMPLOYER, NOW) == [M.INVITE_TO_REAPPLY]
    t = M.decide(a, M.INVITE_TO_REAPPLY, EMPLOYER, NOW)
    assert (t.from_state, t.to_state, t.event_type) == (S.REJECTED, S.REJECTED, "application.reapply_invited")
    cols = M.columns_after(a, t)
    assert cols["state"] == S.REJECTED and cols["reapply_invited_at"] == NOW and cols["deadline_at"] is None
    invited = M.apply(a, t)
    assert M.decide(invited, M.INVITE_TO_REAPPLY, EMPLOYER, NOW) is None
    assert M.allowed_actions(invited, EMPLOYER, NOW) == []
    with pytest.raises(Forbidden):
        M.decide(a, M.INVITE_TO_REAPPLY, PUPIL, NOW)


@pytest.mark.parametrize("state", [S.EXPIRED, S.EXPIRED_BY_PUPIL])
@pytest.mark.parametrize("seats", [0, None, -1])
def test_accept_again_needs_a_seat(state, seats):
    with pytest.raises(Conflict) as e:
        M.decide(app(state), M.ACCEPT, EMPLOYER, NOW, seats_left=seats)
    assert e.value.code == "no_seat_left"


def test_first_accept_does_not_need_seat_count():
    assert M.decide(app(S.SUBMITTED), M.ACCEPT, EMPLOYER, NOW, seats_left=None).to_state == S.ACCEPTED_BY_EMPLOYER


def test_restore_once():
    a = app(S.CANCELLED_BY_PUPIL)
    t = M.decide(a, M.RESTORE, PUPIL, NOW)
    restored = M.apply(a, t)
    assert restored.restore_count == 1 and restored.restored_at == NOW
    cancelled_again = M.apply(restored, M.decide(restored, M.CANCEL, PUPIL, NOW))
    with pytest.raises(Conflict) as e:
        M.decide(cancelled_again, M.RESTORE, PUPIL, NOW)
    assert e.value.code == "already_restored"


def test_restore_refused_when_conflicting_with_confirmed():
    a = app(S.CANCELLED_AFTER_OTHER_CONFIRMED)
    with pytest.raises(Conflict) as e:
        M.decide(a, M.RESTORE, PUPIL, NOW, confirmed=[("a9", ("2027-W10",))])
    assert e.value.code == "conflicts_with_confirmed"


def test_nudge_once_and_state_unchanged():
    a = app(S.READ_BY_EMPLOYER)
    t = M.decide(a, M.NUDGE, PUPIL, NOW)
    assert t.from_state == t.to_state == S.READ_BY_EMPLOYER
    assert t.event_type == "application.nudged"
    nudged = M.apply(a, t)
    assert nudged.nudged_at == NOW
    with pytest.raises(Conflict) as e:
        M.decide(nudged, M.NUDGE, PUPIL, NOW)
    assert e.value.code == "already_nudged"


@pytest.mark.parametrize("state", [S.SUBMITTED, S.READ_BY_EMPLOYER, S.TRANSFERRED, S.RESTORED])
def test_nudge_allowed_while_waiting_for_employer(state):
    assert M.decide(app(state), M.NUDGE, PUPIL, NOW) is not None


@pytest.mark.parametrize("state", [S.ACCEPTED_BY_EMPLOYER, S.CONFIRMED, S.REJECTED, S.EXPIRED])
def test_nudge_refused_otherwise(state):
    with pytest.raises(Conflict):
        M.decide(app(state), M.NUDGE, PUPIL, NOW)


def test_confirm_only_within_15_days_of_acceptance():
    accepted_at = T0 + dt.timedelta(days=3)
    a = app(S.ACCEPTED_BY_EMPLOYER, accepted_at=accepted_at)
    last_minute = accepted_at + dt.timedelta(days=15) - dt.timedelta(minutes=1)
    assert M.decide(a, M.CONFIRM, PUPIL, last_minute).to_state == S.CONFIRMED
    with pytest.raises(Conflict) as e:
        M.decide(a, M.CONFIRM, PUPIL, accepted_at + dt.timedelta(days=15))
    assert e.value.code == "confirm_too_late"


def test_confirm_refused_when_another_internship_confirmed_college():
    a = app(S.ACCEPTED_BY_EMPLOYER, grade="troisieme", weeks=("2027-W05",))
    with pytest.raises(Conflict) as e:
        M.decide(a, M.CONFIRM, PUPIL, NOW, confirmed=[("a2", ("2027-W20",))])
    assert e.value.code == "conflicts_with_confirmed"
    # its own id in the list does not count
    assert M.decide(a, M.CONFIRM, PUPIL, NOW, confirmed=[("a1", ("2027-W05",))])


def test_confirm_seconde_other_week_is_fine():
    a = app(S.ACCEPTED_BY_EMPLOYER, grade="seconde", weeks=("2027-W24",))
    assert M.decide(a, M.CONFIRM, PUPIL, NOW, confirmed=[("a2", ("2027-W25",))]).to_state == S.CONFIRMED
    with pytest.raises(Conflict):
        M.decide(a, M.CONFIRM, PUPIL, NOW, confirmed=[("a2", ("2027-W24", "2027-W25"))])


def test_confirm_reserves_and_cancel_releases_seat():
    t = M.decide(app(S.ACCEPTED_BY_EMPLOYER), M.CONFIRM, PUPIL, NOW)
    assert t.reserves_seat and not t.releases_seat
    for actor, kw in ((PUPIL, {}), (EMPLOYER, {"reason": "Fermeture"})):
        c = M.decide(app(S.CONFIRMED), M.CANCEL, actor, NOW, **kw)
        assert c.releases_seat and not c.reserves_seat
    c = M.decide(app(S.ACCEPTED_BY_EMPLOYER), M.CANCEL, PUPIL, NOW)
    assert not c.releases_seat


# Idempotent repeats ---------------------------------------------------------------------------

def test_read_is_idempotent_and_never_fails():
    assert M.decide(app(S.READ_BY_EMPLOYER), M.READ, EMPLOYER, NOW) is None
    for state in (S.ACCEPTED_BY_EMPLOYER, S.CONFIRMED, S.TRANSFERRED, S.REJECTED):
        assert M.decide(app(state), M.READ, EMPLOYER, NOW) is None


def test_repeating_an_action_is_a_noop():
    assert M.decide(app(S.ACCEPTED_BY_EMPLOYER), M.ACCEPT, EMPLOYER, NOW) is None
    assert M.decide(app(S.CONFIRMED), M.CONFIRM, PUPIL, NOW) is None
    assert M.decide(app(S.REJECTED), M.REJECT, EMPLOYER, NOW, reason="x") is None


# Timer transitions ----------------------------------------------------------------------------

@pytest.mark.parametrize("state,days", [(S.SUBMITTED, 15), (S.READ_BY_EMPLOYER, 15), (S.TRANSFERRED, 30)])
def test_expire_exactly_at_deadline(state, days):
    a = app(state)
    deadline = T0 + dt.timedelta(days=days)
    with pytest.raises(Conflict) as e:
        M.decide(a, M.EXPIRE, SYSTEM, deadline - dt.timedelta(minutes=1))
    assert e.value.code == "not_due"
    t = M.decide(a, M.EXPIRE, SYSTEM, deadline)
    assert t.to_state == S.EXPIRED and t.event_type == "application.expired" and t.actor_role == "system"


def test_restored_expires_15_days_after_restoration():
    restored_at = T0 + dt.timedelta(days=20)
    a = app(S.RESTORED, restored_at=restored_at, restore_count=1)
    with pytest.raises(Conflict):
        M.decide(a, M.EXPIRE, SYSTEM, restored_at + dt.timedelta(days=15) - dt.timedelta(seconds=1))
    assert M.decide(a, M.EXPIRE, SYSTEM, restored_at + dt.timedelta(days=15)).to_state == S.EXPIRED


def test_expire_by_pupil_15_days_after_acceptance():
    accepted_at = T0 + dt.timedelta(days=5)
    a = app(S.ACCEPTED_BY_EMPLOYER, accepted_at=accepted_at)
    with pytest.raises(Conflict):
        M.decide(a, M.EXPIRE_BY_PUPIL, SYSTEM, accepted_at + dt.timedelta(days=15, seconds=-1))
    with pytest.raises(Conflict):  # the wrong timer action
        M.decide(a, M.EXPIRE, SYSTEM, accepted_at + dt.timedelta(days=20))
    t = M.decide(a, M.EXPIRE_BY_PUPIL, SYSTEM, accepted_at + dt.timedelta(days=15))
    assert t.to_state == S.EXPIRED_BY_PUPIL


def test_expiry_action_per_state():
    assert M.expiry_action(S.SUBMITTED) == M.EXPIRE
    assert M.expiry_action(S.TRANSFERRED) == M.EXPIRE
    assert M.expiry_action(S.ACCEPTED_BY_EMPLOYER) == M.EXPIRE_BY_PUPIL
    assert M.expiry_action(S.CONFIRMED) is None


# Records and columns --------------------------------------------------------------------------

def test_submission_record():
    t = M.submission("a1", "p1", T0)
    assert t.as_record() == {"action": "submit", "from_state": None, "to_state": S.SUBMITTED,
                             "actor_role": "pupil", "actor_id": "p1", "at": T0, "reason": None, "message": None}
    assert t.event_type == "application.submitted"


def test_columns_after_accept_set_confirm_clock():
    a = app(S.READ_BY_EMPLOYER)
    t = M.decide(a, M.ACCEPT, EMPLOYER, NOW)
    cols = M.columns_after(a, t)
    assert cols["state"] == S.ACCEPTED_BY_EMPLOYER
    assert cols["accepted_at"] == NOW
    assert cols["deadline_at"] == NOW + dt.timedelta(days=15)
    assert cols["deadline_action"] == C.EXPIRE_BY_PUPIL
    assert cols["reminder_at"] == NOW + dt.timedelta(days=12)
    assert cols["reminder_to"] == "pupil"


def test_columns_after_reaccept_resets_confirm_clock():
    a = app(S.EXPIRED_BY_PUPIL, accepted_at=T0)
    t = M.decide(a, M.ACCEPT, EMPLOYER, NOW, seats_left=1)
    assert M.columns_after(a, t)["accepted_at"] == NOW


def test_columns_after_confirm_clears_clock():
    a = app(S.ACCEPTED_BY_EMPLOYER)
    cols = M.columns_after(a, M.decide(a, M.CONFIRM, PUPIL, NOW))
    assert cols["deadline_at"] is None and cols["reminder_at"] is None and cols["deadline_action"] is None


def test_columns_after_transfer_extends_deadline_to_30_days():
    a = app(S.READ_BY_EMPLOYER)
    cols = M.columns_after(a, M.decide(a, M.TRANSFER, EMPLOYER, NOW, transfer_email="a@b.fr"))
    assert cols["transferred_at"] == NOW
    assert cols["deadline_at"] == T0 + dt.timedelta(days=30)


def test_events_of_every_action():
    assert {M.EVENT_OF_ACTION[a] for a in M.RULES} | {"application.submitted"} == {
        "application.submitted", "application.read", "application.transferred", "application.accepted",
        "application.confirmed", "application.rejected", "application.cancelled", "application.restored",
        "application.expired", "application.nudged", "application.reapply_invited"}


def test_naive_now_refused():
    with pytest.raises(ValueError):
        M.decide(app(), M.ACCEPT, EMPLOYER, dt.datetime(2026, 11, 23, 9, 0))


def test_allowed_actions():
    assert M.allowed_actions(app(S.SUBMITTED), PUPIL, NOW) == [M.CANCEL, M.NUDGE]
    assert M.allowed_actions(app(S.SUBMITTED), EMPLOYER, NOW) == [M.TRANSFER, M.ACCEPT, M.REJECT]
    assert M.allowed_actions(app(S.ACCEPTED_BY_EMPLOYER), PUPIL, NOW) == [M.CANCEL, M.CONFIRM]
    late = T0 + dt.timedelta(days=40)
    assert M.allowed_actions(app(S.ACCEPTED_BY_EMPLOYER), PUPIL, late) == [M.CANCEL]
    assert M.allowed_actions(app(S.CANCELLED_BY_PUPIL, restore_count=1), PUPIL, NOW) == []
    assert M.allowed_actions(app(S.SUBMITTED), OTHER_EMPLOYER, NOW) == []
