"""Events published by the identity service on the ``identity.events`` exchange.

Data carry identifiers only: services that must write to someone ask
``identity.get_contact(user_id)``."""

_UUID = {"type": "string", "format": "uuid"}
_UAI = {"type": ["string", "null"], "pattern": "^[0-9]{7}[A-Z]$"}
_ROLE = {"type": "string", "enum": ["employer", "operator", "school_staff", "pupil", "statistician", "admin"]}

EVENTS = {
    "user.registered": {
        "version": 1,
        "description": "An account was created (self-registration, invitation, demo seed, or a first national "
                       "sign-in: ÉduConnect pupil, FIM staff, created active), not yet activated unless created "
                       "active.",
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
        "description": "A class list was imported into a school: the pupils created and updated. The national "
                       "register's imports publish it only when they create pupils (their activation codes are to "
                       "be printed); import_id is then the register import's id.",
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
                       "of the school, or by accepting a confirmed head's invitation), or a head signed in through "
                       "FIM (how: federation; once per school): it may now act for its school "
                       "(docs/school-staff.md).",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["user_id", "school_uai", "function", "how", "confirmed_by"],
            "properties": {"user_id": _UUID, "school_uai": _UAI,
                           "function": {"type": "string",
                                        "enum": ["head", "teacher", "cpe", "admin_staff", "other"]},
                           "how": {"type": "string", "enum": ["admin", "head", "invitation", "demo", "federation"]},
                           "confirmed_by": {"type": ["string", "null"], "format": "uuid"}},
        },
    },
    "school.head_designated": {
        "version": 1,
        "description": "A school's designated head changed (the first head an admin confirms, an explicit "
                       "change by an admin or by the outgoing head, or a head (DIR) of the school signing in "
                       "through FIM: designated_by null). previous_user_id is null for the first one.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["school_uai", "user_id", "previous_user_id", "designated_by"],
            "properties": {"school_uai": _UAI, "user_id": _UUID,
                           "previous_user_id": {"type": ["string", "null"], "format": "uuid"},
                           "designated_by": {"type": ["string", "null"], "format": "uuid"}},
        },
    },
    "pupil.school_changed": {
        "version": 1,
        "description": "A pupil changed school: the national register's import of the new school moved them there "
                     "(the old school no longer lists them; agreements keep the school of their time).",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["pupil_id", "previous_school_uai", "school_uai", "run_id"],
            "properties": {"pupil_id": _UUID, "previous_school_uai": _UAI, "school_uai": _UAI, "run_id": _UUID},
        },
    },
    "school.internship_weeks_declared": {
        "version": 1,
        "description": "A collège declared (or changed) the weeks during which its 3e pupils do their internship; "
                       "its 3e pupils may apply only on those weeks (an empty list: no restriction).",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["uai", "weeks"],
            "properties": {"uai": _UAI, "weeks": {"type": "array", "items": {"type": "string",
                                                                              "pattern": "^[0-9]{4}-W[0-9]{2}$"}}},
        },
    },
    "user.locked": {
        "version": 1,
        "description": "An admin locked an account: it can neither log in nor renew a session, and its sessions "
                       "were ended (the reason is in identity's administration journal, never in the event).",
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["user_id"],
                        "properties": {"user_id": _UUID}},
    },
    "user.unlocked": {
        "version": 1,
        "description": "An admin unlocked an account: it got back the status it had before being locked.",
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["user_id"],
                        "properties": {"user_id": _UUID}},
    },
    "school.created": {
        "version": 1,
        "description": "An admin created a school missing from the ministry's directory (a new lycée).",
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["uai"],
                        "properties": {"uai": {"type": "string", "pattern": "^[0-9]{7}[A-Z]$"}}},
    },
    "school.updated": {
        "version": 1,
        "description": "An admin corrected a school (name, address, commune, REP / REP+ / QPV flags...): "
                       "services keeping a copy of school data read it again (identity.get_school).",
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["uai"],
                        "properties": {"uai": {"type": "string", "pattern": "^[0-9]{7}[A-Z]$"}}},
    },
    "user.email_changed": {
        "version": 1,
        "description": "An account's e-mail address changed, once confirmed from the new address (the old one "
                       "was told).",
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["user_id"],
                        "properties": {"user_id": _UUID}},
    },
    "user.phone_changed": {
        "version": 1,
        "description": "An account's mobile number changed, once confirmed with the code sent to the new number "
                       "(the old one was told).",
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["user_id"],
                        "properties": {"user_id": _UUID}},
    },
    "space.member_joined": {
        "version": 1,
        "description": "An employer joined an employer space by invitation (it became their current space).",
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["space_id", "user_id"],
                        "properties": {"space_id": _UUID, "user_id": _UUID}},
    },
    "space.member_left": {
        "version": 1,
        "description": "A member left an employer space, or its owner removed them.",
        "data_schema": {"type": "object", "additionalProperties": False, "required": ["space_id", "user_id"],
                        "properties": {"space_id": _UUID, "user_id": _UUID}},
    },
}
