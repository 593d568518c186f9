"""The use cases of the notifications service with fakes (``testkit.notifications``): no broker, no database.
The integration tests keep proving the SQL (and ``test_repository_contract.py`` that the fake behaves as it)."""
import datetime as dt
import logging
import uuid

import pytest

from common.errors import Conflict, Forbidden, NotFound, ValidationError
from common.envelope import make_envelope
from notifications.domain import records
from notifications.domain.messages import EMAIL, IN_APP, SMS
from notifications.use_cases import admin, delivery, direct, inbox, intake, preferences, reminders
from notifications.use_cases.recipients import Directory
from testkit.notifications import FakeClients, FakeOutbound, FakeRepository, FakeUnitOfWork, utc

NOW = utc(2027, 1, 11, 9, 0)
EMPLOYER, PUPIL = "e-" + uuid.uuid4().hex[:6], "p-" + uuid.uuid4().hex[:6]
ADMIN = {"user_id": "admin-1", "role": "admin"}


@pytest.fixture
def world():
    repo = FakeRepository()
    clients = FakeClients(contacts={
        EMPLOYER: {"email": "paul@example.org", "first_name": "Paul", "last_name": "Durand", "role": "employer"},
        PUPIL: {"email": "lea@example.org", "first_name": "Léa", "last_name": "Martin", "role": "pupil"}})
    return repo, FakeUnitOfWork(repo), clients, FakeOutbound()


def _event(event_type, data, occurred=NOW):
    producer = {"application": "applications", "offer": "offers", "convention": "conventions"}.get(
        event_type.split(".")[0], "identity")
    env = make_envelope(producer, event_type, data)
    env["occurred_at"] = occurred.isoformat()
    return env


def _handle(uow, envelope, now=NOW):
    return intake.handle_event(uow, envelope, now)


def _submitted(app_id="a1", expires_in=15, **extra):
    data = {"application_id": app_id, "offer_id": "o1", "pupil_id": PUPIL, "employer_id": EMPLOYER,
            "school_uai": "0130001A", "state": "submitted", **extra}
    if expires_in is not None:
        data["expires_at"] = (NOW + dt.timedelta(days=expires_in)).isoformat()
    return _event("application.submitted", data)


# -- intake -----------------------------------------------------------------------------------------
def test_an_event_records_its_intents_and_reminders_once(world):
    repo, uow, _, _ = world
    env = _submitted()
    summary = _handle(uow, env)
    assert summary == {"intents": 1, "skipped": [], "reminders": {"cancelled": 0, "created": 1}}
    assert _handle(uow, env) is None                        # a redelivery does nothing
    [intent] = repo.intents
    assert (intent["template"], intent["recipient_value"]) == ("new_application", EMPLOYER)
    [rem] = repo.reminders
    assert rem["deadline"] - rem["due_at"] == dt.timedelta(days=3) and rem["deadline"] == NOW + dt.timedelta(days=15)


def test_an_application_event_without_deadline_plans_no_reminder_and_says_so(world, caplog):
    repo, uow, _, _ = world
    with caplog.at_level(logging.WARNING, logger="notifications.reminders"):
        summary = _handle(uow, _submitted(expires_in=None))
    assert summary["reminders"] == {"cancelled": 0, "created": 0} and repo.reminders == []
    assert "gives no deadline" in caplog.text


def test_an_answer_cancels_the_reminder_but_an_older_event_arriving_late_plans_none(world):
    repo, uow, _, _ = world
    _handle(uow, _submitted(), NOW)
    rejected = _event("application.rejected", {"application_id": "a1", "pupil_id": PUPIL, "employer_id": EMPLOYER,
                                               "state": "rejected"}, occurred=NOW + dt.timedelta(hours=1))
    assert _handle(uow, rejected)["reminders"] == {"cancelled": 1, "created": 0}
    late = _submitted()  # another submitted event, published before the rejection, delivered after it
    late["occurred_at"] = (NOW - dt.timedelta(minutes=1)).isoformat()
    assert _handle(uow, late)["reminders"]["created"] == 0
    assert [r["status"] for r in repo.reminders] == ["cancelled"]


