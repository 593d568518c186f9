"""Preferences, channel choice, and the privacy rule."""
from notifications.domain.messages import EMAIL, IN_APP, SMS, spec
from notifications.domain.policy import (Contact, allowed, apply_privacy, choose_channels, may_see_pupil_contact,
                                         normalize_preferences)

LEA = Contact(user_id="u1", email="lea@example.org", phone="+33612345678", first_name="Léa", last_name="Martin")
OPTED_OUT = {"email": {"applications": False, "offers": False}, "sms": {"applications": False}}


def test_optional_messages_respect_preferences_but_stay_in_app():
    s = spec("application_read")
    assert not s.essential
    assert choose_channels(s, LEA, OPTED_OUT) == ([IN_APP], [(EMAIL, "opted out")])
    assert choose_channels(s, LEA, {}) == ([EMAIL, IN_APP], [])


def test_essential_messages_ignore_opt_outs():
    s = spec("application_accepted")
    assert s.essential
    assert choose_channels(s, LEA, OPTED_OUT) == ([EMAIL, SMS, IN_APP], [])


def test_security_messages_always_go_even_to_an_inactive_account():
    inactive = Contact(user_id="u1", email="lea@example.org", active=False)
    assert choose_channels(spec("account_activation"), inactive, {"email": {"account": False}}) == ([EMAIL], [])
    go, skipped = choose_channels(spec("application_accepted"), inactive, {})
    assert go == [] and {r for _, r in skipped} == {"account not active"}


def test_anonymised_recipients_get_nothing():
    go, skipped = choose_channels(spec("account_activation"), Contact(user_id="u1", anonymized=True), {})
    assert go == [] and skipped == [(EMAIL, "recipient anonymised")]


def test_signature_code_goes_by_sms_or_else_by_email():
    s = spec("signature_code")
    assert choose_channels(s, LEA, {}) == ([SMS], [])
    no_phone = Contact(user_id="u1", email="x@example.org")
    assert choose_channels(s, no_phone, {}) == ([EMAIL], [])


def test_missing_addresses_are_skipped_with_a_reason():
    outsider = Contact(email="tuteur@example.org")  # no platform account: no inbox
    go, skipped = choose_channels(spec("new_application"), outsider, {})
    assert go == [EMAIL] and skipped == [(IN_APP, "not a platform user")]
    go, skipped = choose_channels(spec("application_accepted"), Contact(user_id="u1", email="a@b.fr"), {})
    assert go == [EMAIL, IN_APP] and skipped == [(SMS, "no mobile phone")]


def test_preferences_are_normalised():
    assert normalize_preferences({"email": {"offers": False, "bogus": False, "reminders": "no"},
                                  "pigeon": {"offers": False}}) == {"email": {"offers": False}, "sms": {}}
    assert allowed(spec("offer_full"), EMAIL, {"email": {"offers": False}}) is False
    assert allowed(spec("offer_full"), IN_APP, {"email": {"offers": False}}) is True


def test_employer_never_gets_pupil_contact_before_accepting():
    ctx = {"application_id": "a1", "pupil_first_name": "Léa", "pupil_email": "lea@example.org",
           "pupil_phone": "+33612345678", "pupil_address": "1 rue X", "legal_rep_email": "m@example.org"}
    for state in ("submitted", "read_by_employer", "transferred", "rejected", "expired", None):
        assert not may_see_pupil_contact("employer", state)
        out = apply_privacy(ctx, "employer", state)
        assert out == {"application_id": "a1", "pupil_first_name": "Léa"}
        assert apply_privacy(ctx, "transfer_recipient", state) == out
    for state in ("accepted_by_employer", "confirmed"):
        assert apply_privacy(ctx, "employer", state) == ctx
    # the pupil's own teacher or the pupil may see them
    assert apply_privacy(ctx, "teacher", "submitted") == ctx
    assert ctx["pupil_phone"] == "+33612345678"  # the input is not modified


def test_secrets_are_dropped_once_sent_and_masked_in_an_export():
    from notifications.domain.policy import masked_for_export, without_secrets
    ctx = {"token": "t", "code": "123456", "application_id": "a1", "reset_password": "x"}
    assert without_secrets(ctx) == {"application_id": "a1", "reset_password": "x"}
    assert masked_for_export(ctx) == {"token": "(masqué)", "code": "(masqué)", "application_id": "a1",
                                      "reset_password": "(masqué)"}
    assert without_secrets(None) == {} == masked_for_export(None)
