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