def test_signatures_are_remembered_to_write_only_to_those_still_awaited(world):
    repo, uow, _, _ = world
    conv = {"convention_id": "c1", "application_id": "a1", "employer_user_id": EMPLOYER, "pupil_user_id": PUPIL,
            "school_uai": "0130001A"}
    _handle(uow, _event("convention.signed", {**conv, "role": "employer"}))
    _handle(uow, _event("convention.signed", {**conv, "role": "pupil"}))
    last = [i for i in repo.intents if i["template"] == "next_signature_awaited"][-1]
    assert (last["recipient_kind"], last["recipient_value"]) == ("school_staff", "0130001A")
    _handle(uow, _event("convention.reopened", conv))
    assert repo.signer_roles("c1") == []


# -- delivery -----------------------------------------------------------------------------------------
def test_dispatch_sends_the_email_and_fills_the_inbox(world):
    repo, uow, clients, outbound = world
    env = _submitted()
    _handle(uow, env)
    assert delivery.dispatch(uow, clients, outbound, NOW, env["event_id"]) == {"resolved": 1, "sent": 2}
    [mail] = outbound.smtp.sent
    assert mail["to"] == "paul@example.org" and mail["subject"].startswith("Nouvelle candidature")
    assert "https://stages.test/entreprise/candidatures/a1" in mail["text"]
    assert sorted((m["channel"], m["status"]) for m in repo.messages) == [(EMAIL, "sent"), (IN_APP, "sent")]
    [item] = repo.inbox_items
    assert item["user_id"] == EMPLOYER and item["link"].endswith("/a1")
    assert repo.intents[0]["status"] == delivery.RESOLVED
    # nothing twice
    assert delivery.dispatch(uow, clients, outbound, NOW) == {"resolved": 0, "sent": 0}


def test_optional_messages_respect_preferences(world):
    repo, uow, clients, outbound = world
    preferences.set_(uow, {"user_id": EMPLOYER}, {"email": {"offers": False}}, NOW)
    _handle(uow, _event("offer.full", {"offer_id": "o1", "employer_id": EMPLOYER}))
    delivery.dispatch(uow, clients, outbound, NOW)
    assert sorted((m["channel"], m["status"], m["last_error"]) for m in repo.messages) == \
        [(EMAIL, "skipped", "opted out"), (IN_APP, "sent", None)]
    assert outbound.smtp.sent == []


def test_the_employer_never_reads_the_pupils_contact_before_accepting(world):
    repo, uow, clients, outbound = world
    _handle(uow, _submitted(pupil_email="eleve@example.org", pupil_phone="+33612345678"))
    delivery.dispatch(uow, clients, outbound, NOW)
    assert all("pupil_email" not in m["context"] and "pupil_phone" not in m["context"] for m in repo.messages)


def test_a_service_that_does_not_answer_delays_the_intent_with_backoff(world):
    repo, uow, clients, outbound = world
    _handle(uow, _submitted())
    clients.down = True
    assert delivery.dispatch(uow, clients, outbound, NOW) == {"resolved": 1, "sent": 0}
    [intent] = repo.intents
    assert intent["status"] == records.PENDING and intent["attempts"] == 1 and intent["next_attempt_at"] > NOW
    assert "TimeoutError" in intent["last_error"]
    clients.down = False
    later = intent["next_attempt_at"]
    assert delivery.dispatch(uow, clients, outbound, later) == {"resolved": 1, "sent": 2}


def test_an_unknown_recipient_fails_the_intent_at_once(world):
    repo, uow, clients, outbound = world
    _handle(uow, _event("user.activated", {"user_id": "nobody", "role": "employer"}))
    delivery.dispatch(uow, clients, outbound, NOW)
    [intent] = repo.intents
    assert intent["status"] == records.FAILED and "identity does not know user nobody" in intent["last_error"]


def test_recipients_are_asked_without_holding_the_intent(world):
    """Read, call, then lock and write: an intent resolved by another dispatcher during the call is left to it."""
    repo, uow, clients, outbound = world
    _handle(uow, _submitted())

    class Racing(FakeClients):
        def contact(self, user_id):
            repo.update_intent(repo.intents[0]["id"], status=delivery.RESOLVED)  # the other dispatcher's commit
            return super().contact(user_id)

    racing = Racing(contacts=clients.contacts)
    assert delivery.resolve_due(uow, Directory(racing), outbound.settings.policy, NOW) == 0
    assert repo.messages == []


