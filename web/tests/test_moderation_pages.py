"""Reporting and moderation pages (views/moderation.py) against a fake gateway that records each call: the
« Signaler cette offre » form (visitors too, without JavaScript), the admins' queue and decision form, the
moderation history on the employer's offer page."""
import uuid

from django.test import Client

from stages_web.gateway import ApiError
from testkit.web import FakeGateway, tokens

OFFER_ID = str(uuid.uuid4())
OFFER = {"id": OFFER_ID, "state": "published", "title": "Ébéniste", "description": "Atelier de meubles.",
         "city": "Mâcon", "organisation": {"name": "Atelier Durand"}, "offer_weeks": [], "seats_left": 2,
         "address": {"street": "1 rue Carnot"}, "employer_id": None, "completed_steps": []}
QUEUE = {"items": [{"offer_id": OFFER_ID, "title": "Ébéniste", "organisation_name": "Atelier Durand",
                    "state": "published", "hidden": True, "reports": 2,
                    "counts": {"not_observation": 0, "disguised_work": 1, "discriminatory": 0,
                               "dangerous_for_minor": 0, "other": 1},
                    "texts": [{"reason": "other", "text": "Livraisons de nuit.",
                               "reported_at": "2026-11-22T18:00:00+00:00"}],
                    "first_reported_at": "2026-11-21T10:00:00+00:00",
                    "last_reported_at": "2026-11-22T18:00:00+00:00"}],
         "page": 1, "per_page": 30, "total": 1, "has_more": False}
HISTORY = {"offer_id": OFFER_ID, "hidden": False, "status": "changes_requested",
           "items": [{"id": str(uuid.uuid4()), "offer_id": OFFER_ID, "decision": "request_changes",
                      "decision_label": "Modifications demandées", "reason": "Décrivez les activités.",
                      "report_counts": {}, "decided_at": "2026-11-23T10:00:00+00:00", "author_id": None}]}


def _logged_in(role):
    c = Client()
    r = c.post("/connexion", {"identifier": "x@example.com", "password": "x", "totp_code": "123456"})
    assert r.status_code == 302, r.content.decode()
    return c


def test_a_visitor_reports_an_offer_with_a_reason_from_the_list(monkeypatch):
    fake = FakeGateway(monkeypatch, {"offer": OFFER, "sectors": [], "calendar": {"college": {"weeks": []}},
                                     "offer_report": {"offer_id": OFFER_ID, "reason": "other", "created": True,
                                                      "reported_at": "2026-11-23T09:00:00+00:00"}})
    c = Client()
    html = c.get(f"/offres/{OFFER_ID}/signaler").content.decode()
    assert "Signaler cette offre" in html and 'type="radio"' in html and 'name="csrfmiddlewaretoken"' in html
    for label in ("Ce n&#x27;est pas un stage d&#x27;observation", "Travail dissimulé / emploi déguisé",
                  "Discriminatoire", "Dangereux pour un mineur", "Autre"):
        assert label in html
    r = c.post(f"/offres/{OFFER_ID}/signaler", {"reason": "other", "text": " "})
    assert r.status_code == 422 and "Précisez le motif du signalement." in r.content.decode()
    assert fake.named("offer_report") == []
    r = c.post(f"/offres/{OFFER_ID}/signaler", {"reason": "other", "text": "Livraisons de nuit."})
    assert r.status_code == 302 and r["Location"] == f"/offres/{OFFER_ID}"
    assert fake.named("offer_report") == [{"offer_id": OFFER_ID, "json": {"reason": "other",
                                                                          "text": "Livraisons de nuit."}}]


def test_the_api_refusal_shows_next_to_the_field(monkeypatch):
    FakeGateway(monkeypatch, {"offer": OFFER, "offer_report": ApiError(422, {
        "detail": "Données invalides.", "errors": {"reason": ["Choisissez un motif dans la liste."]}})})
    r = Client().post(f"/offres/{OFFER_ID}/signaler", {"reason": "discriminatory"})
    assert r.status_code == 422 and "Choisissez un motif dans la liste." in r.content.decode()


def test_the_public_offer_page_links_to_the_report_form(monkeypatch):
    FakeGateway(monkeypatch, {"offer": OFFER, "sectors": [], "calendar": {"college": {"weeks": []}}})
    html = Client().get(f"/offres/{OFFER_ID}").content.decode()
    assert f'href="/offres/{OFFER_ID}/signaler"' in html and "Signaler cette offre" in html


def test_the_admin_queue_and_a_decision(monkeypatch):
    fake = FakeGateway(monkeypatch, {"login": tokens("admin"), "moderation_queue": QUEUE, "offer": OFFER,
                                     "offer_moderation": {**HISTORY, "items": []},
                                     "offer_moderate": {"id": str(uuid.uuid4()), "decision": "remove"}})
    c = _logged_in("admin")
    html = c.get("/administration/moderation").content.decode()
    assert "Offres signalées" in html and "Ébéniste" in html and "Masquée" in html
    assert "Travail dissimulé / emploi déguisé : 1" in html
    assert f'href="/administration/moderation/{OFFER_ID}"' in html
    html = c.get(f"/administration/moderation/{OFFER_ID}").content.decode()
    assert "Livraisons de nuit." in html and 'value="request_changes"' in html and "publiée" in html
    r = c.post(f"/administration/moderation/{OFFER_ID}", {"decision": "remove", "reason": "", "idempotency_key": "k"})
    assert r.status_code == 422 and "Indiquez le motif de la décision" in r.content.decode()
    assert fake.named("offer_moderate") == []
    r = c.post(f"/administration/moderation/{OFFER_ID}", {"decision": "remove", "reason": "Emploi déguisé.",
                                                          "idempotency_key": "k1"})
    assert r.status_code == 302 and r["Location"] == "/administration/moderation"
    [call] = fake.named("offer_moderate")
    assert call["json"] == {"decision": "remove", "reason": "Emploi déguisé."} and call["idempotency_key"] == "k1"


def test_the_queue_is_for_admins_only(monkeypatch):
    FakeGateway(monkeypatch, {"login": tokens("employer")})
    assert _logged_in("employer").get("/administration/moderation").status_code == 403


def test_the_employer_sees_the_moderation_history_on_the_offer_page(monkeypatch):
    login = tokens("employer")
    offer = {**OFFER, "employer_id": login["user"]["id"], "state": "unpublished"}
    FakeGateway(monkeypatch, {"login": login, "offer": offer, "offer_moderation": HISTORY})
    html = _logged_in("employer").get(f"/entreprise/offres/{OFFER_ID}").content.decode()
    assert "Modération" in html and "Modifications demandées" in html and "Décrivez les activités." in html
    assert "La modération a demandé des modifications" in html


def test_the_employer_is_told_a_held_offer_is_hidden_from_the_search(monkeypatch):
    login = tokens("employer")
    offer = {**OFFER, "employer_id": login["user"]["id"]}
    FakeGateway(monkeypatch, {"login": login, "offer": offer,
                              "offer_moderation": {**HISTORY, "hidden": True, "status": None, "items": []}})
    html = _logged_in("employer").get(f"/entreprise/offres/{OFFER_ID}").content.decode()
    assert "elle est masquée de la recherche en attendant l'examen" in html
    assert "Décisions de la modération" not in html
