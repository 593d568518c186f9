import copy

from conventions.domain.fields import check_ownership, normalize_any_phone, owner_of, validate_party
from testkit.conventions import EMPLOYER_FIELDS, NOW, SCHOOL_FIELDS


def test_complete_sample_fields_are_valid():
    assert validate_party("employer", EMPLOYER_FIELDS, NOW, complete=True) == {}
    assert validate_party("school", SCHOOL_FIELDS, NOW, complete=True) == {}


def test_completion_lists_every_missing_field_in_french():
    errors = validate_party("employer", {}, NOW, complete=True)
    assert set(errors) == {"representative", "tutor", "activities", "hours", "lunch_break"}
    errors = validate_party("school", {}, NOW, complete=True)
    assert set(errors) == {"school_representative", "pupil_address", "pupil_phone", "referent_teacher",
                           "legal_representatives", "pai", "board_deliberation_date"}
    assert errors["legal_representatives"] == ["Indiquez au moins un représentant légal."]


def test_draft_checks_only_what_is_given():
    assert validate_party("employer", {"activities": "Observer l'atelier"}, NOW, complete=False) == {}
    errors = validate_party("employer", {"tutor": {"email": "pas-un-email"}}, NOW, complete=False)
    assert errors == {"tutor.email": ["Adresse e-mail invalide."]}


def test_representative_name_and_function_lengths():
    fields = copy.deepcopy(EMPLOYER_FIELDS)
    fields["representative"] = {"name": "Abc", "function": "PD"}
    errors = validate_party("employer", fields, NOW, complete=True)
    assert errors["representative.name"] == ["Ce champ doit contenir au moins 5 caractères."]
    assert errors["representative.function"] == ["Ce champ doit contenir au moins 3 caractères."]
    fields["representative"] = {"name": "x" * 101, "function": "y" * 151}
    errors = validate_party("employer", fields, NOW, complete=True)
    assert errors["representative.name"] == ["Ce champ doit contenir au plus 100 caractères."]
    assert errors["representative.function"] == ["Ce champ doit contenir au plus 150 caractères."]


def test_tutor_and_activities():
    fields = copy.deepcopy(EMPLOYER_FIELDS)
    fields["tutor"] = {"name": "Karim Benali", "function": "Tech", "email": "karim@", "phone": "12345",
                       "age": 40}
    fields["activities"] = "a" * 1501
    errors = validate_party("employer", fields, NOW, complete=True)
    assert errors["tutor.email"] == ["Adresse e-mail invalide."]
    assert errors["tutor.phone"][0].startswith("Numéro de téléphone invalide")
    assert errors["tutor.age"] == ["Champ inconnu."]
    assert errors["activities"] == ["Ce champ doit contenir au plus 1500 caractères."]


def test_hours_errors_are_reported_with_the_employer_fields():
    fields = copy.deepcopy(EMPLOYER_FIELDS)
    fields["hours"] = {"mode": "same", "same": {"start": "08:00", "end": "18:00"}}
    errors = validate_party("employer", fields, NOW, complete=True)
    assert any("7 h par jour" in m for m in errors["hours.same"])


def test_phones_landline_mobile_overseas():
    assert normalize_any_phone("01 40 00 00 00") == "+33140000000"
    assert normalize_any_phone("+33 6 12 34 56 78") == "+33612345678"
    assert normalize_any_phone("+262 692 12 34 56") == "+262692123456"
    assert normalize_any_phone("00 00") is None


def test_legal_representatives_one_or_two_each_complete():
    fields = copy.deepcopy(SCHOOL_FIELDS)
    fields["legal_representatives"] = fields["legal_representatives"][:1]
    assert validate_party("school", fields, NOW, complete=True) == {}
    fields["legal_representatives"] = fields["legal_representatives"] * 3
    assert validate_party("school", fields, NOW, complete=True)["legal_representatives"] == [
        "Indiquez un ou deux représentants légaux, pas davantage."]
    fields["legal_representatives"] = [{"name": "Nadia Haddad", "email": "n@example.org", "phone": "06 55 44 33 22"},
                                       {"name": "Youssef", "email": "N@example.org"}]
    errors = validate_party("school", fields, NOW, complete=False)
    assert errors["legal_representatives.1.phone"] == ["Ce champ est obligatoire."]
    assert "différentes" in errors["legal_representatives.1.email"][0]


def test_pai_requires_who_brings_the_emergency_kit():
    fields = copy.deepcopy(SCHOOL_FIELDS)
    fields["pai"] = True
    errors = validate_party("school", fields, NOW, complete=True)
    assert errors == {"emergency_kit_by": ["Avec un PAI, indiquez qui apporte la trousse d'urgence."]}
    fields["emergency_kit_by"] = "pupil"
    assert validate_party("school", fields, NOW, complete=True) == {}
    fields["emergency_kit_by"] = "nobody"
    assert "emergency_kit_by" in validate_party("school", fields, NOW, complete=True)
    fields["pai"] = "oui"
    assert validate_party("school", fields, NOW, complete=True)["pai"] == ["Répondez par oui ou par non."]


def test_board_deliberation_date():
    fields = copy.deepcopy(SCHOOL_FIELDS)
    fields["board_deliberation_date"] = "2026-12-01"  # after NOW
    assert validate_party("school", fields, NOW, complete=True)["board_deliberation_date"] == [
        "La délibération ne peut pas être dans le futur."]
    fields["board_deliberation_date"] = "15/09/2026"
    assert validate_party("school", fields, NOW, complete=True)["board_deliberation_date"] == [
        "Date invalide (format AAAA-MM-JJ)."]


def test_ownership_split():
    assert owner_of("tutor") == "employer" and owner_of("legal_representatives") == "school"
    foreign, unknown = check_ownership("employer", {"tutor": {}, "pupil_address": "x", "salary": 3})
    assert set(foreign) == {"pupil_address"} and "l'établissement scolaire" in foreign["pupil_address"][0]
    assert unknown == {"salary": ["Champ inconnu."]}
    foreign, _ = check_ownership("school", {"activities": "x"})
    assert "l'organisme d'accueil" in foreign["activities"][0]