def test_an_smtp_outage_opens_the_circuit_and_delays_without_failing(world):
    repo, uow, clients, outbound = world
    for app_id in ("a1", "a2"):
        _handle(uow, _submitted(app_id))
    outbound.smtp_down()
    delivery.dispatch(uow, clients, outbound, NOW)
    emails = [m for m in repo.messages if m["channel"] == EMAIL]
    assert outbound.circuits[EMAIL].state == "open"
    assert [m["attempts"] for m in emails].count(1) == 1           # one probe, the other e-mail waited
    assert all(m["status"] == records.PENDING for m in emails)
    assert delivery.send_due(uow, outbound, NOW + dt.timedelta(seconds=1)) == 0   # the circuit holds them
    outbound.smtp_up()
    probe = NOW + dt.timedelta(seconds=outbound.settings.probe_interval)
    assert delivery.send_due(uow, outbound, probe) == 2
    assert outbound.circuits[EMAIL].state == "closed" and len(outbound.smtp.sent) == 2


def test_temporary_failures_back_off_until_failed_then_an_admin_retries(world):
    repo, uow, clients, outbound = world
    outbound.settings = type(outbound.settings)(base_url="https://stages.test",
                                                policy=records.RetryPolicy(max_attempts=2, base_delay=1, max_delay=1))
    env = _submitted()
    _handle(uow, env)
    outbound.smtp_deferring()
    delivery.dispatch(uow, clients, outbound, NOW)
    [mail] = [m for m in repo.messages if m["channel"] == EMAIL]
    assert repo.message(mail["id"])["status"] == records.PENDING
    delivery.send_due(uow, outbound, NOW + dt.timedelta(seconds=2))
    assert repo.message(mail["id"])["status"] == records.FAILED
    with pytest.raises(Forbidden):
        admin.retry_message(uow, {"user_id": "u", "role": "employer"}, mail["id"], NOW)
    view = admin.retry_message(uow, ADMIN, mail["id"], NOW)
    assert (view["status"], view["attempts"], view["refs"]["application_id"]) == (records.PENDING, 0, "a1")
    with pytest.raises(Conflict):
        admin.retry_message(uow, ADMIN, mail["id"], NOW)
    outbound.smtp_up()
    assert delivery.send_due(uow, outbound, NOW) == 1 and repo.message(mail["id"])["status"] == records.SENT


def test_admin_retries_the_failed_messages_of_a_period(world):
    repo, uow, _, _ = world
    with pytest.raises(ValidationError) as exc:
        admin.retry_failed_messages(uow, ADMIN, "hier", NOW.isoformat(), "fax", NOW)
    assert set(exc.value.errors) == {"from", "channel"}
    repo.add_message(key="k", channel=SMS, event_id="e", event_type="t", template="nudge", recipient="user:x",
                     user_id="x", context={}, status=records.FAILED, attempts=10, created_at=NOW, updated_at=NOW)
    out = admin.retry_failed_messages(uow, ADMIN, (NOW - dt.timedelta(hours=1)).isoformat(),
                                      (NOW + dt.timedelta(hours=1)).isoformat(), None, NOW)
    assert out == {"retried": 1} and repo.messages[0]["status"] == records.PENDING


# -- reminders -----------------------------------------------------------------------------------------
def test_a_due_reminder_becomes_a_message_and_a_late_one_does_not(world):
    repo, uow, clients, outbound = world
    _handle(uow, _submitted("a1", expires_in=2))   # due already (3 days before)
    _handle(uow, _submitted("a2", expires_in=15))
    assert reminders.fire_due(uow, NOW) == 1
    assert {r["application_id"]: r["status"] for r in repo.reminders} == {"a1": "done", "a2": "pending"}
    delivery.dispatch(uow, clients, outbound, NOW)
    assert [m["subject"] for m in outbound.smtp.sent].count("Rappel : une candidature expire dans 3 jours") == 1
    assert reminders.fire_due(uow, NOW + dt.timedelta(days=16)) == 0
    assert {r["application_id"]: r["status"] for r in repo.reminders} == {"a1": "done", "a2": "late"}


