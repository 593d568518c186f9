"""Accounts and employer teams through the gateway, with every service running as a process and a real SMTP server:
a profile changed at once; a new e-mail address confirmed from itself (the old one is told, the new one logs in, the
old one no longer); an unconfirmed change changes nothing; an address of another account gets the same answer
(its owner is told); a new mobile number confirmed with the SMS code (the old number is told); a colleague who
joins an employer's space answers an application to an offer they did not create; a non-member is refused."""
import re
import time
import uuid

import pytest

from testkit.applications import application_form, suite_offer, suite_pupils
from testkit.sms import FakeSmsApi
from testkit.smtp import SmtpTestServer

pytestmark = pytest.mark.suite

PASSWORD = "Correct-Horse-42!"
BASE = "https://stages.test"


class Mailbox:
    def __init__(self, server: SmtpTestServer, sms: FakeSmsApi):
        self.server, self.sms = server, sms

    def to(self, address: str) -> list:
        return [m for m in self.server.received if address.lower() in [r.lower() for r in m.rcpt_tos]]

    def wait(self, address: str, subject: str, timeout: float = 40.0):
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.to(address) if m.subject.startswith(subject)]
            if found:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no {subject!r} to {address} within {timeout}s; got "
                                     f"{[m.subject for m in self.to(address)]}")
            time.sleep(0.2)

    def wait_sms(self, number: str, contains: str, timeout: float = 40.0) -> str:
        found = self.sms.wait_for(lambda j: j.get("to") == number and contains in j.get("text", ""), timeout)
        assert found, f"no SMS containing {contains!r} to {number}"
        return found[-1]["json"]["text"]


@pytest.fixture(scope="module")
def mail(suite):
    with SmtpTestServer("plain") as server, FakeSmsApi() as sms:
        with suite.rpc() as rpc:
            rpc.notifications_test_hooks.configure_outbound(settings={
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": server.port, "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 3,
                "SMS_PROVIDER": "http", "SMS_HTTP_URL": sms.url, "SMS_HTTP_TOKEN": "sms-token",
                "STAGES_PUBLIC_URL": BASE, "NOTIFICATIONS_RETRY_BASE": 1, "NOTIFICATIONS_RETRY_MAX": 2})
        yield Mailbox(server, sms)


def secret(suite, kind, key):
    with suite.rpc() as rpc:
        return rpc.identity_test_hooks.last_secret(kind, key)


def login(api, identifier, password=PASSWORD):
    return api.post("/api/v1/auth/login", json={"identifier": identifier, "password": password})


def new_employer(api, suite, first="Paul", phone=None):
    email = f"employeur.{uuid.uuid4().hex[:10]}@example.com"
    body = {"role": "employer", "first_name": first, "last_name": "Durand", "function": "Gérant", "email": email,
            "password": PASSWORD}
    if phone:
        body["phone"] = phone
    assert api.post("/api/v1/auth/register", json=body).status_code == 201
    assert api.post("/api/v1/auth/activate", json={"token": secret(suite, "activation", email)}).status_code == 200
    s = login(api, email).json()
    return {"email": email, "token": s["access_token"], "user_id": s["user"]["id"]}


def mobile() -> str:
    return "+336" + str(uuid.uuid4().int)[:8]


def test_profile_changes_apply_at_once_field_by_field(api, suite):
    emp = new_employer(api, suite)
    r = api.patch("/api/v1/me", json={"first_name": "Paula", "job_title": "Directrice"}, token=emp["token"])
    assert r.status_code == 200, r.text
    assert r.json()["first_name"] == "Paula" and r.json()["job_title"] == "Directrice"
    assert api.get("/api/v1/me", token=emp["token"]).json()["first_name"] == "Paula"
    r = api.patch("/api/v1/me", json={"last_name": "  ", "function": "head", "job_title": ""}, token=emp["token"])
    assert r.status_code == 422 and r.headers["Content-Type"].startswith("application/problem+json")
    errors = r.json()["errors"]
    assert set(errors) == {"last_name", "function", "job_title"}
    assert errors["function"] == ["Seuls les personnels d'établissement ont une fonction."]
    assert api.patch("/api/v1/me", json={}, token=emp["token"]).status_code in (400, 422)
    assert api.patch("/api/v1/me", json={"first_name": "X"}).status_code == 401


