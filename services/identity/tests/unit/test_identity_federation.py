"""National sign-in: the pure mapping of claims (domain.federation) and the use cases on the in-memory
fakes (testkit.identity.fakes)."""
import datetime as dt

import pytest

from common.errors import Conflict, Forbidden, ValidationError
from identity.domain import federation as fed
from identity.use_cases import federation, memberships, staff
from testkit.identity.fakes import fake_context

NOW = dt.datetime(2027, 1, 11, 9, 0, tzinfo=dt.timezone.utc)
COLLEGE = "0131884C"
LYCEE = "0130001A"
OTHER = "0690001X"


def pupil_claims(**kw):
    base = {"sub": "ec-sub-1", "FrEduCtPersonAffiliation": ["eleve"], "FrEduCtEleveINE": "123456789AB",
            "FrEduCtEleveUAI": COLLEGE, "FrEduCtEleveNiveau": "2116", "FrEduCtEleveClasse": "3B",
            "given_name": "Léa", "family_name": "Martin", "FrEduCtDateNaissance": "2012-03-04"}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def fim_claims(**kw):
    base = {"sub": "fim-sub-1", "email": "Paul.Durand@ac-aix-marseille.fr", "FrEduFonctAdm": "DIR",
            "rne": COLLEGE, "FrEduRneResp": [f"{LYCEE}$UAJ$PU$N$T3$LYC$340"], "FrEduRne": "X",
            "given_name": "Paul", "family_name": "Durand"}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def ctx_with_schools():
    ctx = fake_context(NOW)
    ctx.repo.add_school(uai=COLLEGE, kind="college", name="Collège Belle de Mai", academie_name="Aix-Marseille")
    ctx.repo.add_school(uai=LYCEE, kind="lycee", name="Lycée Thiers", academie_name="Aix-Marseille")
    return ctx


# -- pure mapping --------------------------------------------------------------------------------

def test_parent_is_refused_with_its_own_code():
    with pytest.raises(Forbidden) as e:
        fed.read_educonnect(pupil_claims(FrEduCtPersonAffiliation=["resp2d"]))
    assert e.value.code == "federation_parent" and "élève" in e.value.detail


def test_missing_claims_are_field_errors():
    with pytest.raises(ValidationError) as e:
        fed.read_educonnect({"FrEduCtPersonAffiliation": "eleve"})
    assert set(e.value.errors) == {"sub", "FrEduCtEleveUAI"}
    with pytest.raises(ValidationError) as e:
        fed.read_fim({"sub": "x", "FrEduFonctAdm": "ENS"})
    assert set(e.value.errors) == {"email", "rne"}


@pytest.mark.parametrize("level,class_name,grade", [
    ("2116", None, "troisieme"), ("2115", None, "quatrieme"), ("2434", None, "troisieme"),
    ("2211", None, "seconde"), ("3EME", None, "troisieme"), (None, "4B", "quatrieme"), (None, "201", "seconde"),
    ("2212", "1G2", None), (None, None, None)])
def test_grade_from_level_or_class(level, class_name, grade):
    assert fed.grade_of(level, class_name) == grade


@pytest.mark.parametrize("code,function", [("DIR", "head"), ("ADF", "admin_staff"), ("ENS", "teacher"),
                                           ("DOC", "other"), (None, "other")])
def test_fim_functions(code, function):
    assert fed.function_of(code) == function


def test_fim_schools_main_first_without_duplicates_and_x():
    s = fed.read_fim(fim_claims(FrEduRneResp="X", FrEduRne=[f"{LYCEE}$UAJ", f"{COLLEGE}$UAJ", "bad"]))
    assert s.uais == (COLLEGE, LYCEE) and s.email == "paul.durand@ac-aix-marseille.fr" and s.function == "head"
    with pytest.raises(Forbidden) as e:
        fed.known_uais(s, {OTHER})
    assert e.value.code == "federation_unknown_school"
    assert fed.known_uais(s, {LYCEE}) == [LYCEE]


def test_membership_plan_confirms_heads_and_drops_schools_fim_no_longer_lists():
    s = fed.read_fim(fim_claims())
    existing = [{"school_uai": OTHER, "function": "head", "source": "fim", "confirmed_at": NOW},
                {"school_uai": "0750001A", "function": "teacher", "source": "platform", "confirmed_at": None}]
    plan = fed.plan_memberships(existing, s, [COLLEGE, LYCEE], OTHER, NOW)
    assert [m["school_uai"] for m in plan.upserts] == [COLLEGE, LYCEE]
    assert all(m["confirmed_how"] == "federation" and m["confirmed_at"] == NOW for m in plan.upserts)
    assert plan.removed == [OTHER] and plan.current_uai == COLLEGE
    teacher = fed.read_fim(fim_claims(FrEduFonctAdm="ENS"))
    plan = fed.plan_memberships([], teacher, [COLLEGE], None, NOW)
    assert plan.upserts[0]["confirmed_at"] is None


