import copy

import pytest
from common.errors import Conflict, Forbidden, NotFound, ValidationError

from conventions.domain import convention as C
from conventions.domain import representative as R
from conventions.domain import states as S
from testkit.conventions import EMPLOYER_FIELDS, NOW, SCHOOL_FIELDS, actors, sample_convention


def fresh():
    conv = sample_convention(filled=False)
    return conv, actors(conv)


def fill_employer(conv, a):
    C.update(conv, a["employer"], copy.deepcopy(EMPLOYER_FIELDS), NOW)
    return C.complete(conv, a["employer"], NOW)


def fill_school(conv, a):
    C.update(conv, a["teacher"], copy.deepcopy(SCHOOL_FIELDS), NOW)
    return C.complete(conv, a["teacher"], NOW)


def test_happy_path_states_and_events():
    conv, a = fresh()
    assert conv.state == S.DRAFT
    assert C.update(conv, a["employer"], {"activities": "Découverte de l'atelier"}, NOW) == []
    assert conv.state == S.STARTED_BY_EMPLOYER
    C.update(conv, a["employer"], copy.deepcopy(EMPLOYER_FIELDS), NOW)
    events = C.complete(conv, a["employer"], NOW)
    assert conv.state == S.COMPLETED_BY_EMPLOYER and conv.employer_completed_at == NOW
    assert events == [("convention.completed_by_employer", {"convention_id": conv.id,
                                                            "application_id": conv.application_id})]
    C.update(conv, a["teacher"], {"pupil_address": "12 rue des Lilas, 75020 Paris"}, NOW)
    assert conv.state == S.STARTED_BY_SCHOOL
    fill_school(conv, a)
    events = C.validate(conv, a["head"], NOW)
    assert conv.state == S.VALIDATED
    assert conv.document_hash == conv.current_hash() and len(conv.document_hash) == 64
    assert events == [("convention.validated", {**conv.ids(), "document_hash": conv.document_hash})]
    assert conv.frozen["employer"]["tutor"]["name"] == "Karim Benali"


def test_school_can_fill_before_the_employer_has_completed():
    conv, a = fresh()
    C.update(conv, a["teacher"], copy.deepcopy(SCHOOL_FIELDS), NOW)
    assert conv.state == S.DRAFT
    C.complete(conv, a["teacher"], NOW)
    with pytest.raises(Conflict) as e:
        C.validate(conv, a["head"], NOW)
    assert e.value.code == "employer_not_completed"
    fill_employer(conv, a)
    C.validate(conv, a["head"], NOW)
    assert conv.state == S.VALIDATED


def test_employer_cannot_write_school_fields():
    conv, a = fresh()
    with pytest.raises(Forbidden) as e:
        C.update(conv, a["employer"], {"activities": "Observer l'atelier", "legal_representatives": []}, NOW)
    assert e.value.code == "field_not_owned"
    assert set(e.value.errors) == {"legal_representatives"}
    assert conv.employer == {} and conv.school == {} and conv.state == S.DRAFT  # nothing written


def test_school_cannot_write_employer_fields():
    conv, a = fresh()
    with pytest.raises(Forbidden) as e:
        C.update(conv, a["head"], {"tutor": {"name": "Quelqu'un"}}, NOW)
    assert set(e.value.errors) == {"tutor"}


def test_unknown_field_and_invalid_draft_value():
    conv, a = fresh()
    with pytest.raises(ValidationError) as e:
        C.update(conv, a["employer"], {"salary": 1000}, NOW)
    assert e.value.errors == {"salary": ["Champ inconnu."]}
    with pytest.raises(ValidationError) as e:
        C.update(conv, a["employer"], {"tutor": {"email": "x"}}, NOW)
    assert e.value.errors == {"tutor.email": ["Adresse e-mail invalide."]}


def test_completion_lists_every_error():
    conv, a = fresh()
    C.update(conv, a["employer"], {"activities": "Découverte de l'atelier"}, NOW)
    with pytest.raises(ValidationError) as e:
        C.complete(conv, a["employer"], NOW)
    assert set(e.value.errors) == {"representative", "tutor", "hours", "lunch_break"}
    assert conv.state == S.STARTED_BY_EMPLOYER


