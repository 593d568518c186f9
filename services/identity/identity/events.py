"""Events published by the identity service on the ``identity.events`` exchange.

Data carry identifiers only: services that must write to someone ask
``identity.get_contact(user_id)``."""

_UUID = {"type": "string", "format": "uuid"}
_UAI = {"type": ["string", "null"], "pattern": "^[0-9]{7}[A-Z]$"}
_ROLE = {"type": "string", "enum": ["employer", "operator", "school_staff", "pupil", "statistician", "admin"]}

EVENTS = {
    "user.registered": {
        "version": 1,
        "description": "An account was created (self-registration, invitation or demo seed), "
                       "not yet activated unless created active.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["user_id", "role", "school_uai"],
            "properties": {"user_id": _UUID, "role": _ROLE, "school_uai": _UAI,
                           "function": {"type": ["string", "null"]}},
        },
    },
    "user.activated": {
        "version": 1,
        "description": "An account was activated (e-mail link, invitation accepted or pupil activation code).",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["user_id", "role", "school_uai"],
            "properties": {"user_id": _UUID, "role": _ROLE, "school_uai": _UAI,
                           "grade": {"type": ["string", "null"]}},
        },
    },
    "pupil.imported": {
        "version": 1,
        "description": "A class list was imported into a school: the pupils created and updated.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["import_id", "school_uai", "created", "updated"],
            "properties": {"import_id": _UUID, "school_uai": _UAI,
                           "created": {"type": "array", "items": _UUID},
                           "updated": {"type": "array", "items": _UUID}},
        },
    },
    "user.anonymized": {
        "version": 1,
        "description": "The personal data of a user were erased (retention period over, or on request). "
                       "Services holding personal data about this user must erase them too.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["user_id", "role"],
            "properties": {"user_id": _UUID, "role": _ROLE, "school_uai": _UAI,
                           "reason": {"enum": ["inactivity", "request"],
                                      "description": "idle account, or the person deleted their account"}},
        },
    },
    "staff.confirmed": {
        "version": 1,
        "description": "A school-staff account was confirmed by someone accountable (an admin, a confirmed head "
                       "of the school, or by accepting a confirmed head's invitation): it may now act for its "
                       "school (docs/school-staff.md).",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["user_id", "school_uai", "function", "how", "confirmed_by"],
            "properties": {"user_id": _UUID, "school_uai": _UAI,
                           "function": {"type": "string", "enum": ["head", "teacher", "cpe", "admin_staff"]},
                           "how": {"type": "string", "enum": ["admin", "head", "invitation", "demo"]},
                           "confirmed_by": {"type": ["string", "null"], "format": "uuid"}},
        },
    },
    "school.head_designated": {
        "version": 1,
        "description": "A school's designated head changed (the first head an admin confirms, or an explicit "
                       "change by an admin or by the outgoing head). previous_user_id is null for the first one.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["school_uai", "user_id", "previous_user_id", "designated_by"],
            "properties": {"school_uai": _UAI, "user_id": _UUID,
                           "previous_user_id": {"type": ["string", "null"], "format": "uuid"},
                           "designated_by": {"type": ["string", "null"], "format": "uuid"}},
        },
    },
}
