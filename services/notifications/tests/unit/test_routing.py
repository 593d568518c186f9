"""From each platform event to its messages."""
import pytest

from notifications.domain.messages import DIRECT_ONLY, MESSAGES, spec
from notifications.domain.routing import (APPLICATION_PARTY, OFFER_OWNER, PUPIL_TEACHERS, SCHOOL_STAFF, USER,
                                          RecipientRef, handled_event_types, route)

APP = {"application_id": "a1", "offer_id": "o1", "pupil_id": "p1", "employer_id": "e1", "school_uai": "0750001A"}
CONV = {"convention_id": "c1", "application_id": "a1", "offer_id": "o1", "pupil_id": "p1", "employer_id": "e1",
        "school_uai": "0750001A"}
IDS = {"convention_id": "c1", "application_id": "a1"}  # what most convention events carry


def plan(event_type, data):
    return sorted((i.template, i.recipient.kind, i.recipient.value, i.recipient.functions)
                  for i in route(event_type, data).intents)


EXPECTED = [
    ("user.registered", {"user_id": "u1"}, []),
    ("user.activated", {"user_id": "u1", "role": "employer"}, [("welcome", USER, "u1", ())]),
    ("staff.confirmed", {"user_id": "u2", "school_uai": "0131884C", "function": "teacher", "how": "head",
                         "confirmed_by": "u3"}, [("staff_confirmed", USER, "u2", ())]),
    ("school.head_designated", {"user_id": "u3", "school_uai": "0131884C", "previous_user_id": None,
                                "designated_by": "u9"}, [("head_designated", USER, "u3", ())]),
    ("pupil.imported", {"school_uai": "0750001A", "imported_by": "s1", "created": ["p1"]},
     [("pupil_activation_codes_ready", USER, "s1", ())]),
    ("pupil.imported", {"school_uai": "0750001A", "import_id": "i1", "created": ["p1"], "updated": []},
     [("pupil_activation_codes_ready", SCHOOL_STAFF, "0750001A", ("head", "admin_staff"))]),
    ("user.anonymized", {"user_id": "u1"}, []),
    ("offer.published", {"offer_id": "o1", "employer_id": "e1", "republished": False},
     [("offer_published", USER, "e1", ())]),
    ("offer.published", {"offer_id": "o1", "employer_id": None, "operator_id": "op1"},
     [("offer_published", USER, "op1", ())]),
    ("offer.published", {"offer_id": "o1", "employer_id": "e1", "republished": True}, []),
    ("offer.updated", {"offer_id": "o1", "employer_id": "e1"}, []),
    ("offer.unpublished", {"offer_id": "o1", "reason": "weeks_past"}, [("offer_unpublished", OFFER_OWNER, "o1", ())]),
    ("offer.unpublished", {"offer_id": "o1", "reason": "employer"}, []),
    ("offer.full", {"offer_id": "o1", "seats": 3}, [("offer_full", OFFER_OWNER, "o1", ())]),
    ("offer.full", {"offer_id": "o1", "employer_id": "e1"}, [("offer_full", USER, "e1", ())]),
    ("offer.removed", {"offer_id": "o1", "employer_id": "e1"}, []),
    ("calendar.changed", {"school_year": "2026-2027", "grades": {}}, []),
    ("application.submitted", APP, [("new_application", USER, "e1", ())]),
    ("application.read", APP, [("application_read", USER, "p1", ())]),
    ("application.transferred", APP, []),
    ("application.accepted", APP, [("application_accepted", USER, "p1", ()),
                                   ("teacher_application_accepted", PUPIL_TEACHERS, "p1", ())]),
    ("application.confirmed", APP, [("pupil_confirmed", USER, "e1", ()),
                                    ("teacher_application_confirmed", PUPIL_TEACHERS, "p1", ())]),
    ("application.rejected", APP, [("application_rejected", USER, "p1", ())]),
    ("application.cancelled", {**APP, "state": "cancelled_by_employer"}, [("application_cancelled", USER, "p1", ())]),
    ("application.cancelled", {**APP, "state": "cancelled_by_pupil"}, [("pupil_cancelled", USER, "e1", ())]),
    # the offer was removed (by its employer or a moderator): the pupil is told why, the employer knows
    ("application.cancelled", {**APP, "state": "cancelled_by_employer", "cause": "offer_removed"},
     [("application_offer_removed", USER, "p1", ())]),
    # moderation: the employer hears of a request for changes or a removal, not of a report nor of « keep »
    ("offer.moderated", {"offer_id": "o1", "moderation_id": "m1", "decision": "request_changes"},
     [("offer_moderated", OFFER_OWNER, "o1", ())]),
    ("offer.moderated", {"offer_id": "o1", "moderation_id": "m1", "decision": "remove"},
     [("offer_moderated", OFFER_OWNER, "o1", ())]),
    ("offer.moderated", {"offer_id": "o1", "moderation_id": "m1", "decision": "keep"}, []),
    ("offer.reported", {"offer_id": "o1", "reason": "other", "open_reports": 2, "hidden": True}, []),
    ("offer.unpublished", {"offer_id": "o1", "state": "unpublished", "reason": "moderation"}, []),
    ("application.cancelled", {**APP, "state": "cancelled_after_other_confirmed"},
     [("pupil_chose_other", USER, "e1", ())]),
    # confirmed with another employer: this one is told the pupil chose another internship
    ("application.cancelled", {**APP, "state": "cancelled_after_other_confirmed", "confirmed_application_id": "a2",
                               "confirmed_employer_id": "e2"}, [("pupil_chose_other", USER, "e1", ())]),
    # confirmed with this same employer: « X a confirmé son stage » (application.confirmed) is the one message
    ("application.cancelled", {**APP, "state": "cancelled_after_other_confirmed", "confirmed_application_id": "a2",
                               "confirmed_employer_id": "e1"}, []),
    ("application.restored", APP, [("application_restored", USER, "e1", ())]),
    ("application.expired", {**APP, "state": "expired"}, [("application_expired", USER, "p1", ())]),
    ("application.expired", {**APP, "state": "expired_by_pupil"},
     [("acceptance_expired", USER, "p1", ()), ("acceptance_expired_employer", USER, "e1", ())]),
    ("application.nudged", APP, [("nudge", USER, "e1", ())]),
    ("application.reapply_invited", {**APP, "state": "rejected"}, [("reapply_invited", USER, "p1", ())]),
    ("convention.created", CONV, [("convention_to_fill_employer", USER, "e1", ())]),
    ("convention.completed_by_employer", CONV,
     [("convention_to_fill_school", SCHOOL_STAFF, "0750001A", ("head", "admin_staff"))]),
    ("convention.validated", CONV, [("convention_ready_to_sign", SCHOOL_STAFF, "0750001A", ("head",)),
                                    ("convention_ready_to_sign", USER, "e1", ()),
                                    ("convention_ready_to_sign", USER, "p1", ())]),
    ("convention.reopened", CONV, [("convention_reopened", USER, "e1", ()), ("convention_reopened", USER, "p1", ())]),
    ("convention.signed", {**CONV, "role": "employer"},
     [("next_signature_awaited", SCHOOL_STAFF, "0750001A", ("head",)), ("next_signature_awaited", USER, "p1", ())]),
    ("convention.signed", {**CONV, "role": "pupil", "signed_roles": ["employer", "head_of_school"]}, []),
    ("convention.signed", {**CONV, "role": "pupil", "remaining_roles": ["employer"]},
     [("next_signature_awaited", USER, "e1", ())]),
    ("convention.signed_by_all", CONV, [("convention_signed_by_all", SCHOOL_STAFF, "0750001A", ("head", "admin_staff")),
                                        ("convention_signed_by_all", USER, "e1", ()),
                                        ("convention_signed_by_all", USER, "p1", ())]),
    ("convention.cancelled", CONV, [("convention_cancelled", SCHOOL_STAFF, "0750001A", ("head", "admin_staff")),
                                    ("convention_cancelled", USER, "e1", ()),
                                    ("convention_cancelled", USER, "p1", ())]),
    # the conventions service's payloads: parties from the application at send time
    ("convention.created", {**IDS, "employer_user_id": "e1", "pupil_user_id": "p1", "school_uai": "0750001A"},
     [("convention_to_fill_employer", USER, "e1", ())]),
    ("convention.completed_by_employer", IDS,
     [("convention_to_fill_school", APPLICATION_PARTY, "a1", ("school", "head", "admin_staff"))]),
    ("convention.validated", {**IDS, "document_hash": "h"},
     [("convention_ready_to_sign", APPLICATION_PARTY, "a1", ("employer",)),
      ("convention_ready_to_sign", APPLICATION_PARTY, "a1", ("pupil",)),
      ("convention_ready_to_sign", APPLICATION_PARTY, "a1", ("school", "head"))]),
    ("convention.signed", {**IDS, "role": "head_of_school", "signed_roles": ["employer"]},
     [("next_signature_awaited", APPLICATION_PARTY, "a1", ("pupil",))]),
    ("convention.signed", {**IDS, "role": "legal_representative"},
     [("next_signature_awaited", APPLICATION_PARTY, "a1", ("employer",)),
      ("next_signature_awaited", APPLICATION_PARTY, "a1", ("pupil",)),
      ("next_signature_awaited", APPLICATION_PARTY, "a1", ("school", "head"))]),
    ("convention.signed_by_all", {**IDS, "document_hash": "h"},
     [("convention_signed_by_all", APPLICATION_PARTY, "a1", ("employer",)),
      ("convention_signed_by_all", APPLICATION_PARTY, "a1", ("pupil",)),
      ("convention_signed_by_all", APPLICATION_PARTY, "a1", ("school", "head", "admin_staff"))]),
]