def test_employer_edit_after_completion_requires_completing_again():
    conv, a = fresh()
    fill_employer(conv, a)
    C.update(conv, a["employer"], {"lunch_break": "Cantine de l'entreprise"}, NOW)
    assert conv.state == S.STARTED_BY_EMPLOYER and conv.employer_completed_at is None
    C.complete(conv, a["employer"], NOW)
    C.update(conv, a["teacher"], {"pupil_phone": "06 00 00 00 01"}, NOW)
    assert conv.state == S.STARTED_BY_SCHOOL
    with pytest.raises(Conflict) as e:
        C.update(conv, a["employer"], {"lunch_break": "Autre chose"}, NOW)
    assert e.value.code == "convention_locked"


def test_only_head_or_admin_staff_validates_and_everything_is_checked():
    conv, a = fresh()
    fill_employer(conv, a)
    with pytest.raises(Forbidden):
        C.validate(conv, a["teacher"], NOW)
    with pytest.raises(ValidationError) as e:
        C.validate(conv, a["head"], NOW)  # school fields missing
    assert "legal_representatives" in e.value.errors
    fill_school(conv, a)
    C.validate(conv, a["head"], NOW)
    with pytest.raises(Conflict):
        C.validate(conv, a["head"], NOW)


def test_frozen_after_validation():
    conv, a = fresh()
    fill_employer(conv, a)
    fill_school(conv, a)
    C.validate(conv, a["head"], NOW)
    for who, field in (("employer", {"lunch_break": "Cantine"}), ("teacher", {"pupil_phone": "06 00 00 00 01"})):
        with pytest.raises(Conflict) as e:
            C.update(conv, a[who], field, NOW)
        assert e.value.code == "convention_frozen"


def test_reopen_discards_signatures_and_unfreezes():
    conv, a = fresh()
    fill_employer(conv, a)
    fill_school(conv, a)
    C.validate(conv, a["head"], NOW)
    signer = C.signer_for_actor(conv, a["pupil"], C.PUPIL_ROLE)
    C.sign(conv, role=C.PUPIL_ROLE, signer=signer, document_hash=conv.document_hash, now=NOW, method="session")
    assert conv.state == S.SIGNATURES_STARTED
    with pytest.raises(Forbidden):
        C.reopen(conv, a["teacher"], NOW)
    events = C.reopen(conv, a["head"], NOW)
    assert events == [("convention.reopened", {**conv.ids(), "to": "school", "discarded_signatures": 1})]
    assert conv.state == S.STARTED_BY_SCHOOL and conv.signatures == [] and conv.document_hash is None
    C.update(conv, a["teacher"], {"pupil_phone": "06 00 00 00 01"}, NOW)  # editable again
    C.validate(conv, a["head"], NOW)
    C.reopen(conv, a["head"], NOW, to="employer")
    assert conv.state == S.STARTED_BY_EMPLOYER
    C.update(conv, a["employer"], {"lunch_break": "Cantine de l'entreprise"}, NOW)


def test_reopen_refused_before_validation_and_after_all_signed():
    conv, a = fresh()
    with pytest.raises(Conflict):
        C.reopen(conv, a["head"], NOW)


def test_cancel_is_idempotent_and_blocks_everything():
    conv, a = fresh()
    events = C.cancel(conv, NOW, "application_cancelled")
    assert events == [("convention.cancelled", {**conv.ids(), "reason": "application_cancelled"})]
    assert C.cancel(conv, NOW) == []
    assert conv.state == S.CANCELLED
    with pytest.raises(Conflict):
        C.update(conv, a["employer"], {"lunch_break": "Cantine"}, NOW)


def test_visibility():
    conv, a = fresh()
    assert C.check_can_view(conv, a["employer"]) == "employer"
    assert C.check_can_view(conv, a["teacher"]) == "school"
    assert C.check_can_view(conv, a["pupil"]) == "pupil"
    assert C.check_can_view(conv, a["admin"]) == "admin"
    for who in ("other_employer", "other_school", "other_pupil", "statistician"):
        with pytest.raises(NotFound):
            C.check_can_view(conv, a[who])
    with pytest.raises(NotFound):
        C.update(conv, a["other_employer"], {"lunch_break": "Cantine"}, NOW)
    with pytest.raises(Forbidden):
        C.update(conv, a["pupil"], {"pupil_phone": "06 00 00 00 01"}, NOW)