def test_designated_head_follows_fim_for_heads_only():
    head = fed.read_fim(fim_claims())
    assert fed.heads_to_designate(head, "me", [COLLEGE, LYCEE], {COLLEGE: "me", LYCEE: "other"}) == \
        [(LYCEE, "other")]
    assert fed.heads_to_designate(fed.read_fim(fim_claims(FrEduFonctAdm="ENS")), "me", [COLLEGE], {}) == []


# -- use cases on fakes ----------------------------------------------------------------------------

def test_first_pupil_sign_in_creates_the_pupil_then_finds_it_again():
    ctx = ctx_with_schools()
    out = federation.federated_sign_in(ctx, "educonnect", pupil_claims())
    u = ctx.repo.users[out["user"]["id"]]
    assert (u["role"], u["status"], u["school_uai"], u["grade"], u["class_name"], u["ine"]) == \
        ("pupil", "active", COLLEGE, "troisieme", "3B", "123456789AB")
    assert u["password_hash"] is None and out["claims"]["school_uai"] == COLLEGE
    assert [t for t, _ in ctx.uow.events] == ["user.registered", "user.activated"]
    again = federation.federated_sign_in(ctx, "educonnect", pupil_claims())
    assert again["user"]["id"] == u["id"] and len(ctx.repo.users) == 1


def test_unknown_school_and_unhandled_grade_are_refused():
    ctx = ctx_with_schools()
    with pytest.raises(Forbidden) as e:
        federation.federated_sign_in(ctx, "educonnect", pupil_claims(FrEduCtEleveUAI=OTHER))
    assert e.value.code == "federation_unknown_school"
    with pytest.raises(Forbidden) as e:
        federation.federated_sign_in(ctx, "educonnect", pupil_claims(FrEduCtEleveNiveau="2212",
                                                                      FrEduCtEleveClasse="1G"))
    assert e.value.code == "federation_grade_not_handled"
    assert not ctx.repo.users


def test_imported_pupil_is_found_by_names_and_birth_date_and_activated():
    ctx = ctx_with_schools()
    p = ctx.repo.add_user(role="pupil", status="pending_activation", first_name="Léa", last_name="MARTIN",
                          school_uai=COLLEGE, grade="troisieme", class_name="3A",
                          pupil_key="martin|lea|2012-03-04")
    out = federation.federated_sign_in(ctx, "educonnect", pupil_claims())
    assert out["user"]["id"] == p["id"]
    u = ctx.repo.users[p["id"]]
    assert u["status"] == "active" and u["ine"] == "123456789AB" and u["class_name"] == "3B"


def test_code_sheet_pupil_links_once():
    ctx = ctx_with_schools()
    p = ctx.repo.add_user(role="pupil", first_name="Léa", last_name="Martin", school_uai=COLLEGE, grade="troisieme")
    actor = {"user_id": p["id"], "role": "pupil"}
    assert federation.link_federated_identity(ctx, actor, "educonnect", pupil_claims()) == \
        {"linked": True, "provider": "educonnect"}
    with pytest.raises(Conflict) as e:
        federation.link_federated_identity(ctx, actor, "educonnect", pupil_claims(sub="ec-sub-2"))
    assert e.value.code == "federation_already_linked"
    other = ctx.repo.add_user(role="pupil", first_name="Jo", last_name="Bo", school_uai=COLLEGE, grade="troisieme")
    with pytest.raises(Conflict):
        federation.link_federated_identity(ctx, {"user_id": other["id"], "role": "pupil"}, "educonnect",
                                           pupil_claims(sub="ec-sub-3"))   # same INE: someone else's identity
    assert federation.federated_sign_in(ctx, "educonnect", pupil_claims())["user"]["id"] == p["id"]


def test_fim_head_of_two_schools_confirmed_designated_and_switching():
    ctx = ctx_with_schools()
    out = federation.federated_sign_in(ctx, "fim", fim_claims())
    uid = out["user"]["id"]
    assert out["claims"]["school_uai"] == COLLEGE and out["claims"]["function"] == "head"
    assert out["claims"]["staff_confirmed"] is True
    assert ctx.repo.heads[COLLEGE]["user_id"] == uid and ctx.repo.heads[LYCEE]["user_id"] == uid
    assert ctx.repo.users[uid]["staff_confirmed_how"] == "federation"
    actor = {"user_id": uid, "role": "school_staff"}
    listed = memberships.list_my_schools(ctx, actor)
    assert [(i["school_uai"], i["current"], i["confirmed"]) for i in listed["items"]] == \
        [(COLLEGE, True, True), (LYCEE, False, True)]
    switched = memberships.switch_school(ctx, actor, LYCEE.lower())
    assert switched["claims"]["school_uai"] == LYCEE and ctx.repo.users[uid]["school_uai"] == LYCEE
    with pytest.raises(Forbidden) as e:
        memberships.switch_school(ctx, actor, OTHER)
    assert e.value.code == "not_a_member"
    # signing in again keeps the current school and creates nothing
    again = federation.federated_sign_in(ctx, "fim", fim_claims())
    assert again["user"]["id"] == uid and again["claims"]["school_uai"] == LYCEE and len(ctx.repo.users) == 1


