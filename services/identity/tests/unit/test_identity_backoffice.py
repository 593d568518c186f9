"""Issue 21, pure parts and use cases on fakes: the back-office's search normalisation, the UAI check letter,
school records, the journal's record shape (no secret), class rules, and lock / unlock / end sessions on the
in-memory repository (testkit.identity.fakes)."""
import csv
import datetime as dt
from pathlib import Path

import pytest

from common.errors import Conflict, Forbidden, ValidationError
from identity.domain import account_locks, audit, classes, school_records, user_search
from identity.use_cases import accounts, backoffice, sessions
from testkit.hooks import last_secret
from testkit.identity.fakes import fake_context

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)
ADMIN = {"user_id": "5b4f7c1e-0000-4000-8000-000000000001", "role": "admin"}
PASSWORD = "Correct-Horse-42!"
REFERENCE = Path(__file__).resolve().parents[4] / "data" / "reference"


# -- search normalisation ----------------------------------------------------------------------------

@pytest.mark.parametrize("typed, kind, value", [
    ("  Paul.Durand@Example.COM ", "email", "paul.durand@example.com"),
    ("06 12 34 56 78", "phone", "+33612345678"),
    ("+33 6 12 34 56 78", "phone", "+33612345678"),
    ("12 34 56", "phone", "123456"),
    ("0612", "phone", "612"),
    ("0131884c", "uai", "0131884C"),
    ("Hélène LE BIHAN-Durand", "words", "helene le bihan durand"),
    ("Collège Belle de Mai", "words", "college belle de mai"),
])
def test_what_an_admin_types_is_read_as_one_kind_of_search(typed, kind, value):
    q = user_search.parse_query(typed)
    assert (q.kind, q.value) == (kind, value)


def test_a_search_that_cannot_be_one_is_refused_in_french():
    for bad in (None, "", "   ", "x", "12", "a" * 201):
        with pytest.raises(ValidationError) as e:
            user_search.parse_query(bad)
        assert list(e.value.errors) == ["q"] and e.value.errors["q"][0].startswith(("Saisissez", "La recherche"))
    with pytest.raises(ValidationError) as e:
        user_search.check_role("boss")
    assert "Profil inconnu" in e.value.errors["role"][0]
    assert user_search.check_role("pupil") == "pupil" and user_search.check_role("") is None


# -- UAI and school records ---------------------------------------------------------------------------

def test_every_uai_of_the_directory_has_the_right_check_letter():
    with open(REFERENCE / "schools.csv", newline="", encoding="utf-8") as f:
        uais = [r["uai"] for r in csv.DictReader(f)]
    assert len(uais) > 10000
    assert [u for u in uais if school_records.check_uai(u)] == []


def test_a_wrong_uai_says_why():
    assert school_records.check_uai("0131884C") is None
    assert "la lettre de contrôle de 0131884 est C" in school_records.check_uai("0131884D")
    assert "7 chiffres suivis d'une lettre" in school_records.check_uai("131884C")
    assert school_records.check_uai(None)


MARSEILLE_3 = {"insee_code": "13203", "name": "Marseille 3e Arrondissement", "dep_code": "13",
               "postal_codes": "13003"}
BDR = {"dep_code": "13", "academie_code": "02", "academie_name": "Aix-Marseille"}


def test_a_new_lycee_takes_its_commune_and_academie_from_the_reference_data():
    rec = school_records.validate_school(
        {"uai": "0139999y", "name": " Lycée des Docks ", "kind": "lycee", "sector": "public",
         "commune_insee": "13203", "education_prioritaire": "REP", "qpv": True, "street_address": "1 quai"},
        MARSEILLE_3, BDR)
    assert rec["uai"] == "0139999Y" and rec["name"] == "Lycée des Docks" and rec["status"] == "OUVERT"
    assert (rec["commune_name"], rec["dep_code"], rec["academie_code"], rec["academie_name"], rec["postal_code"]) \
        == ("Marseille 3e Arrondissement", "13", "02", "Aix-Marseille", "13003")
    assert "docks" in rec["name_key"]


def test_every_field_error_of_a_school_at_once():
    with pytest.raises(ValidationError) as e:
        school_records.validate_school({"uai": "0131884D", "kind": "ecole", "sector": "x", "commune_insee": "99999",
                                        "education_prioritaire": "ZEP", "qpv": "oui", "lat": 100,
                                        "postal_code": "130", "colour": "blue"}, None, None)
    assert set(e.value.errors) == {"uai", "name", "kind", "sector", "commune_insee", "education_prioritaire", "qpv",
                                   "lat", "postal_code", "colour"}
    assert "Commune inconnue" in e.value.errors["commune_insee"][0]


