"""The account's pages: « Modifier mes informations », « Changer d'adresse e-mail » and its confirmation page (named by
the e-mail), « Changer de numéro » with the SMS code (gateway answers stood in by FakeGateway)."""
from django.test import Client

from stages_web.gateway import ApiError
from testkit.web import FakeGateway, tokens

ME = {"id": "u1", "role": "employer", "status": "active", "first_name": "Ada", "last_name": "Martin",
      "job_title": "Gérante", "email": "ada@example.com", "phone": None, "school": None}


def _client(monkeypatch, **answers):
    fake = FakeGateway(monkeypatch, {"login": tokens("employer"), "me": ME, **answers})
    c = Client()
    assert c.post("/connexion", {"identifier": "ada@example.com", "password": "x"}).status_code == 302
    return c, fake


def test_the_account_page_links_to_the_three_changes(monkeypatch):
    c, _ = _client(monkeypatch)
    html = c.get("/compte").content.decode()
    for label in ("Modifier mes informations", "Changer d'adresse e-mail", "Changer de numéro"):
        assert label in html


def test_profile_form_sends_the_fields_of_the_role_and_shows_field_errors(monkeypatch):
    c, fake = _client(monkeypatch, update_profile=ME)
    html = c.get("/compte/informations").content.decode()
    assert 'name="job_title"' in html and 'name="function"' not in html and 'value="Ada"' in html
    r = c.post("/compte/informations", {"first_name": "Adèle", "last_name": "Martin", "job_title": "Directrice"})
    assert r.status_code == 302 and r["Location"] == "/compte"
    assert fake.named("update_profile")[-1]["json"] == {"first_name": "Adèle", "last_name": "Martin",
                                                       "job_title": "Directrice"}
    fake.answers["update_profile"] = ApiError(422, {"detail": "Données invalides",
                                                    "errors": {"last_name": ["Ce champ est obligatoire."]}})
    r = c.post("/compte/informations", {"first_name": "Adèle", "last_name": "M", "job_title": "Directrice"})
    assert r.status_code == 200 and "Ce champ est obligatoire." in r.content.decode()


def test_email_change_request_and_the_confirmation_page_of_the_link(monkeypatch):
    detail = "Si cette adresse peut être utilisée, un lien de confirmation valable 24 heures vient de lui être envoyé."
    c, fake = _client(monkeypatch, request_email_change={"status": "accepted", "detail": detail},
                      confirm_email_change={"status": "changed", "email": "new@example.org",
                                            "detail": "Votre adresse e-mail est modifiée."})
    r = c.post("/compte/adresse", {"email": "new@example.org"})
    assert r.status_code == 200 and detail in r.content.decode()
    assert fake.named("request_email_change")[-1]["json"] == {"email": "new@example.org"}
    anonymous = Client()
    r = anonymous.get("/compte/adresse/confirmer?token=tok-abc")   # no token spent by opening the link
    assert r.status_code == 200 and 'value="tok-abc"' in r.content.decode() and not fake.named("confirm_email_change")
    r = anonymous.post("/compte/adresse/confirmer", {"token": "tok-abc"})
    assert "Votre adresse e-mail est modifiée." in r.content.decode()
    assert fake.named("confirm_email_change")[-1]["json"] == {"token": "tok-abc"}
    fake.answers["confirm_email_change"] = ApiError(409, {"detail": "Ce lien ou ce code a déjà été utilisé.",
                                                          "code": "change_used"})
    r = anonymous.post("/compte/adresse/confirmer", {"token": "tok-abc"})
    assert "Ce lien ou ce code a déjà été utilisé." in r.content.decode()


def test_phone_change_asks_the_code_then_confirms(monkeypatch):
    c, fake = _client(monkeypatch, request_phone_change={"status": "accepted", "detail": "Code envoyé."},
                      confirm_phone_change={"status": "changed", "phone": "+33712345678", "detail": "ok"})
    assert 'name="code"' not in c.get("/compte/telephone").content.decode()
    r = c.post("/compte/telephone", {"step": "phone", "phone": "07 12 34 56 78"})
    assert "Code envoyé." in r.content.decode() and 'name="code"' in r.content.decode()
    fake.answers["confirm_phone_change"] = ApiError(422, {"detail": "Données invalides",
                                                          "errors": {"code": ["Code incorrect."]}})
    r = c.post("/compte/telephone", {"step": "code", "code": "000000"})
    assert "Code incorrect." in r.content.decode()
    fake.answers["confirm_phone_change"] = {"status": "changed", "phone": "+33712345678", "detail": "ok"}
    r = c.post("/compte/telephone", {"step": "code", "code": "123456"})
    assert r.status_code == 302 and r["Location"] == "/compte"
    assert fake.named("confirm_phone_change")[-1]["json"] == {"code": "123456"}