def test_an_email_change_confirmed_from_the_new_address(api, suite, mail):
    emp = new_employer(api, suite)
    new = f"nouvelle.{uuid.uuid4().hex[:10]}@example.org"
    r = api.post("/api/v1/me/email", json={"email": new.upper()}, token=emp["token"])
    assert r.status_code == 202 and r.json()["status"] == "accepted"
    confirm = mail.wait(new, "Confirmez votre nouvelle adresse e-mail")
    token = re.search(r"/compte/adresse/confirmer\?token=([\w\-]+)", confirm.text).group(1)
    assert token == secret(suite, "email_change", new)
    # nothing changed before the confirmation
    assert api.get("/api/v1/me", token=emp["token"]).json()["email"] == emp["email"]
    assert login(api, new).status_code == 401
    r = api.post("/api/v1/me/email/confirm", json={"token": token})   # from the link, not logged in
    assert r.status_code == 200, r.text
    assert r.json()["email"] == new
    notice = mail.wait(emp["email"], "Votre adresse e-mail a été modifiée")
    assert "si ce n'est pas vous" in notice.text.lower()
    assert login(api, new).status_code == 200
    assert login(api, emp["email"]).status_code == 401
    assert api.get("/api/v1/me", token=emp["token"]).json()["email"] == new
    again = api.post("/api/v1/me/email/confirm", json={"token": token})
    assert again.status_code == 409 and again.json()["code"] == "change_used"
    assert api.post("/api/v1/me/email/confirm", json={"token": "nope"}).status_code == 404


def test_an_unconfirmed_change_changes_nothing_and_expires(api, suite, suite_clock):
    emp = new_employer(api, suite)
    new = f"jamais.{uuid.uuid4().hex[:10]}@example.org"
    assert api.post("/api/v1/me/email", json={"email": new}, token=emp["token"]).status_code == 202
    token = secret(suite, "email_change", new)
    assert api.get("/api/v1/me", token=emp["token"]).json()["email"] == emp["email"]
    assert login(api, emp["email"]).status_code == 200 and login(api, new).status_code == 401
    suite_clock(24 * 3600 + 60)
    r = api.post("/api/v1/me/email/confirm", json={"token": token})
    assert r.status_code == 409 and r.json()["code"] == "change_expired"
    suite_clock(0)
    assert login(api, emp["email"]).status_code == 200


def test_an_address_of_another_account_gets_the_neutral_answer(api, suite, mail):
    emp = new_employer(api, suite)
    other = new_employer(api, suite, first="Lina")
    free = api.post("/api/v1/me/email", json={"email": f"libre.{uuid.uuid4().hex[:8]}@example.org"},
                    token=emp["token"])
    taken = api.post("/api/v1/me/email", json={"email": other["email"]}, token=emp["token"])
    assert taken.status_code == free.status_code == 202
    assert taken.json() == free.json()
    told = mail.wait(other["email"], "Votre adresse e-mail a été saisie pour un autre compte")
    assert "/compte/adresse/confirmer" not in told.text
    assert api.get("/api/v1/me", token=emp["token"]).json()["email"] == emp["email"]
    r = api.post("/api/v1/me/email", json={"email": "pas-une-adresse"}, token=emp["token"])
    assert r.status_code == 422 and r.json()["errors"]["email"] == ["Adresse e-mail invalide."]


def test_a_new_mobile_number_confirmed_with_the_sms_code(api, suite, mail):
    old = mobile()
    emp = new_employer(api, suite, phone=old)
    new = mobile()
    assert api.post("/api/v1/me/phone", json={"phone": new}, token=emp["token"]).status_code == 202
    text = mail.wait_sms(new, "code")
    code = re.search(r"\b(\d{6})\b", text).group(1)
    assert code == secret(suite, "phone_change", emp["user_id"])
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    r = api.post("/api/v1/me/phone/confirm", json={"code": wrong}, token=emp["token"])
    assert r.status_code == 422 and r.json()["errors"]["code"] == ["Code incorrect."]
    assert api.get("/api/v1/me", token=emp["token"]).json()["phone"] == old
    r = api.post("/api/v1/me/phone/confirm", json={"code": code}, token=emp["token"])
    assert r.status_code == 200, r.text
    assert api.get("/api/v1/me", token=emp["token"]).json()["phone"] == new
    assert "modifié" in mail.wait_sms(old, "modifié")
    assert login(api, new).status_code == 200


def invite_link(mail, email) -> str:
    invitation = mail.wait(email, "Invitation à rejoindre un espace employeur")
    return re.search(r"/espaces/invitation\?token=([\w\-]+)", invitation.text).group(1)