def test_a_correction_changes_only_what_is_given():
    current = {"uai": "0131884C", "name": "Collège Belle de Mai", "kind": "college", "sector": "public",
               "commune_name": "Marseille", "education_prioritaire": "REP+", "qpv": True, "status": "OUVERT"}
    rec = school_records.validate_school({"education_prioritaire": None, "qpv": False}, None, None, current=current)
    assert school_records.changed_fields(current, rec) == {"education_prioritaire": ["REP+", None],
                                                          "qpv": [True, False]}


# -- the journal ----------------------------------------------------------------------------------------

def test_a_journal_record_says_who_when_what_why_and_keeps_no_secret():
    rec = audit.record("a1", "user.lock", "user", "u1", "Usurpation signalée",
                       {"previous_status": "active", "token": "raw", "nested": [{"password_hash": "x", "n": 1}],
                        "at": NOW}, NOW)
    assert set(rec) == {"id", "actor_id", "action", "target_kind", "target_id", "reason", "details", "at"}
    assert (rec["actor_id"], rec["action"], rec["target_id"], rec["reason"], rec["at"]) == \
        ("a1", "user.lock", "u1", "Usurpation signalée", NOW)
    assert rec["details"] == {"previous_status": "active", "nested": [{"n": 1}], "at": NOW.isoformat()}
    with pytest.raises(ValueError):
        audit.record("a1", "user.delete", "user", "u1", "x", None, NOW)


def test_an_action_needs_a_reason():
    for bad in (None, "", "   ", "abc", "x" * 1001):
        with pytest.raises(ValidationError) as e:
            audit.check_reason(bad)
        assert "motif" in e.value.errors["reason"][0]
    assert audit.check_reason("  Demande du chef d'établissement ") == "Demande du chef d'établissement"
    with pytest.raises(ValidationError):
        audit.check_filters(action="user.delete")


# -- classes -----------------------------------------------------------------------------------------------

def test_class_rules():
    assert classes.clean_name("  3e   B ") == "3e B"
    with pytest.raises(ValidationError):
        classes.clean_name("")
    assert classes.class_grade("3A", None, "college") == "troisieme"
    with pytest.raises(ValidationError):
        classes.class_grade("2nde 4", None, "college")
    assert classes.inferred_grade("2nde 4", "college") is None
    with pytest.raises(Conflict) as e:
        classes.check_delete("3A", 2)
    assert e.value.code == "class_not_empty" and "compte encore 2 élèves" in e.value.detail
    classes.check_delete("3A", 0)
    with pytest.raises(Conflict):
        classes.check_rename("3A", "3B", {"3A", "3B"})
    assert classes.renamed_followed(["3A", "4C"], "3A", "3 Alpha") == ["3 Alpha", "4C"]
    assert classes.renamed_followed(["4C"], "3A", "3B") is None
    assert classes.renamed_followed(["3A"], "3A", None) == []
    with pytest.raises(Forbidden):
        classes.require_can_manage({"role": "school_staff", "school_uai": "0131264D"}, "0131884C")
    with pytest.raises(ValidationError) as e:
        classes.check_move([], "")
    assert set(e.value.errors) == {"pupil_ids", "class_name"}


# -- lock, unlock, end sessions on fakes ----------------------------------------------------------------------

@pytest.fixture
def ctx():
    return fake_context()


def active_employer(ctx, email="claire.martin@example.com"):
    accounts.register(ctx, {"role": "employer", "first_name": "Claire", "last_name": "Martin", "function": "Gérante",
                            "email": email, "password": PASSWORD})
    return accounts.activate(ctx, last_secret("activation", email))["user_id"]


def test_lock_refuses_login_and_unlock_gives_the_status_back(ctx):
    uid = active_employer(ctx)
    s = sessions.login(ctx, "claire.martin@example.com", PASSWORD)
    out = backoffice.lock_user(ctx, ADMIN, uid, "Usurpation d'identité signalée")
    assert out == {"user_id": uid, "status": "locked", "changed": True, "ended_sessions": 1}
    assert ctx.uow.emitted("user.locked") == [{"user_id": uid}]
    assert backoffice.lock_user(ctx, ADMIN, uid, "Une seconde fois")["changed"] is False   # idempotent
    assert [r["action"] for r in ctx.repo.admin_actions] == ["user.lock"]
    with pytest.raises(Forbidden) as e:
        sessions.login(ctx, "claire.martin@example.com", PASSWORD)
    assert e.value.code == "account_locked_by_admin" and "verrouillé par un administrateur" in e.value.detail
    with pytest.raises(Exception):
        sessions.refresh(ctx, s["refresh_token"])
    out = backoffice.unlock_user(ctx, ADMIN, uid, "Identité vérifiée par téléphone")
    assert out == {"user_id": uid, "status": "active", "changed": True}
    assert sessions.login(ctx, "claire.martin@example.com", PASSWORD)["user"]["id"] == uid
    assert [(r["action"], r["actor_id"], r["reason"]) for r in ctx.repo.admin_actions] == [
        ("user.lock", ADMIN["user_id"], "Usurpation d'identité signalée"),
        ("user.unlock", ADMIN["user_id"], "Identité vérifiée par téléphone")]
    with pytest.raises(Conflict):
        backoffice.lock_user(ctx, {**ADMIN, "user_id": uid}, uid, "Moi-même")
    with pytest.raises(Forbidden):
        backoffice.lock_user(ctx, {"user_id": uid, "role": "employer"}, uid, "Pas admin")
    with pytest.raises(ValidationError):
        backoffice.lock_user(ctx, ADMIN, uid, "")