def test_content_hash_changes_with_any_field():
    conv, a = fresh()
    fill_employer(conv, a)
    h = conv.current_hash()
    conv.employer["activities"] += "."
    assert conv.current_hash() != h
    conv.employer["activities"] = conv.employer["activities"][:-1]
    assert conv.current_hash() == h


# -- issue 13 items 1 and 3: who is printed for the school, and no placeholder in a validated document ------------

def ready():
    conv, a = fresh()
    fill_employer(conv, a)
    fill_school(conv, a)
    return conv, a


def test_the_validating_head_is_printed_as_the_school_representative():
    from testkit.conventions import account
    conv, a = ready()
    assert conv.prefill["school"]["head_name"] == "Marie Lambert"  # pre-filled: another head of the school
    rep = R.choose_representative(a["head"], account(a["head"], "Luc Martin"), None)
    assert rep == {"user_id": a["head"]["user_id"], "name": "Luc Martin"}
    C.validate(conv, a["head"], NOW, representative=rep)
    assert conv.frozen["prefill"]["school"]["head_name"] == "Luc Martin"
    assert conv.frozen["prefill"]["school"]["head_user_id"] == a["head"]["user_id"]


def test_representative_when_administration_validates():
    admin_staff = {"user_id": "u-admin", "role": "school_staff", "function": "admin_staff", "school_uai": "0751234A"}
    h1 = {"user_id": "u1", "function": "head", "first_name": "Marie", "last_name": "Lambert"}
    h2 = {"user_id": "u2", "function": "head", "first_name": "Luc", "last_name": "Martin"}
    assert R.choose_representative(admin_staff, None, [h1]) == {"user_id": "u1", "name": "Marie Lambert"}
    assert R.choose_representative(admin_staff, None, [h1, h2]) is None  # nobody guessed
    assert R.choose_representative(admin_staff, None, [h1, h2], designated=h2) == {"user_id": "u2",
                                                                                   "name": "Luc Martin"}
    # a head whose account identity does not know: not printed
    assert R.choose_representative({**admin_staff, "function": "head"}, None, [h1]) is None
    conv, a = ready()
    with pytest.raises(ValidationError) as e:
        C.validate(conv, {**a["head"], "function": "admin_staff"}, NOW, representative=None)
    assert "chef d'établissement" in e.value.errors["school.head_name"][0]
    assert conv.state != S.VALIDATED


def test_validation_refuses_a_placeholder_and_the_school_corrects_its_address():
    conv, a = ready()
    conv.prefill["school"].update(address=None, address_complement=None)
    with pytest.raises(ValidationError) as e:
        C.validate(conv, a["head"], NOW)
    assert list(e.value.errors) == ["school_address.street"]
    assert e.value.errors["school_address.street"][0].startswith("Adresse de l'établissement à compléter")
    with pytest.raises(ValidationError) as e:  # the correction is checked field by field
        C.update(conv, a["teacher"], {"school_address": {"street": "5", "postal_code": "7502", "city": ""}}, NOW)
    assert set(e.value.errors) == {"school_address.street", "school_address.postal_code", "school_address.city"}
    C.update(conv, a["teacher"], {"school_address": {"street": "5 avenue Gambetta", "complement": "BP 12",
                                                     "postal_code": "75020", "city": "PARIS"}}, NOW)
    C.validate(conv, a["head"], NOW)
    from conventions.domain import printed
    assert printed.school(conv.frozen)["address"] == "5 avenue Gambetta"
    assert printed.school(conv.frozen)["address_complement"] == "BP 12"
    # every other pre-filled value the document prints is checked too, and named
    conv, a = ready()
    conv.prefill["organisation"]["head_office_address"] = ""
    conv.prefill["pupil"]["birth_date"] = None
    with pytest.raises(ValidationError) as e:
        C.validate(conv, a["head"], NOW)
    assert set(e.value.errors) == {"organisation.head_office_address", "pupil.birth_date"}
