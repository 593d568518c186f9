"""Issue 21 on the web front end, against a fake gateway that records each call: the maintenance notice on
every page, the admin pages of the maintenance mode and of the opening calendar, a 503 « maintenance »
shown as its French message, and the offer page saying when applications open instead of « Postuler »."""
import uuid

import pytest
from django.test import Client

from stages_web import maintenance
from stages_web.gateway import ApiError, ApiUnavailable, Gateway
from testkit.web import FakeGateway, tokens

MESSAGE = "Maintenance de la plateforme : retour prévu à 14 h."
ON = {"active": True, "message": MESSAGE, "ends_at": "2027-01-19T13:00:00+00:00", "updated_at": None}
OFF = {"active": False, "message": None, "ends_at": None, "updated_at": None}
DATES = {"publish_from": "2027-01-19T13:00:00+00:00", "browse_from": "2027-02-10T23:00:00+00:00",
         "apply_from": "2027-02-10T23:00:00+00:00"}
GRADES = ("quatrieme", "troisieme", "seconde")
CALENDAR = {"school_year": "2026-2027", "set": False,
            "grades": {g: dict.fromkeys(DATES) for g in GRADES},
            "open": {g: {"publish": True, "browse": True, "apply": True} for g in GRADES},
            "proposed": {g: DATES for g in GRADES}}


@pytest.fixture(autouse=True)
def fresh_notice():
    maintenance.forget()
    yield
    maintenance.forget()


def _logged_in(role="admin", **user):
    c = Client()
    r = c.post("/connexion", {"identifier": "x@example.com", "password": "x", "totp_code": "123456"})
    assert r.status_code == 302, r.content.decode()
    return c


def test_every_page_shows_the_notice_while_maintenance_is_on(monkeypatch):
    fake = FakeGateway(monkeypatch, {"maintenance": ON})
    html = Client().get("/connexion").content.decode()
    assert 'class="fr-notice fr-notice--info"' in html and MESSAGE in html
    assert "Fin prévue : 19 janvier 2027 à 14 h 00." in html
    Client().get("/connexion")
    assert len(fake.named("maintenance")) == 1   # cached a few seconds, not asked on every page
    maintenance.forget()
    fake.answers["maintenance"] = OFF
    assert "fr-notice" not in Client().get("/connexion").content.decode()


def test_no_notice_and_no_error_page_when_the_gateway_does_not_answer(monkeypatch):
    FakeGateway(monkeypatch, {"maintenance": ApiUnavailable("down")})
    r = Client().get("/connexion")
    assert r.status_code == 200 and "fr-notice" not in r.content.decode()


def test_an_admin_turns_maintenance_on_then_off(monkeypatch):
    fake = FakeGateway(monkeypatch, {"login": tokens("admin"), "maintenance": OFF,
                                     "admin_maintenance_set": lambda kw: {**ON, **kw["json"]}})
    c = _logged_in()
    html = c.get("/administration/maintenance").content.decode()
    assert "La maintenance n'est pas active." in html and "Activer la maintenance" in html
    r = c.post("/administration/maintenance", {"action": "on", "message": "", "ends_at": "2020-01-01T10:00"})
    assert r.status_code == 422 and "Ce champ est obligatoire." in r.content.decode()
    assert "La fin annoncée doit être dans le futur." in r.content.decode()
    assert fake.named("admin_maintenance_set") == []
    r = c.post("/administration/maintenance", {"action": "on", "message": MESSAGE, "ends_at": "2099-01-19T14:00"})
    assert r.status_code == 302
    [sent] = fake.named("admin_maintenance_set")
    assert sent["json"] == {"active": True, "message": MESSAGE, "ends_at": "2099-01-19T14:00:00+01:00"}
    fake.answers["maintenance"] = ON
    html = c.get("/administration/maintenance").content.decode()
    assert "La maintenance est en cours" in html and "Arrêter la maintenance" in html and MESSAGE in html
    assert 'value="2027-01-19T14:00"' in html and f"{MESSAGE}</textarea>" in html   # the form to change them
    r = c.post("/administration/maintenance", {"action": "off"})
    assert r.status_code == 302 and fake.named("admin_maintenance_set")[-1] == {"json": {"active": False}}


def test_the_admin_pages_are_for_admins_only(monkeypatch):
    FakeGateway(monkeypatch, {"login": tokens("employer"), "maintenance": OFF})
    c = _logged_in()
    assert c.get("/administration/maintenance").status_code == 403
    assert c.get("/administration/calendrier").status_code == 403