def test_a_locked_pending_account_gets_back_pending(ctx):
    accounts.register(ctx, {"role": "employer", "first_name": "Léa", "last_name": "Roux", "function": "Gérante",
                            "email": "lea.roux@example.com", "password": PASSWORD})
    (u,) = ctx.repo.users.values()
    backoffice.lock_user(ctx, ADMIN, u["id"], "Inscription suspecte")
    assert backoffice.unlock_user(ctx, ADMIN, u["id"], "Vérifiée")["status"] == "pending_activation"
    assert account_locks.status_after_unlock("anonymized") == "active"


def test_end_sessions_closes_every_session_once(ctx):
    uid = active_employer(ctx)
    s1 = sessions.login(ctx, "claire.martin@example.com", PASSWORD)
    sessions.login(ctx, "claire.martin@example.com", PASSWORD)
    assert backoffice.end_sessions(ctx, ADMIN, uid, "Téléphone perdu")["ended_sessions"] == 2
    assert backoffice.end_sessions(ctx, ADMIN, uid, "Téléphone perdu")["ended_sessions"] == 0
    assert [r["details"] for r in ctx.repo.admin_actions] == [{"ended_sessions": 2}]
    with pytest.raises(Exception) as e:
        sessions.refresh(ctx, s1["refresh_token"])
    assert getattr(e.value, "status", None) == 401


def test_classes_on_fakes_rename_follows_pupils_and_staff_delete_refused_when_not_empty(ctx):
    from identity.use_cases import classes as class_cases
    uai = "0131884C"
    ctx.repo.add_school(uai=uai, kind="college", name="Collège Belle de Mai")
    head = ctx.repo.add_user(role="school_staff", function="head", school_uai=uai, staff_confirmed_at=NOW,
                             first_name="Marie", last_name="Lambert", classes=["3A"])
    actor = {"user_id": head["id"], "role": "school_staff", "function": "head", "school_uai": uai}
    p1, p2 = (ctx.repo.add_user(role="pupil", school_uai=uai, class_name="3A", grade="troisieme",
                                first_name="Inès", last_name=f"Élève{i}") for i in (1, 2))
    assert class_cases.create_class(ctx, actor, uai, "3B")["created"] is True
    assert class_cases.create_class(ctx, actor, uai, "3B")["created"] is False
    out = class_cases.rename_class(ctx, actor, uai, "3A", "3 Alpha")
    assert (out["name"], out["pupils"], out["renamed_pupils"], out["renamed_for_staff"]) == ("3 Alpha", 2, 2, 1)
    assert ctx.repo.users[head["id"]]["classes"] == ["3 Alpha"] and ctx.repo.users[p1["id"]]["class_name"] == "3 Alpha"
    assert class_cases.rename_class(ctx, actor, uai, "3A", "3 Alpha")["renamed_pupils"] == 0   # once done
    with pytest.raises(Conflict) as e:
        class_cases.delete_class(ctx, actor, uai, "3 Alpha")
    assert e.value.code == "class_not_empty"
    assert class_cases.move_pupils(ctx, actor, uai, [p1["id"], p2["id"]], "3B")["moved"] == 2
    assert class_cases.delete_class(ctx, actor, uai, "3 Alpha") == {"name": "3 Alpha", "deleted": True}
    assert ctx.repo.users[head["id"]]["classes"] == []
    with pytest.raises(ValidationError) as e:
        class_cases.move_pupils(ctx, actor, uai, [p1["id"]], "3Z")
    assert "créez-la d'abord" in e.value.errors["class_name"][0]
    unconfirmed = ctx.repo.add_user(role="school_staff", function="teacher", school_uai=uai, first_name="Jean",
                                    last_name="Prof")
    with pytest.raises(Forbidden):
        class_cases.create_class(ctx, {"user_id": unconfirmed["id"], "role": "school_staff", "school_uai": uai},
                                 uai, "3C")