def test_fim_teacher_is_not_confirmed_and_cannot_confirm():
    ctx = ctx_with_schools()
    t = federation.federated_sign_in(ctx, "fim", fim_claims(sub="t", email="t.t@ac-aix-marseille.fr",
                                                            FrEduFonctAdm="ENS", FrEduRneResp=None))
    assert t["claims"]["function"] == "teacher" and t["claims"]["staff_confirmed"] is False
    other = ctx.repo.add_user(role="school_staff", function="cpe", school_uai=COLLEGE)
    with pytest.raises(Forbidden):
        staff.confirm_staff(ctx, {"user_id": t["user"]["id"], "role": "school_staff"}, COLLEGE, other["id"])


def test_fim_address_of_a_non_staff_account_is_a_conflict():
    ctx = ctx_with_schools()
    ctx.repo.add_user(role="employer", email="paul.durand@ac-aix-marseille.fr")
    with pytest.raises(Conflict) as e:
        federation.federated_sign_in(ctx, "fim", fim_claims())
    assert e.value.code == "federation_account_conflict"


def test_fim_account_needs_names_and_a_known_school():
    ctx = ctx_with_schools()
    with pytest.raises(ValidationError) as e:
        federation.federated_sign_in(ctx, "fim", fim_claims(given_name=None, family_name=None))
    assert set(e.value.errors) == {"given_name", "family_name"}
    with pytest.raises(Forbidden) as e:
        federation.federated_sign_in(ctx, "fim", fim_claims(rne=OTHER, FrEduRneResp="X"))
    assert e.value.code == "federation_unknown_school" and OTHER in e.value.detail
    assert not ctx.repo.users


def test_a_pupil_who_changed_school_follows_the_claims():
    ctx = ctx_with_schools()
    ctx.repo.add_school(uai=OTHER, kind="college", name="Collège de Lyon", academie_name="Lyon")
    first = federation.federated_sign_in(ctx, "educonnect", pupil_claims())
    moved = federation.federated_sign_in(ctx, "educonnect", pupil_claims(FrEduCtEleveUAI=OTHER,
                                                                         FrEduCtEleveClasse="3D"))
    assert moved["user"]["id"] == first["user"]["id"] and moved["claims"]["school_uai"] == OTHER
    assert ctx.repo.users[first["user"]["id"]]["class_name"] == "3D"


def test_a_member_is_confirmed_at_the_school_where_another_is_current():
    ctx = ctx_with_schools()
    h = federation.federated_sign_in(ctx, "fim", fim_claims(rne=LYCEE, FrEduRneResp="X"))
    t = federation.federated_sign_in(ctx, "fim", fim_claims(sub="t", email="t.t@ac-aix-marseille.fr",
                                                            FrEduFonctAdm="ENS"))
    tid = t["user"]["id"]
    assert ctx.repo.users[tid]["school_uai"] == COLLEGE
    out = staff.confirm_staff(ctx, {"user_id": h["user"]["id"], "role": "school_staff"}, LYCEE, tid)
    assert out["confirmed"] and out["school_uai"] == LYCEE and out["function"] == "teacher"
    assert ctx.repo.users[tid]["staff_confirmed_at"] is None                 # not at the collège
    assert ctx.repo.memberships[(tid, LYCEE)]["confirmed_how"] == "head"
    listed = {i["school_uai"]: i["confirmed"] for i in memberships.list_my_schools(
        ctx, {"user_id": tid, "role": "school_staff"})["items"]}
    assert listed == {COLLEGE: False, LYCEE: True}


def test_anonymisation_forgets_national_identities_and_memberships():
    from identity.use_cases import anonymisation
    ctx = ctx_with_schools()
    uid = federation.federated_sign_in(ctx, "fim", fim_claims())["user"]["id"]
    assert ctx.repo.federated and ctx.repo.memberships
    anonymisation.anonymize(ctx, uid)
    assert not ctx.repo.federated and not ctx.repo.memberships


def test_unknown_provider():
    with pytest.raises(ValidationError):
        federation.federated_sign_in(fake_context(NOW), "google", {})