def test_a_colleague_joins_the_space_and_answers_an_application_to_an_offer_they_did_not_create(api, suite, mail):
    owner = new_employer(api, suite, first="Claire")
    colleague = new_employer(api, suite, first="Karim")
    stranger = new_employer(api, suite, first="Lina")
    space_id = owner["user_id"]   # every employer's personal space has their user id
    with suite.rpc() as rpc:
        offer = suite_offer(rpc, owner["user_id"], seats=2)
        pupil, second = suite_pupils(rpc, 2)
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                 token=pupil["token"], headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    # only the owner invites; the colleague is not a member yet
    assert api.post(f"/api/v1/spaces/{space_id}/invitations", json={"email": stranger["email"]},
                    token=colleague["token"]).status_code == 404
    r = api.post(f"/api/v1/spaces/{space_id}/invitations", json={"email": colleague["email"]}, token=owner["token"])
    assert r.status_code == 201, r.text
    token = invite_link(mail, colleague["email"])
    assert token == secret(suite, "space_invitation", colleague["email"])
    info = api.post("/api/v1/public/space-invitations/read", json={"token": token})
    assert info.status_code == 200 and info.json()["has_account"] is True and info.json()["space_id"] == space_id
    # before joining, the colleague can neither read nor answer the application
    assert api.get(f"/api/v1/applications/{app_id}", token=colleague["token"]).status_code in (403, 404)
    r = api.post("/api/v1/space-invitations/accept", json={"token": token}, token=colleague["token"])
    assert r.status_code == 200, r.text
    assert api.post("/api/v1/space-invitations/accept", json={"token": token},
                    token=colleague["token"]).status_code == 409
    member = login(api, colleague["email"]).json()
    assert member["claims"]["space_id"] == space_id
    members = api.get(f"/api/v1/spaces/{space_id}/members", token=member["access_token"]).json()["members"]
    assert {(m["user_id"], m["role"]) for m in members} == {(owner["user_id"], "owner"),
                                                             (colleague["user_id"], "member")}
    listed = api.get("/api/v1/applications", token=member["access_token"]).json()["items"]
    assert app_id in {a["id"] for a in listed}
    mine = api.get("/api/v1/me/offers", token=member["access_token"]).json()["items"]
    assert offer["id"] in {o["id"] for o in mine}
    r = api.post(f"/api/v1/applications/{app_id}/accept", json={"message": "À lundi !"}, token=member["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted_by_employer"
    # messages meant for « the employer » now reach the colleague too
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                 token=second["token"], headers={"Idempotency-Key": str(uuid.uuid4())})
    assert r.status_code == 201, r.text
    assert mail.wait(colleague["email"], "Nouvelle candidature")
    assert mail.wait(owner["email"], "Nouvelle candidature")
    # a non-member is refused, and learns nothing of the space
    for path in (f"/api/v1/applications/{app_id}", f"/api/v1/spaces/{space_id}/members"):
        assert api.get(path, token=stranger["token"]).status_code in (403, 404)
    assert api.post(f"/api/v1/applications/{app_id}/reject", json={"reason": "Complet"},
                    token=stranger["token"]).status_code in (403, 404)
    # the colleague leaves: the space's records are no longer theirs
    r = api.delete(f"/api/v1/spaces/{space_id}/members/{colleague['user_id']}", token=member["access_token"])
    assert r.status_code == 200, r.text
    after = login(api, colleague["email"]).json()
    assert after["claims"]["space_id"] == colleague["user_id"]
    assert api.get(f"/api/v1/applications/{app_id}", token=after["access_token"]).status_code in (403, 404)


def test_a_new_person_creates_their_account_from_the_invitation_and_the_owner_removes_them(api, suite, mail):
    owner = new_employer(api, suite, first="Claire")
    email = f"nouveau.{uuid.uuid4().hex[:10]}@example.com"
    space_id = owner["user_id"]
    assert api.post(f"/api/v1/spaces/{space_id}/invitations", json={"email": email},
                    token=owner["token"]).status_code == 201
    token = invite_link(mail, email)
    bad = api.post("/api/v1/public/space-invitations/join", json={"token": token, "first_name": "Karim",
                                                                  "last_name": "", "job_title": "B",
                                                                  "password": "faible"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"last_name", "job_title", "password"}
    r = api.post("/api/v1/public/space-invitations/join", json={"token": token, "first_name": "Karim",
                                                                "last_name": "Benali", "job_title": "Boulanger",
                                                                "password": PASSWORD})
    assert r.status_code == 201, r.text
    new = login(api, email).json()
    assert new["claims"]["space_id"] == space_id and new["user"]["role"] == "employer"
    assert api.delete(f"/api/v1/spaces/{space_id}/members/{owner['user_id']}",
                      token=new["access_token"]).status_code == 403
    r = api.delete(f"/api/v1/spaces/{space_id}/members/{new['user']['id']}", token=owner["token"])
    assert r.status_code == 200, r.text
    assert api.get("/api/v1/me", token=new["access_token"]).status_code == 401   # their sessions were closed
    assert login(api, email).json()["claims"]["space_id"] == new["user"]["id"]
