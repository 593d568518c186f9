"""identity's use cases on in-memory fakes (testkit.identity.fakes): no PostgreSQL, RabbitMQ or Redis.
The integration tests keep proving the SQL of identity.repository and identity.queries."""
import base64
import datetime as dt

import jwt
import pytest

from common.errors import Conflict, Forbidden, NotFound, RateLimited, Unauthorized
from identity.domain import refresh as refresh_rules, throttle
from identity.use_cases import accounts, anonymisation, demo, passwords, pupils, sessions, staff
from testkit.hooks import last_secret  # registers the listener of the secrets handed out (common.seams)
from testkit.identity.fakes import FakeRepository, fake_context

PASSWORD = "Correct-Horse-42!"
COLLEGE = "0131884C"
ADMIN = {"user_id": "5b4f7c1e-0000-4000-8000-000000000001", "role": "admin"}


@pytest.fixture
def ctx():
    c = fake_context()
    c.repo.add_school(uai=COLLEGE, kind="college", name="Collège Belle de Mai", academie_name="Aix-Marseille",
                      academie_code="02", education_prioritaire="REP+", qpv=True)
    return c


def later(ctx, **delta):
    ctx.now = ctx.now + dt.timedelta(**delta)
    return ctx


def active_employer(ctx, email="paul.durand@example.com"):
    accounts.register(ctx, {"role": "employer", "first_name": "Paul", "last_name": "Durand", "function": "Gérant",
                            "email": email, "password": PASSWORD})
    return accounts.activate(ctx, last_secret("activation", email))["user_id"]


# -- registration and activation --------------------------------------------------------------

def test_registration_creates_a_pending_account_and_sends_its_link(ctx):
    answer = accounts.register(ctx, {"role": "employer", "first_name": "Paul", "last_name": "Durand",
                                     "function": "Gérant", "email": "Paul.Durand@example.com", "password": PASSWORD})
    assert answer["status"] == "pending_activation"
    (user,) = ctx.repo.users.values()
    assert user["status"] == "pending_activation" and user["email"] == "paul.durand@example.com"
    assert ctx.uow.emitted("user.registered") == [{"user_id": user["id"], "role": "employer", "school_uai": None,
                                                  "function": None}]
    token = last_secret("activation", "paul.durand@example.com")
    assert ctx.notifications.sent[-1]["template"] == "account_activation"
    assert ctx.notifications.sent[-1]["context"] == {"token": token}
    out = accounts.activate(ctx, token)
    assert out["status"] == "active" and ctx.repo.users[user["id"]]["status"] == "active"
    assert [d["user_id"] for d in ctx.uow.emitted("user.activated")] == [user["id"]]
    with pytest.raises(Conflict):
        accounts.activate(ctx, token)   # a link works once


def test_registering_a_taken_address_answers_the_same_and_tells_its_owner(ctx):
    uid = active_employer(ctx)
    sent_before = len(ctx.notifications.sent)
    answer = accounts.register(ctx, {"role": "employer", "first_name": "Eve", "last_name": "Martin",
                                     "function": "Gérante", "email": "paul.durand@example.com",
                                     "password": PASSWORD})
    assert answer == accounts.REGISTERED_ANSWER
    assert len(ctx.repo.users) == 1
    assert [(m["template"], m["to"]) for m in ctx.notifications.sent[sent_before:]] == \
        [("identifier_in_use", {"user_id": uid})]


# -- sessions ----------------------------------------------------------------------------------

def test_login_issues_a_session_and_failures_lock_the_account(ctx):
    uid = active_employer(ctx)
    out = sessions.login(ctx, "paul.durand@example.com", PASSWORD, client={"ip": "10.0.0.1"})
    claims = jwt.decode(out["access_token"], options={"verify_signature": False})
    assert claims["sub"] == uid and claims["sid"] in ctx.repo.families
    for _ in range(throttle.MAX_FAILURES):
        with pytest.raises(Unauthorized):
            sessions.login(ctx, "paul.durand@example.com", "wrong-password-123", client={"ip": "10.0.0.1"})
    assert ctx.repo.locks[f"user:{uid}"]["locked_until"] == ctx.now + throttle.LOCK_DURATION   # kept despite the errors
    with pytest.raises(RateLimited) as locked:
        sessions.login(ctx, "paul.durand@example.com", PASSWORD)
    assert locked.value.code == "account_locked"
    later(ctx, minutes=16)
    assert sessions.login(ctx, "paul.durand@example.com", PASSWORD)["user"]["id"] == uid


