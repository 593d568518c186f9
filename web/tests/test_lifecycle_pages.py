"""« Supprimer mon compte » against the real suite: confirmed with the password, the account is anonymised and the
browser's session ends; a wrong password is told next to its field."""
import uuid

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.suite

PASSWORD = "Correct-Horse-42!"


@pytest.fixture
def web(suite):
    with override_settings(GATEWAY_URL=suite.url):
        yield suite


def _employer(web) -> tuple[str, str]:
    email = f"web.deletion.{uuid.uuid4().hex[:10]}@example.com"
    with web.rpc() as rpc:
        rpc.identity.register(data={"role": "employer", "first_name": "Lina", "last_name": "Roux",
                                    "function": "Gérante", "email": email, "password": PASSWORD},
                              client={"ip": "10.1.2.3", "user_agent": "web-tests"})
        uid = rpc.identity.activate(rpc.identity_test_hooks.last_secret("activation", email))["user_id"]
    return email, uid


def test_deleting_my_account_from_the_account_page(web):
    email, uid = _employer(web)
    c = Client()
    assert c.post("/connexion", {"identifier": email, "password": PASSWORD}).status_code == 302
    assert "/compte/suppression" in c.get("/compte").content.decode()
    r = c.get("/compte/suppression")
    page = r.content.decode()
    assert r.status_code == 200 and "confirmez en saisissant votre mot de passe" in page
    assert "Supprimer définitivement mon compte" in page
    r = c.post("/compte/suppression", {"password": "pas-le-bon"})
    assert r.status_code == 200 and "Mot de passe incorrect." in r.content.decode()
    r = c.post("/compte/suppression", {"password": PASSWORD})
    assert r.status_code == 302 and r.url == "/"
    assert "votre compte est supprimé" in c.get("/").content.decode().lower()
    with web.rpc() as rpc:
        assert rpc.identity.get_contact(uid)["anonymized"] is True
    assert c.get("/compte").status_code == 302          # no session any more: to the login page


# -- the administrators' rollover page (against a fake gateway that records each call) ------------------------

def _report(status, remaining):
    step = {"changed": 3, "seen": 3, "remaining": remaining, "finished": remaining == 0}
    part = {"service": "identity", "school_year": "2025-2026", "status": status, "started_at": None,
            "finished_at": None, "steps": {"pupils": step}}
    return {"school_year": "2025-2026", "status": status,
            "services": {"identity": part, "conventions": {**part, "service": "conventions",
                                                           "steps": {"signed_agreements": step}}}}


def test_an_admin_follows_and_resumes_the_rollover(monkeypatch):
    from stages_web.gateway import ApiError
    from testkit.web import FakeGateway, tokens

    fake = FakeGateway(monkeypatch, {
        "login": tokens("admin"), "rollover_progress": _report("in_progress", 7),
        "rollover_start": lambda kw: (_report("finished", 0) if kw["school_year"] == "2025-2026" else ApiError(
            422, {"detail": "x", "errors": {"school_year": ["L'année scolaire 2099-2100 n'est pas terminée."]}}))})
    c = Client()
    assert c.post("/connexion", {"identifier": "x@example.com", "password": "x", "totp_code": "123456"}).status_code == 302
    html = c.get("/administration/passage-annee").content.decode()
    assert "Année scolaire terminée" in html and "Avancement par service" not in html
    html = c.get("/administration/passage-annee?school_year=2025-2026").content.decode()
    assert "en cours" in html and "signed_agreements" in html and "Reprendre le passage" in html
    assert fake.named("rollover_progress") == [{"school_year": "2025-2026"}]
    r = c.post("/administration/passage-annee", {"school_year": "2025-2026"})
    assert r.status_code == 302 and fake.named("rollover_start") == [{"school_year": "2025-2026"}]
    r = c.post("/administration/passage-annee", {"school_year": "2099-2100"})
    assert r.status_code == 422 and "n&#x27;est pas terminée" in r.content.decode()
    r = c.get("/administration/passage-annee?school_year=pas-une-annee")
    assert r.status_code == 422 and "Année scolaire invalide" in r.content.decode()
