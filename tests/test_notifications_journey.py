"""Notifications across the real suite and a real SMTP server (aiosmtpd): the email of each message of a
pupil's journey reaches the right person with the right content, a duplicated event sends nothing twice,
an SMTP outage delays messages without losing any, and the in-app inbox matches what was sent.

The suite's notifications process is pointed at this module's SMTP server through the test-only service run
beside it by the harness (``testkit.hooks.NotificationsTestHooks.configure_outbound``), never in production."""
import re
import time
import uuid

import pytest

from testkit.applications import (PASSWORD, REP_PLUS_COLLEGE, _client, application_form, suite_offer, suite_pupils)
from common.events import make_envelope, publish_envelopes
from notifications.domain.messages import IN_APP, MESSAGES
from testkit.sms import FakeSmsApi
from testkit.smtp import SmtpTestServer
from testkit.tcp_proxy import TcpProxy
from testkit.conventions import SUITE_EMPLOYER_FIELDS as EMPLOYER_FIELDS, SUITE_SCHOOL_FIELDS as SCHOOL_FIELDS

pytestmark = pytest.mark.suite

BASE = "https://stages.test"
ADMIN = {"user_id": str(uuid.uuid4()), "role": "admin"}


class Mailbox:
    def __init__(self, server: SmtpTestServer):
        self.server = server

    def to(self, address: str) -> list:
        return [m for m in self.server.received if address.lower() in [r.lower() for r in m.rcpt_tos]]

    def wait(self, address: str, subject: str, timeout: float = 40.0, count: int = 1):
        """The message(s) whose subject starts with ``subject`` sent to ``address``."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.to(address) if m.subject.startswith(subject)]
            if len(found) >= count:
                return found[0] if count == 1 else found
            if time.monotonic() > deadline:
                got = [m.subject for m in self.to(address)]
                raise AssertionError(f"no {subject!r} to {address} within {timeout}s; got {got}")
            time.sleep(0.2)


def auth(who):
    return {"token": who["token"]}


@pytest.fixture(scope="module")
def mail(suite):
    with SmtpTestServer("plain") as server, FakeSmsApi() as sms:
        proxy = TcpProxy(server.host, server.port).start()
        with suite.rpc() as rpc:
            configured = rpc.notifications_test_hooks.configure_outbound(settings={
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": proxy.port, "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 3,
                "SMS_PROVIDER": "http", "SMS_HTTP_URL": sms.url, "SMS_HTTP_TOKEN": "sms-token",
                "STAGES_PUBLIC_URL": BASE,
                "NOTIFICATIONS_RETRY_BASE": 1, "NOTIFICATIONS_RETRY_MAX": 2, "NOTIFICATIONS_MAX_ATTEMPTS": 50,
                "NOTIFICATIONS_PROBE_INTERVAL": 1})
        assert configured == {"containers": 1, "smtp": [f"127.0.0.1:{proxy.port}"]}
        box = Mailbox(server)
        box.proxy = proxy
        box.sms = sms
        yield box
        proxy.stop()


def _register(rpc, role, first, last, email, **extra):
    rpc.identity.register(data={"role": role, "first_name": first, "last_name": last, "email": email,
                                "password": PASSWORD, **extra}, client=_client())


def _account(rpc, mail, role, first, last, email, **extra):
    """Register, activate with the link received by email, log in."""
    _register(rpc, role, first, last, email, **extra)
    activation = mail.wait(email, "Activez votre compte")
    token = re.search(r"/activation\?token=([\w\-]+)", activation.text).group(1)
    user_id = rpc.identity.activate(token)["user_id"]
    if role == "school_staff":   # confirmed by an admin, so that staff may act for the school
        rpc.identity.confirm_staff(actor={"user_id": str(uuid.uuid4()), "role": "admin"},
                                   school_uai=extra["school_uai"], user_id=user_id)
    session = rpc.identity.login(identifier=email, password=PASSWORD, client=_client())
    return {"user_id": session["user"]["id"], "token": session["access_token"], "email": email,
            "activation": activation, "actor": {"user_id": session["user"]["id"], "role": role}}


@pytest.fixture(scope="module")
def world(suite, mail):
    with suite.rpc() as rpc:
        head = _account(rpc, mail, "school_staff", "Marie", "Lambert",
                        f"principal.{uuid.uuid4().hex[:10]}@ac-aix-marseille.fr", function="head",
                        school_uai=REP_PLUS_COLLEGE)
        activation = head["activation"]
        teacher = _account(rpc, mail, "school_staff", "Sophie", "Garnier",
                           f"prof.{uuid.uuid4().hex[:10]}@ac-aix-marseille.fr", function="teacher",
                           school_uai=REP_PLUS_COLLEGE)
        phone = "06" + "".join(str(uuid.uuid4().int)[:8])
        emp = _account(rpc, mail, "employer", "Paul", "Durand", f"employer.{uuid.uuid4().hex[:12]}@example.com",
                       function="Gérant", phone=phone)
        emp["phone"] = rpc.identity.get_contact(emp["user_id"])["phone"]
        # a class of its own, followed by this test's teacher: teachers made by other tests of the shared
        # suite may follow the default class of the same collège, and would then be "the pupil's teacher"
        class_name = f"3-{uuid.uuid4().hex[:8]}"
        rpc.identity.set_my_classes(actor={**teacher["actor"], "school_uai": REP_PLUS_COLLEGE}, classes=[class_name])
        pupils = suite_pupils(rpc, 2, class_name=class_name)
        for p in pupils:
            p["email"] = rpc.identity.get_contact(p["user_id"])["email"]
        offer = suite_offer(rpc, emp["user_id"], seats=3)
    return {"head": head, "teacher": teacher, "emp": emp, "pupils": pupils, "offer": offer, "activation": activation}


def _wait_state(fn, want, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value == want or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_each_message_of_a_journey_reaches_the_right_person(api, suite, mail, world):
    head, emp, pupil, offer = world["head"], world["emp"], world["pupils"][0], world["offer"]
    # account activation (identity -> send_message): French, HTML and text, the right link
    act = world["activation"]
    assert act.message.get_content_type() == "multipart/alternative"
    assert "Bonjour Marie Lambert," in act.text and "1 élève, 1 stage" in act.html
    assert re.search(rf"{BASE}/activation\?token=[\w\-]+", act.text)
    mail.wait(emp["email"], "Activez votre compte")
    # the class list imported: the head of school is told the codes are ready
    codes = mail.wait(head["email"], "Les codes d'activation de vos élèves sont prêts")
    assert f"{BASE}/etablissements/{REP_PLUS_COLLEGE}/eleves" in codes.text

    # a pupil applies: the employer is told, without the pupil's contact details
    # (a legal representative of its own: other tests of the shared suite write to the default one)
    journey_form = application_form(offer["offer_weeks"][0])
    journey_form["legal_representative"]["email"] = f"parent.{uuid.uuid4().hex[:10]}@example.com"
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=journey_form, **auth(pupil))
    assert r.status_code == 201, r.text
    app = r.json()
    new = mail.wait(emp["email"], "Nouvelle candidature pour « Boulanger pâtissier »")
    assert f"{BASE}/entreprise/candidatures/{app['id']}" in new.text
    assert "Camille" in new.text and pupil["email"] not in new.text + new.html
    assert "Collège Belle de Mai" in new.text

    # opened: the pupil learns it was read
    assert api.get(f"/api/v1/applications/{app['id']}", **auth(emp)).status_code == 200
    read = mail.wait(pupil["email"], "Votre candidature a été lue")
    assert f"{BASE}/eleve/candidatures/{app['id']}" in read.text
    # accepted: the pupil must confirm within 15 days
    assert api.post(f"/api/v1/applications/{app['id']}/accept", json={"message": "À lundi !"},
                    **auth(emp)).status_code == 200
    acc = mail.wait(pupil["email"], "Bonne nouvelle : votre candidature est acceptée")
    assert "À lundi !" in acc.text and "Boulangerie Dupont" in acc.text and "avant le" in acc.text
    # ... and the pupil's teacher
    teacher = world["teacher"]["email"]
    t_acc = mail.wait(teacher, "Camille ELEVE0-", timeout=40)
    assert "a été accepté(e) en stage" in t_acc.subject and "Boulangerie Dupont" in t_acc.text
    # confirmed: the employer is told, and the agreement is to fill
    assert api.post(f"/api/v1/applications/{app['id']}/confirm", **auth(pupil)).status_code == 200
    mail.wait(emp["email"], "Camille a confirmé son stage")
    _wait_state(lambda: len([m for m in mail.to(teacher) if "a confirmé son stage" in m.subject]), 1)
    assert [m for m in mail.to(teacher) if "a confirmé son stage" in m.subject]
    fill = mail.wait(emp["email"], "Convention de stage à remplir")
    cid = re.search(rf"{BASE}/conventions/([0-9a-f\-]{{36}})", fill.text).group(1)

    # the employer completes its part: the school's turn
    assert api.patch(f"/api/v1/conventions/{cid}", json=EMPLOYER_FIELDS, **auth(emp)).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/complete", **auth(emp)).status_code == 200
    school = mail.wait(head["email"], "Convention de stage à compléter par l'établissement")
    assert f"{BASE}/conventions/{cid}" in school.text
    # the school validates: each signatory is told; the legal representative gets a link
    assert api.patch(f"/api/v1/conventions/{cid}", json=SCHOOL_FIELDS, **auth(head)).status_code == 200
    r = api.post(f"/api/v1/conventions/{cid}/validate", **auth(head))
    assert r.status_code == 200, r.text
    h = r.json()["document_hash"]
    for who in (emp["email"], head["email"], pupil["email"]):
        mail.wait(who, "La convention de stage est prête à être signée")
    rep_email = journey_form["legal_representative"]["email"]
    link = mail.wait(rep_email, "Signature de la convention de stage de")
    token = re.search(rf"{BASE}/conventions/signature/([\w\-]+)", link.text).group(1)

    # the employer's signature code, by SMS (the account has a mobile phone), through the HTTP provider
    assert api.post("/api/v1/conventions/signature-code", json={"convention_ids": [cid]},
                    **auth(emp)).status_code == 200
    [sms] = mail.sms.wait_for(lambda j: j["to"] == emp["phone"] and "code de signature" in j["text"])
    code = re.search(r"code de signature 1 élève, 1 stage est (\d{6})", sms["json"]["text"]).group(1)
    assert sms["headers"]["Authorization"] == "Bearer sms-token"
    with suite.rpc() as rpc:
        assert rpc.conventions_test_hooks.last_secret("code", emp["user_id"]) == code
    assert not [m for m in mail.to(emp["email"]) if m.subject.startswith("Votre code de signature")]
    assert api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h, "code": code},
                    **auth(emp)).status_code == 200
    # the next signatures are awaited
    nxt = mail.wait(pupil["email"], "Convention de stage : votre signature est attendue")
    assert "L'organisme d'accueil a signé" in nxt.text
    assert api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": h}, **auth(pupil)).status_code == 200
    assert api.post(f"/api/v1/conventions/{cid}/sign",
                    json={"document_hash": h, "method": "typed_name", "typed_name": "Marie Lambert"},
                    **auth(head)).status_code == 200
    view = api.get(f"/api/v1/public/conventions/{token}").json()
    r = api.post(f"/api/v1/public/conventions/{token}", json={"full_name": view["representative_name"],
                                                              "document_hash": h})
    assert r.status_code == 200 and r.json()["state"] == "signed_by_all", r.text
    # all signed, with the document
    for who in (emp["email"], head["email"], pupil["email"]):
        done = mail.wait(who, "Convention de stage signée par tous")
        assert f"{BASE}/conventions/{cid}/document" in done.text

    # the in-app inbox matches what was sent
    inbox = api.get("/api/v1/me/notifications?page_size=100", **auth(emp)).json()
    in_app = {(i["template"], i["title"]) for i in inbox["items"]}
    emailed = {(m.message["X-Stages-Template"], m.subject) for m in mail.to(emp["email"])}
    expected = {(t, s) for t, s in emailed if IN_APP in MESSAGES[t].channels}
    assert expected and expected <= in_app
    assert {t for t, _ in in_app if MESSAGES[t].channels != (IN_APP,)} <= {t for t, _ in emailed}
    unread = api.get("/api/v1/me/notifications/unread-count", **auth(emp)).json()["unread"]
    assert unread == inbox["unread"] == len(inbox["items"])
    assert api.post("/api/v1/me/notifications/read-all", **auth(emp)).json()["marked"] == unread


def test_a_duplicated_event_sends_nothing_twice(api, suite, mail, world):
    emp, pupil, offer = world["emp"], world["pupils"][1], world["offer"]
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                 **auth(pupil))
    assert r.status_code == 201, r.text
    app = r.json()
    _wait_state(lambda: len([m for m in mail.to(emp["email"]) if app["id"] in m.text]), 1)
    before = len(mail.to(emp["email"]))
    with suite.rpc() as rpc:
        sent = rpc.notifications.list_messages(actor=ADMIN, status="sent", user_id=emp["user_id"], page_size=200)
    [event_id] = {m["event_id"] for m in sent["items"]
                  if m["template"] == "new_application" and m["refs"].get("application_id") == app["id"]}
    # the same event delivered again (a redelivery, a producer retry): same event_id
    dup = make_envelope("applications", "application.submitted",
                        {"application_id": app["id"], "offer_id": offer["id"], "pupil_id": pupil["user_id"],
                         "employer_id": emp["user_id"], "school_uai": REP_PLUS_COLLEGE, "weeks": app["weeks"],
                         "state": "submitted", "from_state": None, "expires_at": None})
    dup["event_id"] = event_id

    def handled():
        with suite.rpc() as rpc:
            return rpc.notifications.events_handled().get("on_application_submitted", 0)

    done = handled()
    publish_envelopes({"AMQP_URI": suite.amqp_uri}, [(dup, None), (dup, None)])
    deadline = time.monotonic() + 30
    while handled() < done + 2:   # a positive sign: both duplicates went through the handler
        assert time.monotonic() < deadline, "the duplicates were not handled"
        time.sleep(0.1)
    assert len(mail.to(emp["email"])) == before
    with suite.rpc() as rpc:
        again = rpc.notifications.list_messages(actor=ADMIN, status=None, event_id=event_id, page_size=200)
    assert sorted(m["channel"] for m in again["items"] if m["refs"].get("application_id") == app["id"]) == \
        ["email", "in_app"]


def test_an_smtp_outage_delays_messages_without_losing_any(api, suite, mail, world):
    emp = world["emp"]
    with suite.rpc() as rpc:
        offer = suite_offer(rpc, emp["user_id"], seats=5)
        pupils = suite_pupils(rpc, 3)
    mail.proxy.cut()  # the SMTP server is down
    try:
        apps = []
        for p in pupils:
            r = api.post(f"/api/v1/offers/{offer['id']}/applications",
                         json=application_form(offer["offer_weeks"][0]), **auth(p))
            assert r.status_code == 201, r.text  # the platform keeps working
            apps.append(r.json()["id"])

        def delayed():
            with suite.rpc() as rpc:
                items = rpc.notifications.list_messages(actor=ADMIN, status="pending", user_id=emp["user_id"],
                                                        page_size=200)["items"]
            return len([m for m in items if m["template"] == "new_application" and m["channel"] == "email"
                        and m["refs"].get("application_id") in apps and m["attempts"] >= 1
                        and "SMTP" in (m["last_error"] or "")])

        assert _wait_state(delayed, 3) == 3
        assert not [m for m in mail.to(emp["email"]) if any(a in m.text for a in apps)]
    finally:
        mail.proxy.restore()  # back up: the retry timer delivers every message, once

    def delivered():
        return sorted(a for a in apps for m in mail.to(emp["email"]) if a in m.text)

    assert _wait_state(delivered, sorted(apps), timeout=60) == sorted(apps)

    def settled():  # a positive sign that nothing is left to send: every message of these applications is sent
        with suite.rpc() as rpc:
            items = rpc.notifications.list_messages(actor=ADMIN, status=None, user_id=emp["user_id"],
                                                    page_size=200)["items"]
        mine = [m for m in items if m["template"] == "new_application" and m["channel"] == "email"
                and m["refs"].get("application_id") in apps]
        return len(mine) == 3 and all(m["status"] == "sent" for m in mine)

    assert _wait_state(settled, True, timeout=60)
    assert delivered() == sorted(apps)  # once each


def test_reminders_three_days_before_the_deadlines(suite, suite_clock, mail, world):
    emp = world["emp"]
    with suite.rpc() as rpc:
        offer = suite_offer(rpc, emp["user_id"], seats=2)
        [pupil] = suite_pupils(rpc, 1)
        pupil["email"] = rpc.identity.get_contact(pupil["user_id"])["email"]
        app = rpc.applications.submit(actor=pupil["actor"], offer_id=offer["id"],
                                      form=application_form(offer["offer_weeks"][0]))
        # 12 days later (3 days before the 15-day deadline): the employer is reminded
        suite_clock(12 * 86400 + 120)
        rpc.notifications.dispatch_pending()
        # (the module's other pending applications are reminded too: look for this one)
        def reminded():
            return [m for m in mail.to(emp["email"]) if m.subject == "Rappel : une candidature expire dans 3 jours"
                    and app["id"] in m.text]

        _wait_state(lambda: len(reminded()), 1)
        rem = reminded()
        assert len(rem) == 1 and "expirera le" in rem[0].text
        # accepted then: 12 days later the pupil is reminded to confirm (by email; no phone)
        rpc.applications.accept(actor=emp["actor"], application_id=app["id"])
        suite_clock(24 * 86400 + 240)
        rpc.notifications.dispatch_pending()
        r = mail.wait(pupil["email"], "Rappel : confirmez votre stage avant le")
        assert f"{BASE}/eleve/candidatures/{app['id']}" in r.text  # a fresh pupil: only this application
        # each reminder once, however often the timer runs: another pass finds none to fire and none to send
        again = rpc.notifications.dispatch_pending()
        assert again["reminders"] == 0
    assert len([m for m in mail.to(emp["email"]) if m.subject.startswith("Rappel") and app["id"] in m.text]) == 1
    assert len([m for m in mail.to(pupil["email"]) if m.subject.startswith("Rappel")]) == 1


def test_a_full_offer_tells_its_owner(suite, mail, world):
    """offer.full names only the offer: its owner is found from the offers service at send time."""
    emp = world["emp"]
    with suite.rpc() as rpc:
        offer = suite_offer(rpc, emp["user_id"], seats=1)
        [pupil] = suite_pupils(rpc, 1)
        app = rpc.applications.submit(actor=pupil["actor"], offer_id=offer["id"],
                                      form=application_form(offer["offer_weeks"][0]))
        rpc.applications.accept(actor=emp["actor"], application_id=app["id"])
        rpc.applications.confirm(actor=pupil["actor"], application_id=app["id"])
    _wait_state(lambda: len([m for m in mail.to(emp["email"]) if f"/entreprise/offres/{offer['id']}" in m.text]), 1)
    found = [m for m in mail.to(emp["email"]) if f"/entreprise/offres/{offer['id']}" in m.text]
    assert len(found) == 1, [(m.subject, m.text[-200:]) for m in mail.to(emp["email"])][-4:]
    full = found[0]
    assert full.subject == "Votre offre « Boulanger pâtissier » est complète"
    assert "n'apparaît plus dans la recherche" in full.text


def _handled_by_notifications(suite, event_type: str, application_id: str, timeout: float = 40.0) -> str:
    """The id of the applications event ``event_type`` about ``application_id``, once the notifications service
    has handled it (its inbox mark: the positive signal that whatever it causes has been decided)."""
    from sqlalchemy import text

    from common.db import make_engine

    apps_db = make_engine(suite.env["APPLICATIONS_DATABASE_URL"], pool_size=1)
    notif_db = make_engine(suite.env["NOTIFICATIONS_DATABASE_URL"], pool_size=1)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with apps_db.connect() as c:
                event_id = c.execute(text("SELECT event_id FROM outbox WHERE type = :t "
                                          "AND envelope->'data'->>'application_id' = :a"),
                                     {"t": event_type, "a": application_id}).scalar()
            if event_id:
                with notif_db.connect() as c:
                    if c.execute(text("SELECT 1 FROM inbox WHERE event_id = :e"), {"e": event_id}).first():
                        return event_id
            if time.monotonic() > deadline:
                raise AssertionError(f"notifications did not handle {event_type} of {application_id} in {timeout}s")
            time.sleep(0.2)
    finally:
        apps_db.dispose()
        notif_db.dispose()


def test_confirming_tells_the_employer_once_with_the_right_message(api, suite, mail, world):
    """Issue 13 item 8: a pupil who applied to two offers of one employer (and one of another) confirms one:
    that employer gets « X a confirmé son stage » only, not also « X a choisi un autre stage » for the
    other; the other employer gets « a choisi un autre stage »."""
    emp = world["emp"]
    with suite.rpc() as rpc:
        other = _account(rpc, mail, "employer", "Lucie", "Moreau", f"employer.{uuid.uuid4().hex[:12]}@example.com",
                         function="Gérante", phone="06" + "".join(str(uuid.uuid4().int)[:8]))
        mine = [suite_offer(rpc, emp["user_id"], seats=3) for _ in range(2)]
        theirs = suite_offer(rpc, other["user_id"], seats=3)
        [pupil] = suite_pupils(rpc, 1)
    apps = []
    for offer in (*mine, theirs):
        r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                     **auth(pupil))
        assert r.status_code == 201, r.text
        apps.append(r.json()["id"])
    r = api.post(f"/api/v1/applications/{apps[0]}/accept", json={}, **auth(emp))
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/applications/{apps[0]}/confirm", **auth(pupil))
    assert r.status_code == 200 and r.json()["state"] == "confirmed", r.text

    def about(address, app_id, words):
        return [m for m in mail.to(address) if words in m.subject and f"/entreprise/candidatures/{app_id}" in m.text]

    # the other employer: told the pupil chose another internship
    _wait_state(lambda: len(about(other["email"], apps[2], "a choisi un autre stage")), 1)
    assert len(about(other["email"], apps[2], "a choisi un autre stage")) == 1
    # this employer: the confirmation, once
    _wait_state(lambda: len(about(emp["email"], apps[0], "a confirmé son stage")), 1)
    assert len(about(emp["email"], apps[0], "a confirmé son stage")) == 1
    # once notifications has handled the cancellation of the pupil's other application to this employer
    # (positive signal), nothing was planned for it: no « a choisi un autre stage », no intent at all
    event_id = _handled_by_notifications(suite, "application.cancelled", apps[1])
    with suite.rpc() as rpc:
        sent = rpc.notifications.list_messages(actor=ADMIN, status=None, event_id=event_id, page_size=200)
    assert sent["items"] == []
    assert about(emp["email"], apps[1], "a choisi un autre stage") == []
    assert [m.subject for m in mail.to(emp["email"]) if "a choisi un autre stage" in m.subject
            and any(f"/entreprise/candidatures/{a}" in m.text for a in apps)] == []