def test_refresh_rotates_gives_two_tabs_the_same_pair_and_revokes_on_reuse(ctx):
    active_employer(ctx)
    first = sessions.login(ctx, "paul.durand@example.com", PASSWORD)
    second = sessions.refresh(ctx, first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    later(ctx, seconds=refresh_rules.REUSE_GRACE.total_seconds() - 1)
    assert sessions.refresh(ctx, first["refresh_token"]) == second            # another tab, within the grace
    later(ctx, seconds=2)
    with pytest.raises(Unauthorized) as reused:
        sessions.refresh(ctx, first["refresh_token"])
    assert reused.value.code == "refresh_reused"
    sid = jwt.decode(first["access_token"], options={"verify_signature": False})["sid"]
    assert ctx.repo.families[sid]["revoked_reason"] == "reuse" and ctx.deny_sessions.ids == [sid]
    with pytest.raises(Unauthorized):
        sessions.refresh(ctx, second["refresh_token"])                        # the whole family is closed


def test_logout_everywhere_closes_every_session(ctx):
    uid = active_employer(ctx)
    a = sessions.login(ctx, "paul.durand@example.com", PASSWORD)
    sessions.login(ctx, "paul.durand@example.com", PASSWORD)
    out = sessions.logout(ctx, refresh_token=a["refresh_token"], actor={"user_id": uid}, all_sessions=True)
    assert out["revoked_sessions"] == 2 and sorted(ctx.deny_sessions.ids) == sorted(ctx.repo.families)


# -- passwords ----------------------------------------------------------------------------------

def test_password_reset_does_the_same_work_for_unknown_addresses_and_closes_sessions(ctx):
    uid = active_employer(ctx)
    sessions.login(ctx, "paul.durand@example.com", PASSWORD)
    assert passwords.request_password_reset(ctx, "nobody@example.com") == passwords.RESET_ANSWER
    assert ctx.notifications.sent[-1]["template"] == "password_reset_no_account"
    assert passwords.request_password_reset(ctx, "paul.durand@example.com") == passwords.RESET_ANSWER
    assert ctx.notifications.sent[-1]["template"] == "password_reset"
    out = passwords.confirm_password_reset(ctx, last_secret("password_reset", "paul.durand@example.com"),
                                           "Another-Horse-43!")
    assert out["revoked_sessions"] == 1 and len(ctx.deny_sessions.ids) == 1
    assert ctx.repo.users[uid]["password_hash"] == ctx.passwords.hash("Another-Horse-43!")


# -- school staff --------------------------------------------------------------------------------

def test_an_admin_confirms_the_first_head_who_becomes_the_designated_head(ctx):
    head = ctx.repo.add_user(role="school_staff", function="head", school_uai=COLLEGE, first_name="Karim",
                             last_name="Benali", email="k.benali@ac-aix-marseille.fr")
    out = staff.confirm_staff(ctx, ADMIN, COLLEGE, head["id"])
    assert out["confirmed"] and out["designated_now"] and out["confirmed_how"] == "admin"
    assert ctx.repo.heads[COLLEGE]["user_id"] == head["id"]
    assert [t for t, _ in ctx.uow.events] == ["staff.confirmed", "school.head_designated"]
    with pytest.raises(Conflict):
        staff.confirm_staff(ctx, ADMIN, COLLEGE, head["id"])
    teacher = ctx.repo.add_user(role="school_staff", function="teacher", school_uai=COLLEGE, first_name="Sophie",
                                last_name="Martin", email="s.martin@ac-aix-marseille.fr")
    with pytest.raises(Forbidden):   # a colleague is not the head
        staff.confirm_staff(ctx, {"user_id": teacher["id"], "role": "school_staff"}, COLLEGE, head["id"])
    out = staff.confirm_staff(ctx, {"user_id": head["id"], "role": "school_staff"}, COLLEGE, teacher["id"])
    assert out["confirmed_how"] == "head" and not out["designated_now"]


# -- pupils ----------------------------------------------------------------------------------------

CLASS_LIST = ("Nom;Prénom;Date de naissance;Classe\n"
              "MANSOURI;Inaya;17/04/2012;3A\n"
              "FERRARI;Lucas;02/09/2012;3B\n"
              "SANSDATE;Zoé;;3B\n")


def test_a_confirmed_teacher_imports_pupils_who_activate_with_their_code(ctx):
    teacher = ctx.repo.add_user(role="school_staff", function="teacher", school_uai=COLLEGE, first_name="Sophie",
                                last_name="Martin", staff_confirmed_at=ctx.now)
    actor = {"user_id": teacher["id"], "role": "school_staff", "school_uai": COLLEGE}
    content = base64.b64encode(CLASS_LIST.encode()).decode()
    preview = pupils.import_pupils(ctx, actor, COLLEGE, content, dry_run=True)
    assert preview["summary"]["created"] == 2 and preview["summary"]["rejected"] == 1 and not ctx.uow.events
    out = pupils.import_pupils(ctx, actor, COLLEGE, content)
    assert out["summary"]["created"] == 2 and len(out["codes"]) == 2
    assert ctx.uow.emitted("pupil.imported")[0]["created"] == [c["pupil_id"] for c in out["codes"]]
    again = pupils.import_pupils(ctx, actor, COLLEGE, content)   # the same file again changes nothing
    assert again["summary"]["unchanged"] == 2 and again["summary"]["created"] == 0
    inaya = out["codes"][0]
    assert last_secret("pupil_code", inaya["pupil_id"]) == inaya["code"]
    session = pupils.pupil_activate(ctx, inaya["code"], PASSWORD, email="inaya.m@example.com")
    assert session["user"]["status"] == "active" and session["claims"]["grade"] == "troisieme"
    with pytest.raises(Conflict):
        pupils.pupil_activate(ctx, inaya["code"], PASSWORD, email="inaya.m@example.com")
    with pytest.raises(NotFound):
        pupils.pupil_activate(ctx, "ZZZZ-ZZZZ", PASSWORD, email="x@example.com")


def test_unconfirmed_staff_cannot_import(ctx):
    teacher = ctx.repo.add_user(role="school_staff", function="teacher", school_uai=COLLEGE, first_name="Léo",
                                last_name="Prof")
    with pytest.raises(Forbidden):
        pupils.import_pupils(ctx, {"user_id": teacher["id"], "role": "school_staff", "school_uai": COLLEGE},
                             COLLEGE, base64.b64encode(CLASS_LIST.encode()).decode())


# -- anonymisation -----------------------------------------------------------------------------------

def test_anonymisation_replaces_personal_fields_and_closes_sessions(ctx):
    uid = active_employer(ctx)
    session = sessions.login(ctx, "paul.durand@example.com", PASSWORD)
    anonymisation.anonymize(ctx, uid)
    u = ctx.repo.users[uid]
    assert u["status"] == "anonymized" and u["first_name"] == "Anonyme" and u["password_hash"] is None
    sid = jwt.decode(session["access_token"], options={"verify_signature": False})["sid"]
    assert sid in ctx.deny_sessions.ids and not ctx.repo.families
    assert ctx.uow.emitted("user.anonymized") == [{"user_id": uid, "role": "employer", "school_uai": None,
                                                  "reason": "inactivity"}]


# -- demo -----------------------------------------------------------------------------------------------

def test_demo_seeding_is_refused_unless_enabled_and_idempotent(ctx, monkeypatch):
    monkeypatch.delenv("STAGES_DEMO", raising=False)
    with pytest.raises(Forbidden):
        demo.seed_on_request(ctx)
    monkeypatch.setenv("STAGES_DEMO", "1")
    out = demo.seed_on_request(ctx)
    assert out["created"] == len(demo.ACCOUNTS) + len(demo.PUPILS)
    assert ctx.repo.heads[COLLEGE]["user_id"] == out["head"]["user_id"]
    assert demo.seed_on_request(ctx)["created"] == 0


def test_the_fake_repository_follows_the_repository():
    """Every write-side function the use cases may call has its in-memory twin (the fakes do not drift)."""
    import inspect

    from identity import repository
    for name in repository.__all__:
        if name == "row_dict":
            continue
        fake = getattr(FakeRepository, name, None)
        assert fake is not None, f"FakeRepository.{name} is missing"
        real = [p.name for p in inspect.signature(getattr(repository, name)).parameters.values()
                if p.kind is not p.VAR_KEYWORD]
        mine = [p.name for p in list(inspect.signature(fake).parameters.values())[1:] if p.kind is not p.VAR_KEYWORD]
        assert mine == real, name