def test_the_calendar_page_proposes_the_usual_dates_and_sends_paris_times(monkeypatch):
    fake = FakeGateway(monkeypatch, {"login": tokens("admin"), "maintenance": OFF, "opening_calendar": CALENDAR,
                                     "admin_opening_calendar_set": lambda kw: {**CALENDAR, "set": True}})
    c = _logged_in()
    html = c.get("/administration/calendrier").content.decode()
    assert "Aucune date n'est enregistrée pour cette année" in html
    assert 'value="2027-01-19T14:00"' in html and 'value="2027-02-11T00:00"' in html   # Paris time
    assert "Année 2027-2028" in html
    form = {f"{g}__{k}": "" for g in GRADES for k in DATES}
    form.update({"seconde__publish_from": "2027-01-19T14:00", "seconde__apply_from": "2027-02-11T00:00"})
    r = c.post("/administration/calendrier", form)
    assert r.status_code == 302 and r["Location"] == "/administration/calendrier?annee=2026-2027"
    [sent] = fake.named("admin_opening_calendar_set")
    assert sent["school_year"] == "2026-2027"
    assert sent["json"]["grades"]["seconde"] == {"publish_from": "2027-01-19T14:00:00+01:00", "browse_from": None,
                                                 "apply_from": "2027-02-11T00:00:00+01:00"}
    assert sent["json"]["grades"]["troisieme"] == dict.fromkeys(DATES)


def test_a_refusal_of_the_api_is_shown_next_to_the_field_and_a_503_maintenance_as_its_message(monkeypatch):
    answers = iter([ApiError(422, {"detail": "Données invalides", "errors": {"grades.seconde.apply_from": [
                        "Les candidatures ne peuvent pas ouvrir avant la consultation des offres."]}}),
                    ApiError(503, {"detail": MESSAGE, "code": "maintenance"})])
    FakeGateway(monkeypatch, {"login": tokens("admin"), "maintenance": OFF, "opening_calendar": CALENDAR,
                              "admin_opening_calendar_set": lambda kw: next(answers)})
    c = _logged_in()
    form = {f"{g}__{k}": "" for g in GRADES for k in DATES}
    html = c.post("/administration/calendrier", form).content.decode()
    assert "Les candidatures ne peuvent pas ouvrir avant la consultation des offres." in html
    r = c.post("/administration/calendrier", form)
    assert r.status_code == 422 and MESSAGE in r.content.decode()


def test_the_gateway_client_turns_a_503_maintenance_into_its_french_message(monkeypatch):
    class Answer:
        status_code, headers, content = 503, {"Content-Type": "application/problem+json"}, b"{}"

        def json(self):
            return {"status": 503, "code": "maintenance", "detail": MESSAGE}

    class Session:
        def request(self, *a, **kw):
            return Answer()

    monkeypatch.setattr("stages_web.gateway._session", lambda: Session())
    with pytest.raises(ApiError) as e:
        Gateway().call("offer_create", json={})
    assert e.value.status == 503 and e.value.detail == MESSAGE
    Answer.json = lambda self: {"status": 503, "code": "service_unavailable", "detail": "x"}
    with pytest.raises(ApiUnavailable):
        Gateway().call("offer_create", json={})


def test_the_offer_page_says_when_applications_open_instead_of_postuler(monkeypatch):
    oid = str(uuid.uuid4())
    opening = {"code": "applications_not_open", "opens_at": "2027-02-10T23:00:00+00:00",
               "message": "Les candidatures des élèves de 3e ouvriront le 11 février 2027. Vous pourrez postuler à "
                          "partir de cette date."}
    offer = {"id": oid, "title": "Boulanger", "state": "published", "can_apply": False, "applications_open": opening,
             "offer_weeks": ["2027-W10"], "seats_left": 2, "address": {"street": "1 rue"}, "city": "Mâcon"}
    FakeGateway(monkeypatch, {"login": tokens("pupil", grade="troisieme"), "maintenance": OFF, "offer": offer,
                              "sectors": [], "calendar": {"college": {"weeks": []}}, "me": {"grade": "troisieme"}})
    c = _logged_in()
    html = c.get(f"/offres/{oid}").content.decode()
    assert "ouvriront le 11 février 2027" in html and f"/offres/{oid}/candidater" not in html
    r = c.get(f"/offres/{oid}/candidater", follow=True)
    assert "ouvriront le 11 février 2027" in r.content.decode()
