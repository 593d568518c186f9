import csv
from pathlib import Path

import pytest

from common.errors import ValidationError
from identity.domain import academic, accounts

DATA = Path(__file__).resolve().parents[4] / "data" / "reference"


@pytest.mark.parametrize("name,domain", [
    ("Aix-Marseille", "ac-aix-marseille.fr"),
    ("Clermont-Ferrand", "ac-clermont.fr"),
    ("Créteil", "ac-creteil.fr"),
    ("Besançon", "ac-besancon.fr"),
    ("Orléans-Tours", "ac-orleans-tours.fr"),
    ("Nancy-Metz", "ac-nancy-metz.fr"),
    ("La Réunion", "ac-reunion.fr"),
    ("Normandie", "ac-normandie.fr"),
    ("Versailles", "ac-versailles.fr"),
    ("Corse", "ac-corse.fr"),
    ("Mayotte", "ac-mayotte.fr"),
    ("Guyane", "ac-guyane.fr"),
    ("Nouvelle Calédonie", "ac-noumea.nc"),
    ("Polynésie Française", "ac-polynesie.pf"),
])
def test_known_domains(name, domain):
    assert academic.academic_domains(name)[0] == domain


def test_every_academie_of_the_reference_data_has_a_domain():
    with open(DATA / "departements.csv", encoding="utf-8") as f:
        names = {r["academie_name"] for r in csv.DictReader(f) if r["academie_name"]}
    assert len(names) >= 30
    for n in names:
        (d, *_) = academic.academic_domains(n)
        assert d.startswith("ac-") and " " not in d and d.isascii(), (n, d)


def test_normandie_accepts_former_domains():
    assert academic.check_academic_email("a.b@ac-caen.fr", "Normandie") is None
    assert academic.check_academic_email("a.b@ac-rouen.fr", "Normandie") is None


def test_email_must_match_school_academie():
    assert academic.check_academic_email("jean.dupont@ac-aix-marseille.fr", "Aix-Marseille") is None
    assert academic.check_academic_email("Jean.Dupont@AC-Clermont.FR", "Clermont-Ferrand") is None
    msg = academic.check_academic_email("jean.dupont@ac-lyon.fr", "Aix-Marseille")
    assert "ac-aix-marseille.fr" in msg and "Aix-Marseille" in msg
    assert academic.check_academic_email("jean@gmail.com", "Lyon") is not None
    assert academic.check_academic_email("jean@ac-clermont-ferrand.fr", "Clermont-Ferrand") is not None
    assert academic.check_academic_email("jean@ac-lyon.fr", None) is not None


SCHOOL = {"uai": "0130001A", "academie_name": "Aix-Marseille", "status": "OUVERT"}


def reg(**kw):
    base = {"role": "school_staff", "first_name": "Jeanne", "last_name": "Martin", "function": "teacher",
            "email": "Jeanne.Martin@ac-aix-marseille.fr", "password": "Correct-Horse-42", "school_uai": "0130001a"}
    base.update(kw)
    return base


def test_valid_staff_registration_is_cleaned():
    out = accounts.validate_registration(reg(phone="06 12 34 56 78"), SCHOOL)
    assert out["email"] == "jeanne.martin@ac-aix-marseille.fr"
    assert out["phone"] == "+33612345678"
    assert out["school_uai"] == "0130001A"
    assert out["function"] == "teacher"
    assert "password" not in out


def test_staff_with_wrong_academie_is_refused():
    with pytest.raises(ValidationError) as e:
        accounts.validate_registration(reg(email="jeanne@ac-lyon.fr"), SCHOOL)
    assert list(e.value.errors) == ["email"]


def test_all_errors_collected():
    with pytest.raises(ValidationError) as e:
        accounts.validate_registration(reg(first_name="", email="bad", password="short", function="boss",
                                           phone="123"), SCHOOL)
    assert set(e.value.errors) == {"first_name", "email", "password", "function", "phone"}


def test_unknown_school():
    with pytest.raises(ValidationError) as e:
        accounts.validate_registration(reg(), None)
    assert "school_uai" in e.value.errors


def test_employer_function_is_a_job_title():
    out = accounts.validate_registration({"role": "employer", "first_name": "Paul", "last_name": "Durand",
                                          "function": "Responsable RH", "email": "paul@example.com",
                                          "password": "Correct-Horse-42"})
    assert out["function"] is None and out["job_title"] == "Responsable RH"
    assert out["phone"] is None


def test_operator_needs_organisation_and_pupils_cannot_register():
    with pytest.raises(ValidationError) as e:
        accounts.validate_registration({"role": "operator", "first_name": "A", "last_name": "B", "function": "Chargé",
                                        "email": "a@b.fr", "password": "Correct-Horse-42"})
    assert "organisation_name" in e.value.errors
    with pytest.raises(ValidationError) as e:
        accounts.validate_registration({"role": "pupil", "first_name": "A", "last_name": "B",
                                        "email": "a@b.fr", "password": "Correct-Horse-42"})
    assert "role" in e.value.errors
    with pytest.raises(ValidationError):
        accounts.validate_registration({"role": "admin", "first_name": "A", "last_name": "B",
                                        "email": "a@b.fr", "password": "Correct-Horse-42"})


def test_statistician_scope():
    base = {"role": "statistician", "first_name": "A", "last_name": "B", "email": "a@insee.fr",
            "password": "Correct-Horse-42"}
    out = accounts.validate_registration({**base, "stat_scope": "academie", "stat_scope_code": "02"})
    assert out["stat_scope"] == "academie" and out["stat_scope_code"] == "02"
    assert accounts.status_after_activation("statistician") == "pending_validation"
    assert accounts.status_after_activation("employer") == "active"
    with pytest.raises(ValidationError) as e:
        accounts.validate_registration({**base, "stat_scope": "academie"})
    assert "stat_scope_code" in e.value.errors
    out = accounts.validate_registration({**base, "stat_scope": "national", "stat_scope_code": "x"})
    assert out["stat_scope_code"] is None


def test_login_identifier():
    assert accounts.normalize_login_identifier(" A@B.fr ") == ("email", "a@b.fr")
    assert accounts.normalize_login_identifier("06 12 34 56 78") == ("phone", "+33612345678")
    assert accounts.normalize_login_identifier("hello") is None
    assert accounts.normalize_login_identifier(None) is None
