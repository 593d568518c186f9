"""Changing one's profile: fields by role, a function change, new identifiers and their secrets (domain/profile.py)."""
import datetime as dt

import pytest

from common.errors import Conflict, ValidationError
from identity.domain import profile

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)
EMPLOYER = {"id": "u1", "role": "employer", "email": "paul@example.com", "phone": "+33612345678"}
STAFF = {"id": "u2", "role": "school_staff", "function": "teacher", "email": "prof@ac-aix-marseille.fr",
         "school_uai": "0131884C", "phone": None}


def errors(fn, *a):
    with pytest.raises(ValidationError) as e:
        fn(*a)
    return e.value.errors


def test_fields_by_role():
    assert profile.validate_profile_changes({"first_name": " Paula ", "job_title": "Gérante"}, EMPLOYER) == \
        {"first_name": "Paula", "job_title": "Gérante"}
    assert profile.validate_profile_changes({"function": "cpe"}, STAFF) == {"function": "cpe"}
    e = errors(profile.validate_profile_changes, {"function": "head", "job_title": "x", "email": "a@b.fr"}, EMPLOYER)
    assert set(e) == {"function", "job_title", "email"}
    e = errors(profile.validate_profile_changes, {"job_title": "Prof", "function": "boss"}, STAFF)
    assert set(e) == {"job_title", "function"}
    assert "profile" in errors(profile.validate_profile_changes, {}, EMPLOYER)
    assert "last_name" in errors(profile.validate_profile_changes, {"last_name": "   "}, EMPLOYER)
    assert set(errors(profile.validate_profile_changes, {"first_name": "Léa", "job_title": "x"},
                      {"id": "p", "role": "pupil"})) == {"first_name", "job_title"}


def test_a_function_change_withdraws_the_confirmation_and_the_designated_head_hands_over_first():
    assert profile.function_change_effects(STAFF, "teacher", False) == {}
    assert profile.function_change_effects(STAFF, "head", False)["staff_confirmed_at"] is None
    with pytest.raises(Conflict):
        profile.function_change_effects({**STAFF, "function": "head"}, "teacher", True)


def test_new_identifiers_are_cleaned_and_checked():
    assert profile.clean_new_identifier("email", " Paula@Example.ORG ", EMPLOYER) == "paula@example.org"
    assert profile.clean_new_identifier("phone", "07 12 34 56 78", EMPLOYER) == "+33712345678"
    assert errors(profile.clean_new_identifier, "email", "PAUL@example.com", EMPLOYER) == \
        {"email": ["C'est déjà votre adresse e-mail."]}
    assert "phone" in errors(profile.clean_new_identifier, "phone", "06 12 34 56 78", EMPLOYER)
    assert "phone" in errors(profile.clean_new_identifier, "phone", "01 40 00 00 00", EMPLOYER)
    school = {"academie_name": "Aix-Marseille"}
    assert profile.clean_new_identifier("email", "p.r@ac-aix-marseille.fr", STAFF, school) == "p.r@ac-aix-marseille.fr"
    assert "email" in errors(profile.clean_new_identifier, "email", "prof@gmail.com", STAFF, school)


def test_a_link_and_a_code_are_single_use_timed_and_a_code_has_five_attempts():
    token = profile.new_secret("email")
    rec = {"kind": "email", "user_id": "u1", "secret_hash": profile.hash_secret("email", token),
           "expires_at": profile.expires_at("email", NOW), "used_at": None, "attempts": 0}
    assert profile.change_status(rec, "email", token, NOW) == profile.VALID
    assert profile.change_status(rec, "email", token, NOW + dt.timedelta(hours=24)) == profile.EXPIRED
    assert profile.change_status({**rec, "used_at": NOW}, "email", token, NOW) == profile.USED
    assert profile.change_status(rec, "phone", token, NOW) == profile.UNKNOWN
    assert profile.change_status(None, "email", token, NOW) == profile.UNKNOWN
    code = profile.new_secret("phone")
    assert len(code) == 6 and code.isdigit()
    rec = {"kind": "phone", "user_id": "u1", "secret_hash": profile.hash_secret("phone", code, "u1"),
           "expires_at": profile.expires_at("phone", NOW), "used_at": None, "attempts": 0}
    assert profile.hash_secret("phone", code, "u1") != profile.hash_secret("phone", code, "u2")
    assert profile.change_status(rec, "phone", code, NOW) == profile.VALID
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    assert profile.change_status(rec, "phone", wrong, NOW) == profile.WRONG
    assert profile.change_status({**rec, "attempts": 5}, "phone", code, NOW) == profile.LOCKED
    assert profile.change_status(rec, "phone", code, NOW + dt.timedelta(minutes=15)) == profile.EXPIRED
