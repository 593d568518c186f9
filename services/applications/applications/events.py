"""Events published by the applications service on the ``applications.events`` exchange.

Data carry identifiers only (never the motivation, a name or a contact): services that must write to
someone ask identity. ``state`` is the application's new state (it tells the three cancellations and
the two expiries apart).

Deadlines travel with the events, so that no other service re-derives them (their one home is
``domain/deadlines.py``): every event carries ``expires_at``, the deadline of the application's new state
(the employer's answer deadline while it waits for the employer, the pupil's confirmation deadline once
accepted, null for a settled state); ``application.accepted`` repeats it as ``accept_expires_at``. The
notifications service plans its reminders from them. ``views.event_data`` builds every event's data, except
the timer's ``application.expired``, built in SQL by ``repository.EXPIRE_SQL`` (``EXPIRED_DATA_SQL``; a test
checks both give the same data).
"""

_ID = {"type": "string", "minLength": 1, "maxLength": 36}
_UAI = {"type": ["string", "null"]}
_DT = {"type": ["string", "null"], "format": "date-time"}
_STATE = {"type": "string", "enum": [
    "submitted", "read_by_employer", "transferred", "accepted_by_employer", "confirmed", "rejected",
    "cancelled_by_employer", "cancelled_by_pupil", "cancelled_after_other_confirmed", "restored", "expired",
    "expired_by_pupil"]}

_BASE = {
    "application_id": _ID, "offer_id": _ID, "pupil_id": _ID, "employer_id": _ID, "school_uai": _UAI,
    "weeks": {"type": "array", "items": {"type": "string", "pattern": r"^\d{4}-W\d{2}$"}},
    "state": _STATE, "from_state": {"type": ["string", "null"]}, "expires_at": _DT,
}
_REQUIRED = ["application_id", "offer_id", "pupil_id", "employer_id", "school_uai", "weeks", "state",
             "from_state", "expires_at"]


def _schema(**extra) -> dict:
    return {"type": "object", "additionalProperties": False, "required": _REQUIRED,
            "properties": {**_BASE, **extra}}


EVENTS = {
    "application.submitted": {
        "version": 1, "description": "A pupil applied to an offer (expires_at: the employer's answer deadline).",
        "data_schema": _schema(submitted_at=_DT)},
    "application.read": {
        "version": 1, "description": "The employer opened the application for the first time.",
        "data_schema": _schema()},
    "application.transferred": {
        "version": 1, "description": "The employer transferred the application to someone outside the platform "
                                     "(the single-use link goes by a direct message, never in an event).",
        "data_schema": _schema()},
    "application.accepted": {
        "version": 1, "description": "The employer (or the transfer recipient) accepted: the pupil must confirm "
                                     "before accept_expires_at.",
        "data_schema": _schema(accept_expires_at=_DT)},
    "application.confirmed": {
        "version": 1, "description": "The pupil confirmed the internship; a seat is reserved in offers.",
        "data_schema": _schema()},
    "application.rejected": {
        "version": 1, "description": "The employer (or the transfer recipient) rejected the application.",
        "data_schema": _schema()},
    "application.cancelled": {
        "version": 1, "description": "Cancelled by the employer, by the pupil, or because the pupil confirmed "
                                     "another internship (see state); seat_released tells whether it held a seat. "
                                     "For cancelled_after_other_confirmed, confirmed_application_id and "
                                     "confirmed_employer_id name the application the pupil confirmed and its "
                                     "employer (the same employer is told once, by application.confirmed). "
                                     "cause offer_removed (state cancelled_by_employer): the offer was removed "
                                     "(by its employer or a moderator) and every application in progress with it.",
        "data_schema": _schema(seat_released={"type": "boolean"}, confirmed_application_id=_ID,
                               confirmed_employer_id=_ID, cause={"type": "string", "enum": ["offer_removed"]})},
    "application.restored": {
        "version": 1, "description": "The pupil restored a cancelled application (once); it waits for the "
                                     "employer's answer again.",
        "data_schema": _schema()},
    "application.expired": {
        "version": 1, "description": "The timer expired the application: state expired (no answer from the "
                                     "employer in time) or expired_by_pupil (not confirmed in time).",
        "data_schema": _schema()},
    "application.nudged": {
        "version": 1, "description": "The pupil nudged the employer (once).",
        "data_schema": _schema()},
    "application.reapply_invited": {
        "version": 1, "description": "The employer invited the pupil of a rejected application to apply again "
                                     "to the offer (the rejection stays final; the pupil may submit a new "
                                     "application).",
        "data_schema": _schema()},
}

