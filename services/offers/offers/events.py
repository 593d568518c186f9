"""Events published by the offers service on the ``offers.events`` exchange.

Data carry identifiers (and non-personal facts useful for routing: state,
seats left); consumers that need more call ``offers.get_offer(offer_id)``."""

_UUID = {"type": "string", "format": "uuid"}
_UUID_OR_NULL = {"type": ["string", "null"], "format": "uuid"}
_STATE = {"type": "string", "enum": ["draft", "published", "unpublished", "need_to_be_updated", "removed"]}
_MOMENT = {"type": ["string", "null"], "format": "date-time"}
_OPENING = {"type": "object", "additionalProperties": False, "required": ["publish_from", "browse_from", "apply_from"],
            "properties": {"publish_from": _MOMENT, "browse_from": _MOMENT, "apply_from": _MOMENT}}
_REPORT_REASON = {"type": "string", "enum": ["not_observation", "disguised_work", "discriminatory",
                                          "dangerous_for_minor", "other"]}
_GRADES = {"type": "array", "items": {"type": "string", "enum": ["quatrieme", "troisieme", "seconde"]}}

EVENTS = {
    "offer.published": {
        "version": 1,
        "description": "An offer became visible in the search: first publication, republication, a partner "
                       "offer pushed, or a full offer that got a seat back (republished=true). An offer for "
                       "both collège and lycée is split on publication: one event per offer, each naming "
                       "the other in linked_offer_id.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["offer_id", "employer_id", "operator_id", "linked_offer_id", "grades", "school_year",
                         "seats_left", "is_partner", "republished"],
            "properties": {"offer_id": _UUID, "employer_id": _UUID_OR_NULL, "operator_id": _UUID_OR_NULL,
                           "linked_offer_id": _UUID_OR_NULL, "grades": _GRADES,
                           "school_year": {"type": "string"}, "seats_left": {"type": "integer"},
                           "is_partner": {"type": "boolean"}, "republished": {"type": "boolean"}},
        },
    },
    "offer.updated": {
        "version": 1,
        "description": "A live (non-draft) offer was changed by its employer or operator; fields lists the "
                       "changed top-level fields (e.g. seats, weeks, hours).",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["offer_id", "state", "fields", "seats_left"],
            "properties": {"offer_id": _UUID, "state": _STATE,
                           "fields": {"type": "array", "items": {"type": "string"}},
                           "seats_left": {"type": "integer"}},
        },
    },
    "offer.unpublished": {
        "version": 1,
        "description": "An offer left the search: unpublished by its employer (reason employer, state "
                       "unpublished), by the daily timer because all its weeks are past (reason weeks_past, "
                       "state need_to_be_updated), or by an admin who asked for changes (reason moderation, "
                       "state unpublished; see offer.moderated).",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["offer_id", "state", "reason"],
            "properties": {"offer_id": _UUID, "state": _STATE,
                           "reason": {"type": "string", "enum": ["employer", "weeks_past", "moderation"]}},
        },
    },
    "offer.full": {
        "version": 1,
        "description": "The last seat of an offer was reserved: it left the search (state need_to_be_updated) "
                       "until a seat is released or the employer adds seats.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["offer_id", "seats"],
            "properties": {"offer_id": _UUID, "seats": {"type": "integer"}},
        },
    },
    "offer.removed": {
        "version": 1,
        "description": "An offer was removed by its employer, an admin or its operator (kept, hidden).",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["offer_id"],
            "properties": {"offer_id": _UUID},
        },
    },
    "calendar.changed": {
        "version": 1,
        "description": "An admin set the opening calendar of a school year: per grade, from when employers may "
                       "publish, pupils may browse and pupils may apply (ISO datetimes, UTC; null: no "
                       "restriction). The whole year's calendar, not only what changed.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["school_year", "grades"],
            "properties": {
                "school_year": {"type": "string", "pattern": "^\\d{4}-\\d{4}$"},
                "grades": {"type": "object", "additionalProperties": False,
                           "properties": {g: _OPENING for g in ("quatrieme", "troisieme", "seconde")}}},
        },
    },
    "offer.reported": {
        "version": 1,
        "description": "Someone reported an offer (one open report per person). open_reports counts the distinct "
                       "people with an open report; hidden tells whether the offer is held out of the search until "
                       "an admin reviews it (from 2 reporters). Never the reporter's identity or text.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["offer_id", "reason", "open_reports", "hidden"],
            "properties": {"offer_id": _UUID, "reason": _REPORT_REASON, "open_reports": {"type": "integer"},
                           "hidden": {"type": "boolean"}},
        },
    },
    "offer.moderated": {
        "version": 1,
        "description": "An admin decided on an offer: keep (reports closed, visible again), request_changes "
                       "(unpublished until its employer changes it; offer.unpublished reason moderation) or remove "
                       "(offer.removed follows). report_counts: the open reports closed, by reason. The decision's "
                       "reason (free text) is read with offers.get_offer (moderation), never carried here.",
        "data_schema": {
            "type": "object", "additionalProperties": False,
            "required": ["offer_id", "moderation_id", "decision", "report_counts", "reports"],
            "properties": {"offer_id": _UUID, "moderation_id": _UUID,
                           "decision": {"type": "string", "enum": ["keep", "request_changes", "remove"]},
                           "report_counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                           "reports": {"type": "integer"}},
        },
    },
}