@pytest.mark.parametrize("event_type,data,expected", EXPECTED, ids=[f"{e[0]}:{i}" for i, e in enumerate(EXPECTED)])
def test_route(event_type, data, expected):
    assert plan(event_type, data) == sorted(expected)


def test_every_platform_event_of_the_issues_has_a_route():
    issues = ["user.registered", "user.activated", "staff.confirmed", "school.head_designated", "pupil.imported",
              "pupil.school_changed", "school.internship_weeks_declared",
              "user.anonymized", "user.email_changed", "user.phone_changed", "space.member_joined",
              "space.member_left", "offer.published",
              "offer.updated", "offer.unpublished", "offer.full", "offer.removed", "offer.reported", "offer.moderated",
              "calendar.changed", "user.locked", "user.unlocked", "school.created", "school.updated"]
    issues += [f"application.{f}" for f in ("submitted", "read", "transferred", "accepted", "confirmed", "rejected",
                                            "cancelled", "restored", "expired", "nudged", "reapply_invited")]
    issues += [f"convention.{f}" for f in ("created", "completed_by_employer", "validated", "reopened", "signed",
                                           "signed_by_all", "cancelled")]
    assert sorted(issues) == handled_event_types()


def test_every_message_is_reachable_by_an_event_a_reminder_or_a_direct_call():
    from notifications.domain.reminders import EMPLOYER_REMINDER, PUPIL_REMINDER
    reached = {t for _, _, exp in EXPECTED for t, *_ in exp} | DIRECT_ONLY | {EMPLOYER_REMINDER, PUPIL_REMINDER}
    assert reached == set(MESSAGES)


