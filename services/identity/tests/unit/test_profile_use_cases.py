"""One's own profile on the fakes of testkit.identity: a new e-mail address or number replaces the old one only once
confirmed from it, the old one is told, a taken one gets the same answer (its owner is told)."""
import pytest

from common.errors import Conflict, NotFound, ValidationError
from identity.use_cases import accounts, profile
from testkit.hooks import last_secret
from testkit.identity.fakes import fake_context

PASSWORD = "Correct-Horse-42!"


@pytest.fixture
def ctx():
    return fake_context()


def employer(ctx, email, phone=None):
    data = {"role": "employer", "first_name": "Paul", "last_name": "Durand", "function": "Gérant", "email": email,
            "password": PASSWORD}
    if phone:
        data["phone"] = phone
    accounts.register(ctx, data)
    uid = accounts.activate(ctx, last_secret("activation", email))["user_id"]
    return {"user_id": uid, "role": "employer"}


def test_an_email_change_waits_for_its_confirmation_then_tells_the_old_address(ctx):
    actor = employer(ctx, "paul@example.com")
    answer = profile.request_change(ctx, actor, profile.EMAIL, "Paul.Neuf@example.org")
    assert answer["status"] == "accepted"
    assert ctx.notifications.sent[-1]["template"] == "email_change_confirm"
    assert ctx.notifications.sent[-1]["to"]["email"] == "paul.neuf@example.org"
    assert ctx.repo.users[actor["user_id"]]["email"] == "paul@example.com"
    token = last_secret("email_change", "paul.neuf@example.org")
    out = profile.confirm_email_change(ctx, token)
    assert out["email"] == "paul.neuf@example.org" == ctx.repo.users[actor["user_id"]]["email"]
    assert ctx.notifications.sent[-1]["template"] == "email_changed_notice"
    assert ctx.notifications.sent[-1]["to"]["email"] == "paul@example.com"
    assert ctx.uow.emitted("user.email_changed") == [{"user_id": actor["user_id"]}]
    with pytest.raises(Conflict):
        profile.confirm_email_change(ctx, token)
    with pytest.raises(NotFound):
        profile.confirm_email_change(ctx, "nope")


def test_a_taken_address_gets_the_same_answer_and_its_owner_is_told(ctx):
    actor = employer(ctx, "paul@example.com")
    other = employer(ctx, "lina@example.com")
    free = profile.request_change(ctx, actor, profile.EMAIL, "libre@example.org")
    taken = profile.request_change(ctx, actor, profile.EMAIL, "lina@example.com")
    assert free == taken
    assert ctx.notifications.sent[-1]["template"] == "identifier_in_use"
    assert ctx.notifications.sent[-1]["to"] == {"user_id": other["user_id"]}
    # the earlier request was voided by the new one
    with pytest.raises(Conflict):
        profile.confirm_email_change(ctx, last_secret("email_change", "libre@example.org"))


def test_a_phone_code_has_five_attempts_and_the_old_number_is_told(ctx):
    actor = employer(ctx, "paul@example.com", phone="06 12 34 56 78")
    profile.request_change(ctx, actor, profile.PHONE, "07 12 34 56 78")
    code = last_secret("phone_change", actor["user_id"])
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(5):
        with pytest.raises(ValidationError):
            profile.confirm_phone_change(ctx, actor, wrong)
    with pytest.raises(Conflict):
        profile.confirm_phone_change(ctx, actor, code)   # locked
    profile.request_change(ctx, actor, profile.PHONE, "07 12 34 56 78")
    out = profile.confirm_phone_change(ctx, actor, last_secret("phone_change", actor["user_id"]))
    assert out["phone"] == "+33712345678" == ctx.repo.users[actor["user_id"]]["phone"]
    assert ctx.notifications.sent[-1]["template"] == "phone_changed_notice"
    assert ctx.notifications.sent[-1]["to"]["phone"] == "+33612345678"


def test_profile_fields_apply_at_once(ctx):
    actor = employer(ctx, "paul@example.com")
    me = profile.update_profile(ctx, actor, {"first_name": "Paula", "job_title": "Directrice"})
    assert me["first_name"] == "Paula" and me["job_title"] == "Directrice"
