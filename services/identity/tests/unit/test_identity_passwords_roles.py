import pytest

from common.errors import Forbidden
from identity.domain import passwords, roles


def test_good_password_passes():
    assert passwords.check_password("Correct-Horse-42") is None
    assert passwords.password_problems("Abcdefghij1!") == []


def test_error_lists_everything_missing_in_french():
    msg = passwords.check_password("abc")
    assert msg.startswith("Le mot de passe doit contenir")
    for part in ("au moins 12 caractères", "une lettre majuscule", "un chiffre", "un caractère spécial"):
        assert part in msg
    assert "minuscule" not in msg


@pytest.mark.parametrize("pw,missing", [
    ("abcdefghijk1!", "une lettre majuscule"),
    ("ABCDEFGHIJK1!", "une lettre minuscule"),
    ("Abcdefghijkl!", "un chiffre"),
    ("Abcdefghijkl1", "un caractère spécial"),
    ("Abc1!", "au moins 12 caractères"),
])
def test_each_rule(pw, missing):
    problems = passwords.password_problems(pw)
    assert len([p for p in problems if p.startswith(missing)]) == 1
    assert len(problems) == 1


def test_length_bounds():
    base = "Aa1!"
    assert passwords.check_password(base + "x" * 8) is None          # 12
    assert passwords.check_password(base + "x" * 7) is not None      # 11
    assert passwords.check_password(base + "x" * 124) is None        # 128
    assert "au plus 128" in passwords.check_password(base + "x" * 125)


def test_missing_password():
    assert "obligatoire" in passwords.check_password(None)
    assert "obligatoire" in passwords.check_password("")


def test_argon2id_hash_and_verify():
    h = passwords.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    digest = h.hash("Correct-Horse-42")
    assert digest.startswith("$argon2id$")
    assert "Correct-Horse-42" not in digest
    assert h.verify(digest, "Correct-Horse-42")
    assert not h.verify(digest, "Correct-Horse-43")
    assert not h.verify(None, "x")
    assert not h.verify("not-a-hash", "x")
    assert h.hash("same") != h.hash("same")   # salted
    h.dummy_verify("anything")


def test_needs_rehash_when_parameters_grow():
    weak = passwords.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    strong = passwords.PasswordHasher(time_cost=2, memory_cost=8192, parallelism=1)
    digest = weak.hash("Correct-Horse-42")
    assert strong.needs_rehash(digest)
    assert not weak.needs_rehash(digest)
    assert strong.verify(digest, "Correct-Horse-42")


def test_default_parameters_are_argon2id_at_owasps_setting():
    h = passwords.PasswordHasher()
    assert (h._h.memory_cost, h._h.time_cost, h._h.parallelism) == (19456, 2, 1)
    assert h._h.type.name == "ID"
    # a hash of the former, costlier setting is upgraded at the next login
    assert h.needs_rehash(passwords.PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4).hash("x"))


def test_roles_and_functions():
    assert set(roles.ROLES) == {"employer", "operator", "school_staff", "pupil", "statistician", "admin"}
    assert set(roles.STAFF_FUNCTIONS) == {"head", "teacher", "cpe", "admin_staff"}
    assert roles.GRADES == ("quatrieme", "troisieme", "seconde")
    assert roles.grade_allowed_in("troisieme", "college")
    assert not roles.grade_allowed_in("seconde", "college")
    assert roles.grade_allowed_in("seconde", "lycee")


def staff(uai, function="teacher"):
    return {"user_id": "u", "role": "school_staff", "function": function, "school_uai": uai}


def test_staff_of_school_only():
    roles.require_staff_of(staff("0130001A"), "0130001A")
    roles.require_staff_of({"role": "admin"}, "0130001A")
    with pytest.raises(Forbidden):
        roles.require_staff_of(staff("0130002B"), "0130001A")
    with pytest.raises(Forbidden):
        roles.require_staff_of({"role": "pupil", "school_uai": "0130001A"}, "0130001A")
    with pytest.raises(Forbidden):
        roles.require_staff_of(None, "0130001A")


def test_only_head_and_admin_staff_invite():
    roles.require_can_invite(staff("X", "head"), "X")
    roles.require_can_invite(staff("X", "admin_staff"), "X")
    with pytest.raises(Forbidden):
        roles.require_can_invite(staff("X", "teacher"), "X")
    with pytest.raises(Forbidden):
        roles.require_can_invite(staff("Y", "head"), "X")
    with pytest.raises(Forbidden):
        roles.require_admin(staff("X", "head"))
    roles.require_admin({"role": "admin"})
