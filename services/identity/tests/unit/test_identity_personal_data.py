"""The personal-data lifecycle in identity (docs/privacy.md): idle accounts warned 14 days before their
anonymisation and anonymised only after; deleting one's own account, held by an agreement in progress."""
import datetime as dt

import pytest

from common.errors import Conflict, Forbidden, ValidationError
from identity.domain import anonymisation as A
from identity.use_cases import accounts, anonymisation, sessions
from testkit.hooks import last_secret
from testkit.identity.fakes import fake_context

UTC = dt.timezone.utc
LAST = dt.datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
PASSWORD = "Correct-Horse-42!"
DAY = dt.timedelta(days=1)


# -- the idle warning (pure rule) ----------------------------------------------------------------------

def test_an_idle_account_is_warned_14_days_before_its_threshold_not_earlier():
    due = A.anonymisation_due_at("pupil", LAST)
    assert due == dt.datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
    assert A.idle_step("pupil", LAST, None, due - A.WARNING_NOTICE - dt.timedelta(seconds=1)) is None
    assert A.idle_step("pupil", LAST, None, due - A.WARNING_NOTICE) == A.WARN
    assert A.idle_step("employer", LAST, None, due) is None          # other accounts: two years
    assert A.idle_step("admin", LAST, None, due + dt.timedelta(days=3000)) is None


def test_it_is_anonymised_only_when_warned_14_days_before_and_still_idle():
    due = A.anonymisation_due_at("pupil", LAST)
    warned = due - A.WARNING_NOTICE
    assert A.idle_step("pupil", LAST, warned, due - DAY) is None      # warned, waiting
    assert A.idle_step("pupil", LAST, warned, due) == A.ANONYMISE
    # past the threshold but never warned (the timer was down): warned first, anonymised 14 days later
    late = due + 10 * DAY
    assert A.idle_step("pupil", LAST, None, late) == A.WARN
    assert A.anonymised_on("pupil", LAST, late) == late + A.WARNING_NOTICE
    assert A.idle_step("pupil", LAST, late, late + 13 * DAY) is None
    assert A.idle_step("pupil", LAST, late, late + 14 * DAY) == A.ANONYMISE


def test_a_warning_older_than_the_last_activity_no_longer_counts():
    warned = A.warning_due_at("pupil", LAST)
    signed_in = warned + DAY
    assert not A.is_warned(signed_in, warned)
    assert A.idle_step("pupil", signed_in, warned, warned + 20 * DAY) is None   # the new threshold is far
    assert A.idle_step("pupil", signed_in, warned, A.warning_due_at("pupil", signed_in)) == A.WARN


def test_the_batch_cutoffs_are_the_warning_window():
    now = dt.datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
    cut = A.inactivity_cutoffs(now)
    assert A.in_warning_window("pupil", cut["pupil"], now)
    assert not A.in_warning_window("pupil", cut["pupil"] + dt.timedelta(seconds=1), now)
    assert A.in_warning_window("employer", cut["other"], now)


def test_the_held_message_tells_the_date_in_french():
    assert "à partir du 13/06/2027" in A.deletion_held_message(dt.date(2027, 6, 13))
    assert "une fois la convention signée" in A.deletion_held_message(None)


# -- deleting one's own account (use cases on fakes) -----------------------------------------------------

class FakeConventions:
    def __init__(self, held_until=None, held=False):
        self.answer = {"held": held, "held_until": held_until}
        self.asked = []

    def deletion_hold(self, user_id):
        self.asked.append(user_id)
        return dict(self.answer)


@pytest.fixture
def ctx():
    return fake_context(conventions=FakeConventions())


def employer(ctx, email="lea.martin@example.com"):
    accounts.register(ctx, {"role": "employer", "first_name": "Léa", "last_name": "Martin", "function": "Gérante",
                            "email": email, "password": PASSWORD})
    uid = accounts.activate(ctx, last_secret("activation", email))["user_id"]
    return {"user_id": uid, "role": "employer"}


def test_a_deletion_request_asks_for_the_password_and_changes_nothing(ctx):
    actor = employer(ctx)
    out = anonymisation.request_deletion(ctx, actor)
    assert out["status"] == "confirmation_required" and out["confirm_with"] == "password"
    assert ctx.repo.users[actor["user_id"]]["status"] == "active"
    assert ctx.conventions.asked == [actor["user_id"]]


def test_a_confirmed_deletion_anonymises_like_an_idle_account(ctx):
    actor = employer(ctx)
    with pytest.raises(ValidationError) as e:
        anonymisation.confirm_deletion(ctx, actor, "wrong-password")
    assert e.value.errors == {"password": ["Mot de passe incorrect."]}
    with pytest.raises(ValidationError):
        anonymisation.confirm_deletion(ctx, actor, None)
    out = anonymisation.confirm_deletion(ctx, actor, PASSWORD)
    assert out == {"deleted": True, "user_id": actor["user_id"]}
    u = ctx.repo.users[actor["user_id"]]
    assert u["status"] == "anonymized" and u["last_name"] == "Anonyme" and u["email"].endswith(".invalid")
    assert ctx.uow.emitted("user.anonymized") == [{"user_id": actor["user_id"], "role": "employer",
                                                  "school_uai": None, "reason": "request"}]
    assert ctx.notifications.sent[-1]["template"] == "account_deleted"
    assert ctx.notifications.sent[-1]["to"]["email"] == "lea.martin@example.com"


def test_a_deletion_held_by_an_agreement_tells_the_date_and_keeps_the_account(ctx):
    actor = employer(ctx)
    ctx.conventions.answer = {"held": True, "held_until": "2027-06-13"}
    out = anonymisation.request_deletion(ctx, actor)
    assert out["status"] == "held" and out["held_until"] == "2027-06-13"
    assert "à partir du 13/06/2027" in out["message"]
    with pytest.raises(Conflict) as e:
        anonymisation.confirm_deletion(ctx, actor, PASSWORD)
    assert e.value.code == "deletion_held" and e.value.extra == {"held_until": "2027-06-13"}
    assert ctx.repo.users[actor["user_id"]]["status"] == "active" and not ctx.uow.emitted("user.anonymized")


def test_an_admin_cannot_delete_their_own_account(ctx):
    with pytest.raises(Forbidden):
        anonymisation.request_deletion(ctx, {"user_id": "5b4f7c1e-0000-4000-8000-000000000001", "role": "admin"})


def test_a_sign_in_clears_the_warning(ctx):
    actor = employer(ctx)
    ctx.repo.users[actor["user_id"]]["warned_at"] = ctx.now
    sessions.login(ctx, "lea.martin@example.com", PASSWORD)
    assert ctx.repo.users[actor["user_id"]]["warned_at"] is None
