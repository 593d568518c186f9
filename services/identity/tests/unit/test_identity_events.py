import uuid

import jsonschema

from identity.events import EVENTS


def test_catalogue():
    assert set(EVENTS) == {"user.registered", "user.activated", "pupil.imported", "user.anonymized",
                           "staff.confirmed", "school.head_designated", "pupil.school_changed",
                           "school.internship_weeks_declared", "user.locked", "user.unlocked",
                           "school.created", "school.updated", "user.email_changed", "user.phone_changed",
                           "space.member_joined", "space.member_left"}
    for name, spec in EVENTS.items():
        assert spec["version"] == 1 and spec["description"]
        jsonschema.Draft202012Validator.check_schema(spec["data_schema"])


def test_payloads_carry_identifiers_only():
    uid = str(uuid.uuid4())
    v = jsonschema.Draft202012Validator(EVENTS["user.registered"]["data_schema"])
    v.validate({"user_id": uid, "role": "employer", "school_uai": None, "function": None})
    assert not v.is_valid({"user_id": uid, "role": "employer", "school_uai": None, "email": "a@b.fr"})
    jsonschema.validate({"import_id": uid, "school_uai": "0130001A", "created": [uid], "updated": []},
                        EVENTS["pupil.imported"]["data_schema"])
    jsonschema.validate({"pupil_id": uid, "previous_school_uai": "0130001A", "school_uai": "0130007M", "run_id": uid},
                        EVENTS["pupil.school_changed"]["data_schema"])
    jsonschema.validate({"uai": "0130007M", "weeks": ["2027-W03"]},
                        EVENTS["school.internship_weeks_declared"]["data_schema"])
