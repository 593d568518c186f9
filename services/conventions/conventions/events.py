"""Events published by the conventions service on the topic exchange ``conventions.events``.

Data carries identifiers only (no personal data): consumers ask ``conventions.get`` for more.
"""

_UUID = {"type": "string", "format": "uuid"}
_IDS = {"convention_id": _UUID, "application_id": _UUID}
_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def _schema(required: list, properties: dict) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "required": required, "additionalProperties": False, "properties": properties}


EVENTS = {
    "convention.created": {
        "version": 1,
        "description": "A convention was created (once) for a confirmed application, pre-filled from identity, "
                       "offers and applications. The employer can now fill it.",
        "data_schema": _schema(
            ["convention_id", "application_id", "offer_id", "school_uai", "pupil_user_id", "employer_user_id"],
            {**_IDS, "offer_id": _UUID, "organisation_id": {"type": ["string", "null"]},
             "school_uai": {"type": "string"}, "pupil_user_id": _UUID, "employer_user_id": _UUID,
             "grade": {"type": "string", "enum": ["quatrieme", "troisieme", "seconde"]},
             "weeks": {"type": "array", "items": {"type": "string", "pattern": "^\\d{4}-W\\d{2}$"}}}),
    },
    "convention.completed_by_employer": {
        "version": 1,
        "description": "The employer completed its part; the school can now fill and validate it.",
        "data_schema": _schema(["convention_id", "application_id"], dict(_IDS)),
    },
    "convention.validated": {
        "version": 1,
        "description": "The school validated the convention: its content is frozen (SHA-256 fingerprint "
                       "`document_hash`) and the four signatures are open. Links were sent to the legal "
                       "representatives.",
        "data_schema": _schema(["convention_id", "application_id", "document_hash"],
                               {**_IDS, "document_hash": _SHA256}),
    },
    "convention.reopened": {
        "version": 1,
        "description": "The school reopened a validated convention before every party signed; signatures "
                       "already given were discarded. `to` says who edits next (school or employer).",
        "data_schema": _schema(["convention_id", "application_id", "to", "discarded_signatures"],
                               {**_IDS, "to": {"type": "string", "enum": ["school", "employer"]},
                                "discarded_signatures": {"type": "integer", "minimum": 0}}),
    },
    "convention.signed": {
        "version": 1,
        "description": "One party signed (`role`: employer, head_of_school, pupil or legal_representative).",
        "data_schema": _schema(["convention_id", "application_id", "role", "signature_id"],
                               {**_IDS, "role": {"type": "string", "enum": ["employer", "head_of_school", "pupil",
                                                                             "legal_representative"]},
                                "signature_id": _UUID}),
    },
    "convention.signed_by_all": {
        "version": 1,
        "description": "The fourth signature was given: the sealed PDF is final.",
        "data_schema": _schema(["convention_id", "application_id", "document_hash"],
                               {**_IDS, "document_hash": _SHA256}),
    },
    "convention.cancelled": {
        "version": 1,
        "description": "The convention was cancelled because its application was cancelled; links expire.",
        "data_schema": _schema(["convention_id", "application_id"],
                               {**_IDS, "reason": {"type": ["string", "null"]}}),
    },
}
