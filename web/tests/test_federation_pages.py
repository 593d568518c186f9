"""National sign-in pages against a fake gateway (the journey through the real provider, gateway and services runs
in tests/browser/test_federation.py): the buttons only for configured providers, the provider's return opening the
session like the password login, the refusals explained, logout through the provider, linking a pupil's account."""
from django.conf import settings
from django.test import Client

from stages_web.gateway import ApiError
from testkit.web import FakeGateway, tokens

BOTH = {"providers": [{"name": "educonnect", "label": "ÉduConnect"}, {"name": "fim", "label": "FIM"}]}
AUTH_URL = "http://127.0.0.1:8090/educonnect/auth?state=s1"
END_URL = "http://127.0.0.1:8090/educonnect/session/end?id_token_hint=t"


def test_the_buttons_show_only_for_configured_providers(monkeypatch):
    FakeGateway(monkeypatch, {"federation_providers": BOTH})
    html = Client().get("/connexion").content.decode()
    assert "Se connecter avec" in html and "ÉduConnect" in html
    assert "Se connecter avec mon compte académique (FIM)" in html
    assert 'action="/connexion/educonnect"' in html and 'action="/connexion/agents"' in html
    FakeGateway(monkeypatch, {"federation_providers": {"providers": [{"name": "fim", "label": "FIM"}]}})
    html = Client().get("/connexion").content.decode()
    assert "ÉduConnect" not in html and "mon compte académique (FIM)" in html
    FakeGateway(monkeypatch, {"federation_providers": ApiError(503, {"detail": "Indisponible"})})
    r = Client().get("/connexion")
    assert r.status_code == 200 and "mon compte académique" not in r.content.decode()


def test_a_pupil_signs_in_with_educonnect_and_logs_out_of_it_too(monkeypatch):
    fake = FakeGateway(monkeypatch, {
        "federation_start": {"authorization_url": AUTH_URL, "expires_in": 600},
        "federation_callback": {**tokens("pupil", school_uai="0131884C", grade="troisieme"),
                                "federation": {"provider": "educonnect", "end_session_url": END_URL}},
        "logout": {"status": "ok", "revoked_sessions": 1}})
    c = Client()
    r = c.post("/connexion/educonnect", {"next": ""})
    assert r.status_code == 302 and r["Location"] == AUTH_URL
    call, = fake.named("federation_start")
    assert call["provider"] == "educonnect" and call["json"] == {
        "redirect_uri": settings.PUBLIC_URL + "/connexion/educonnect/retour", "purpose": "login"}
    r = c.get("/connexion/educonnect/retour", {"code": "c1", "state": "s1", "iss": "http://127.0.0.1:8090/educonnect"})
    assert r.status_code == 302 and r["Location"] == "/eleve/candidatures"
    assert fake.named("federation_callback")[0]["json"] == {"code": "c1", "state": "s1",
                                                            "iss": "http://127.0.0.1:8090/educonnect"}
    assert c.session["auth"]["user"]["role"] == "pupil"
    r = c.post("/deconnexion")
    assert r.status_code == 302 and r["Location"] == END_URL and "auth" not in c.session
    assert fake.named("logout")
    # a password login after a federated one, in the same browser, logs out of the platform only
    c.get("/connexion/educonnect/retour", {"code": "c2", "state": "s2"})
    fake.answers["login"] = tokens("pupil")
    assert c.post("/connexion", {"identifier": "inaya@example.com", "password": "x"}).status_code == 302
    assert c.post("/deconnexion")["Location"] == "/"


def test_agents_sign_in_through_fim(monkeypatch):
    fake = FakeGateway(monkeypatch, {
        "federation_start": {"authorization_url": "http://op/fim/auth", "expires_in": 600},
        "federation_callback": {**tokens("school_staff", school_uai="0131884C"),
                                "federation": {"provider": "fim", "end_session_url": None}}})
    c = Client()
    assert c.post("/connexion/agents")["Location"] == "http://op/fim/auth"
    assert fake.named("federation_start")[0]["provider"] == "fim"
    r = c.get("/connexion/agents/retour", {"code": "c", "state": "s"})
    assert r["Location"] == "/etablissement" and fake.named("federation_callback")[0]["provider"] == "fim"


def test_refusals_are_explained(monkeypatch):
    answers = {"federation_callback": None}
    FakeGateway(monkeypatch, answers)
    c = Client()
    answers["federation_callback"] = ApiError(403, {"code": "federation_parent", "detail": "Réservé aux élèves.",
                                                    "end_session_url": END_URL})
    r = c.get("/connexion/educonnect/retour", {"code": "c", "state": "s"})
    html = r.content.decode()
    assert r.status_code == 403 and "réservé aux élèves" in html and "son propre compte ÉduConnect" in html
    assert f'href="{END_URL}"' in html and "fermez aussi cette session" in html
    answers["federation_callback"] = ApiError(403, {"code": "federation_unknown_school",
                                                    "detail": "Votre établissement (0139999Z) n'est pas raccordé."})
    r = c.get("/connexion/educonnect/retour", {"code": "c", "state": "s"})
    html = r.content.decode()
    assert r.status_code == 403 and "pas encore raccordé" in html and "professeur" in html
    answers["federation_callback"] = ApiError(422, {"code": "federation_state_invalid",
                                                    "detail": "Cette tentative de connexion n'est plus valable."})
    r = c.get("/connexion/educonnect/retour", {"code": "c", "state": "s"})
    assert r.status_code == 422 and "plus valable" in r.content.decode()
    r = c.get("/connexion/educonnect/retour", {"error": "access_denied", "state": "s"})
    assert r.status_code == 400 and "Vous pouvez recommencer" in r.content.decode()
    assert "auth" not in c.session
    r = c.post("/connexion/franceconnect")
    assert r.status_code == 404


def test_a_pupil_links_their_account(monkeypatch):
    fake = FakeGateway(monkeypatch, {
        "login": tokens("pupil"), "federation_providers": BOTH,
        "me": {"id": "u1", "role": "pupil", "status": "active", "first_name": "Inaya", "last_name": "Benali"},
        "federation_start": {"authorization_url": AUTH_URL, "expires_in": 600},
        "federation_callback": {"linked": True, "provider": "educonnect"}})
    c = Client()
    c.post("/connexion", {"identifier": "inaya@example.com", "password": "x"})
    html = c.get("/compte").content.decode()
    assert "Lier mon compte ÉduConnect" in html and 'action="/compte/educonnect/lier"' in html
    assert c.post("/compte/educonnect/lier")["Location"] == AUTH_URL
    assert fake.named("federation_start")[0]["json"]["purpose"] == "link"
    r = c.get("/connexion/educonnect/retour", {"code": "c", "state": "s"})
    assert r.status_code == 302 and r["Location"] == "/compte"
    assert c.session["auth"]["user"]["role"] == "pupil"          # the same session, not a new one
    FakeGateway(monkeypatch, {"login": tokens("employer"), "federation_providers": BOTH,
                              "me": {"id": "u2", "role": "employer", "status": "active"}})
    c = Client()
    c.post("/connexion", {"identifier": "e@example.com", "password": "x"})
    assert "Lier mon compte ÉduConnect" not in c.get("/compte").content.decode()
