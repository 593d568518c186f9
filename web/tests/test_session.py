"""Tokens stay on the server and are renewed for the user; a refused renewal ends the session cleanly.
Against the real suite (gateway + services): nothing here is mocked."""
import threading
import uuid

import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.suite

PASSWORD = "Correct-Horse-42!"


@pytest.fixture
def web(suite):
    with override_settings(GATEWAY_URL=suite.url):
        yield suite


@pytest.fixture
def employer(web):
    email = f"web.session.{uuid.uuid4().hex[:10]}@example.com"
    with web.rpc() as rpc:
        rpc.identity.register(data={"role": "employer", "first_name": "Lina", "last_name": "Roux",
                                    "function": "Gérante", "email": email, "password": PASSWORD},
                              client={"ip": "10.1.2.3", "user_agent": "web-tests"})
        rpc.identity.activate(rpc.identity_test_hooks.last_secret("activation", email))
    return email


def _login(email) -> Client:
    c = Client()
    r = c.post("/connexion", {"identifier": email, "password": PASSWORD})
    assert r.status_code == 302, r.content.decode()[:2000]
    return c


def _expire(client):
    s = client.session
    auth = s["auth"]
    auth["expires_at"] = 0
    s["auth"] = auth
    s.save()
    return auth


def test_the_browser_holds_only_an_httponly_session_cookie(web, employer):
    c = _login(employer)
    cookie = c.cookies["stages_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert list(c.cookies) == ["stages_session"]
    r = c.get("/compte")
    assert r.status_code == 200
    assert c.session["auth"]["access_token"] not in r.content.decode()


def test_an_expiring_access_token_is_renewed_once_even_by_parallel_requests(web, employer):
    c = _login(employer)
    before = _expire(c)
    key = c.cookies["stages_session"].value
    results = []

    def get():
        other = Client()
        other.cookies["stages_session"] = key
        results.append(other.get("/compte").status_code)

    threads = [threading.Thread(target=get) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 4
    after = c.session["auth"]
    assert after["refresh_token"] != before["refresh_token"] and after["expires_at"] > 0
    # the session is still valid at the gateway (no refresh token was replayed)
    assert c.get("/compte").status_code == 200


def test_a_refused_renewal_logs_the_user_out_with_a_french_message(web, employer):
    c = _login(employer)
    auth = _expire(c)
    r = Client().post("/deconnexion")  # anonymous logout: nothing happens to this session
    assert r.status_code == 302
    # the platform revokes the session (e.g. the password was changed elsewhere)
    import requests
    requests.post(web.url + "/api/v1/auth/logout", json={"refresh_token": auth["refresh_token"]}, timeout=30)
    r = c.get("/compte")
    assert r.status_code == 302 and r["Location"].startswith("/connexion?next=%2Fcompte")
    page = c.get(r["Location"]).content.decode()
    assert "Votre session a pris fin" in page
    assert "auth" not in c.session