def test_context_carries_identifiers_for_links():
    [intent] = route("application.submitted", APP).intents
    assert intent.context == APP
    assert spec(intent.template).page.format(**intent.context) == "/entreprise/candidatures/a1"


def test_missing_identifier_drops_only_that_message():
    res = route("application.accepted", {"application_id": "a1", "employer_id": "e1"})
    assert res.intents == []
    assert sorted(res.skipped) == ["application_accepted", "teacher_application_accepted"]


def test_unknown_events_and_empty_payloads_route_nowhere():
    assert route("weather.changed", {"x": 1}).intents == []
    assert route("application.submitted", None).intents == []


def test_same_recipient_and_template_once_per_event():
    res = route("convention.reopened", {**CONV, "pupil_id": "e1"})
    assert [(i.template, i.recipient.value) for i in res.intents] == [("convention_reopened", "e1")]


def test_recipient_keys():
    assert RecipientRef(USER, "u1").key == "user:u1"
    assert RecipientRef(SCHOOL_STAFF, "075", ("head",)).key == "school_staff:075:head"


def test_security_messages_are_essential_and_direct():
    security = {t for t, s in MESSAGES.items() if s.security}
    assert {"account_activation", "password_reset", "password_reset_no_account", "identifier_in_use",
            "signature_code", "colleague_invitation", "transfer_link", "legal_rep_sign_link", "email_change_confirm",
            "email_changed_notice", "phone_change_code", "phone_changed_notice", "space_invitation"} == security
    assert security <= DIRECT_ONLY