# -- direct messages -------------------------------------------------------------------------------------
def test_a_direct_message_is_checked_recorded_once_and_sent(world):
    repo, uow, clients, outbound = world
    with pytest.raises(ValidationError) as exc:
        direct.send_message(uow, outbound.renderer, "nope", {"email": "x"}, [], "", NOW)
    assert set(exc.value.errors) == {"template", "to.email", "context", "key"}
    ctx = {"token": "tok-1", "application_id": "a1", "offer_title": "Atelier vélo"}
    for _ in range(2):
        out = direct.send_message(uow, outbound.renderer, "transfer_link",
                                  {"email": "Tuteur@Example.org", "name": "Jean Dupont"}, ctx, "k-1", NOW)
    assert out == {"key": "k-1", "status": "accepted"} and len(repo.intents) == 1
    delivery.dispatch(uow, clients, outbound, NOW)
    [mail] = outbound.smtp.sent
    assert mail["to"] == "tuteur@example.org" and "https://stages.test/transferts/tok-1" in mail["text"]
    assert "token" not in repo.messages[0]["context"]        # the secret is not kept once sent


def test_a_link_that_misses_its_identifier_is_refused(world):
    _, uow, _, outbound = world
    with pytest.raises(ValidationError) as exc:
        direct.send_message(uow, outbound.renderer, "transfer_link", {"email": "a@example.org"}, {}, "k", NOW)
    assert "Information manquante" in exc.value.errors["context"][0]


# -- inbox, preferences, erasure ---------------------------------------------------------------------------
def test_inbox_items_are_read_by_their_owner_only(world):
    repo, uow, clients, outbound = world
    _handle(uow, _submitted())
    delivery.dispatch(uow, clients, outbound, NOW)
    [item] = repo.inbox_items
    assert inbox.unread_count(uow, {"user_id": EMPLOYER}) == {"unread": 1}
    with pytest.raises(NotFound):
        inbox.mark_read(uow, {"user_id": PUPIL}, item["id"], NOW)
    with pytest.raises(NotFound):
        inbox.mark_read(uow, {"user_id": EMPLOYER}, "not-a-uuid", NOW)
    assert inbox.mark_read(uow, {"user_id": EMPLOYER}, item["id"], NOW)["read_at"] == NOW.isoformat()
    assert inbox.mark_all_read(uow, {"user_id": EMPLOYER}, NOW) == {"marked": 0}
    assert inbox.unread_count(uow, {"user_id": EMPLOYER}) == {"unread": 0}
    with pytest.raises(Forbidden):
        inbox.mark_all_read(uow, {}, NOW)


def test_preferences_are_checked_and_normalised(world):
    _, uow, _, _ = world
    with pytest.raises(ValidationError) as exc:
        preferences.set_(uow, {"user_id": "u"}, {"email": {"offers": "non", "meteo": True}, "fax": {}}, NOW)
    assert set(exc.value.errors) == {"email.offers", "email.meteo", "fax"}
    assert preferences.get(uow, {"user_id": "u"})["email"] == {}
    preferences.set_(uow, {"user_id": "u"}, {"sms": {"offers": False}}, NOW)
    got = preferences.get(uow, {"user_id": "u"})
    assert got["sms"] == {"offers": False} and "offers" in got["categories"]


def test_anonymisation_erases_what_the_service_holds(world):
    repo, uow, clients, outbound = world
    _handle(uow, _submitted())
    delivery.dispatch(uow, clients, outbound, NOW)
    summary = _handle(uow, _event("user.anonymized", {"user_id": EMPLOYER, "role": "employer"}))
    assert summary["anonymized"] == {"inbox_deleted": 1, "messages_cancelled": 0, "others_redacted": 0}
    assert repo.inbox_items == [] and all(m["address"] is None for m in repo.messages if m["user_id"] == EMPLOYER)
    assert [r["status"] for r in repo.reminders] == ["cancelled"]


def test_one_pass_of_every_timer(world):
    repo, uow, clients, outbound = world
    _handle(uow, _submitted("a1", expires_in=2))
    assert delivery.run_all_due(uow, clients, outbound, NOW) == {"resolved": 1, "sent": 2, "reminders": 1}
    assert delivery.run_all_due(uow, clients, outbound, NOW) == {"resolved": 1, "sent": 2, "reminders": 0}
    assert sorted(m["template"] for m in repo.messages if m["channel"] == EMAIL) == \
        ["employer_expiry_reminder", "new_application"]
