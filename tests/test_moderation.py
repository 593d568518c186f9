"""Issue 21, reporting and moderation of offers, across the real suite and a real SMTP server: two people's reports
hide an offer from the search (one does not), an admin's « keep » brings it back, a request for changes tells the
employer the reason by e-mail and keeps the offer unpublished until it is changed, a removal cancels the
applications in progress and tells the pupil; refusals are problem+json in French."""
import time
import uuid

import pytest

from testkit.applications import application_form, suite_employer, suite_offer, suite_pupils
from testkit.sms import FakeSmsApi
from testkit.smtp import SmtpTestServer
from testkit.tokens import admin_token

pytestmark = pytest.mark.suite


class Mailbox:
    def __init__(self, server: SmtpTestServer):
        self.server = server

    def wait(self, address: str, subject: str, timeout: float = 40.0):
        """The first message whose subject starts with ``subject`` sent to ``address``."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.server.received if address.lower() in [r.lower() for r in m.rcpt_tos]
                     and m.subject.startswith(subject)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no {subject!r} to {address} within {timeout}s")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def mail(suite):
    with SmtpTestServer("plain") as server, FakeSmsApi() as sms:
        with suite.rpc() as rpc:
            configured = rpc.notifications_test_hooks.configure_outbound(settings={
                "SMTP_HOST": server.host, "SMTP_PORT": server.port, "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 3,
                "SMS_PROVIDER": "http", "SMS_HTTP_URL": sms.url, "SMS_HTTP_TOKEN": "sms-token",
                "STAGES_PUBLIC_URL": "https://stages.test", "NOTIFICATIONS_RETRY_BASE": 1,
                "NOTIFICATIONS_RETRY_MAX": 2})
        assert configured["containers"] == 1
        yield Mailbox(server)


@pytest.fixture(scope="module")
def world(suite, mail):
    from testkit.pytest_plugin import ApiClient
    api = ApiClient(suite.url)
    with suite.rpc() as rpc:
        emp = suite_employer(rpc)
        emp["email"] = rpc.identity.get_contact(user_id=emp["user_id"])["email"]
        pupils = suite_pupils(rpc, 3)
        for p in pupils:
            p["email"] = rpc.identity.get_contact(user_id=p["user_id"])["email"]
        demo = rpc.identity.seed_demo()
    yield {"emp": emp, "pupils": pupils, "admin": admin_token(api, demo), "suite": suite}
    api.http.close()


def new_offer(world, tag):
    with world["suite"].rpc() as rpc:
        return suite_offer(rpc, world["emp"]["user_id"], title=f"Ébéniste {tag}")


def found(api, token, tag) -> set:
    # around Mâcon, where the test offers are (a pupil's default centre is their school, in Marseille)
    r = api.get("/api/v1/offers", params={"commune": "71270", "radius_km": 30, "q": tag}, token=token)
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


def report(api, offer_id, token=None, **body):
    return api.post(f"/api/v1/offers/{offer_id}/reports", json=body or {"reason": "disguised_work"}, token=token)


def decide(api, world, offer_id, **body):
    return api.post(f"/api/v1/admin/offers/{offer_id}/moderation", json=body, token=world["admin"],
                    headers={"Idempotency-Key": str(uuid.uuid4())})


def problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/problem+json"
    return r.json()


def test_two_reporters_hide_an_offer_until_an_admin_keeps_it(api, world):
    tag = "mod" + uuid.uuid4().hex[:8]
    offer = new_offer(world, tag)
    pupil = world["pupils"][0]
    assert offer["id"] in found(api, pupil["token"], tag)
    # one person (twice): still found
    for _ in range(2):
        r = report(api, offer["id"], pupil["token"], reason="not_observation")
        assert r.status_code == 201, r.text
    assert r.json()["created"] is False
    assert offer["id"] in found(api, pupil["token"], tag)
    # a second person, a visitor without an account: hidden from the search
    r = report(api, offer["id"], reason="other", text="Le descriptif parle de livraisons.")
    assert r.status_code == 201 and r.json()["created"] is True, r.text
    assert offer["id"] not in found(api, pupil["token"], tag)
    assert offer["id"] not in found(api, None, tag)
    # the queue: admins only, counts by reason
    assert problem(api.get("/api/v1/admin/moderation/offers", token=pupil["token"]), 403)
    assert problem(api.get("/api/v1/admin/moderation/offers", token=world["emp"]["token"]), 403)
    queue = api.get("/api/v1/admin/moderation/offers", token=world["admin"])
    assert queue.status_code == 200, queue.text
    [item] = [i for i in queue.json()["items"] if i["offer_id"] == offer["id"]]
    assert item["hidden"] is True and item["reports"] == 2
    assert item["counts"]["not_observation"] == 1 and item["counts"]["other"] == 1
    assert problem(decide(api, {**world, "admin": pupil["token"]}, offer["id"], decision="keep"), 403)
    # keep: visible again, out of the queue
    r = decide(api, world, offer["id"], decision="keep")
    assert r.status_code == 201 and r.json()["report_counts"]["other"] == 1, r.text
    assert offer["id"] in found(api, pupil["token"], tag)
    queue = api.get("/api/v1/admin/moderation/offers", token=world["admin"]).json()
    assert offer["id"] not in {i["offer_id"] for i in queue["items"]}


def test_bad_input_is_refused_in_french_field_by_field(api, world):
    offer = new_offer(world, "bad" + uuid.uuid4().hex[:8])
    body = problem(report(api, offer["id"], world["pupils"][1]["token"], reason="other"), 422)
    assert body["errors"]["text"] == ["Précisez le motif du signalement."]
    body = problem(report(api, offer["id"], world["pupils"][1]["token"], reason="ennuyeux"), 422)
    assert "reason" in body["errors"]
    body = problem(decide(api, world, offer["id"], decision="remove"), 422)
    assert body["errors"]["reason"] == ["Indiquez le motif de la décision : il sera envoyé à l'employeur."]
    body = problem(decide(api, world, offer["id"], decision="request_changes", reason="   "), 422)
    assert "reason" in body["errors"]
    problem(decide(api, world, offer["id"], decision="ban", reason="x"), 422)
    problem(report(api, str(uuid.uuid4()), world["pupils"][1]["token"]), 404)


def test_a_request_for_changes_tells_the_employer_and_waits_for_an_edit(api, world, mail):
    emp = world["emp"]
    offer = new_offer(world, "chg" + uuid.uuid4().hex[:8])
    reason = "Décrivez les activités d'observation : le descriptif ressemble à une offre d'emploi."
    r = decide(api, world, offer["id"], decision="request_changes", reason=reason)
    assert r.status_code == 201, r.text
    message = mail.wait(emp["email"], "Modifications demandées sur votre offre")
    assert reason in message.text and "/entreprise/offres/" + offer["id"] in message.text
    history = api.get(f"/api/v1/offers/{offer['id']}/moderation", token=emp["token"])
    assert history.status_code == 200, history.text
    assert history.json()["status"] == "changes_requested"
    assert [(h["decision"], h["reason"]) for h in history.json()["items"]] == [("request_changes", reason)]
    assert api.get(f"/api/v1/offers/{offer['id']}/moderation", token=world["pupils"][0]["token"]).status_code == 403
    assert api.get(f"/api/v1/offers/{offer['id']}", token=emp["token"]).json()["state"] == "unpublished"
    body = problem(api.post(f"/api/v1/offers/{offer['id']}/publish", token=emp["token"]), 409)
    assert body["code"] == "changes_requested"
    r = api.patch(f"/api/v1/offers/{offer['id']}", json={"step": "place", "title": "Ébéniste : observation"},
                  token=emp["token"])
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/offers/{offer['id']}/publish", token=emp["token"])
    assert r.status_code == 200 and r.json()["offers"][0]["state"] == "published", r.text


def test_a_removal_cancels_the_applications_and_tells_the_pupil_and_the_employer(api, world, mail):
    emp, pupil = world["emp"], world["pupils"][2]
    offer = new_offer(world, "rm" + uuid.uuid4().hex[:8])
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                 token=pupil["token"])
    assert r.status_code == 201, r.text
    application = r.json()
    reason = "Offre d'emploi déguisée : travail de nuit."
    r = decide(api, world, offer["id"], decision="remove", reason=reason)
    assert r.status_code == 201 and r.json()["decision"] == "remove", r.text
    assert api.get(f"/api/v1/offers/{offer['id']}", token=pupil["token"]).status_code == 404
    deadline = time.monotonic() + 30
    while True:
        state = api.get(f"/api/v1/applications/{application['id']}", token=pupil["token"]).json()["state"]
        if state == "cancelled_by_employer" or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert state == "cancelled_by_employer"
    told = mail.wait(pupil["email"], "Votre candidature a été annulée : l'offre a été retirée")
    assert "retirée de la plateforme" in told.text
    removed = mail.wait(emp["email"], "Votre offre")
    assert "supprimée par la modération" in removed.subject and reason in removed.text
