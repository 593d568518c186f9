"""The employer's planning step shows the 3e weeks the collèges near the offer's place declared (issue 20), as a
hint: against a fake gateway that records each call (the API itself: tests/test_register.py)."""
import uuid

from django.test import Client

from testkit.web import FakeGateway, tokens


def _calendar(year):
    start = int(year[:4])
    period = {"start": f"{start + 1}-06-15", "end": f"{start + 1}-06-26", "label": "Deux semaines"}
    return {"school_year": year, "college": {"weeks": [f"{start + 1}-W03", f"{start + 1}-W04"]},
            "seconde": {"both": period, "week1": period, "week2": period}, "public_employer_types": []}


def _offer(employer_id, lat=43.5297, lon=5.4474):
    return {"id": str(uuid.uuid4()), "employer_id": employer_id, "state": "draft", "title": "Boulanger",
            "grades": ["troisieme"], "school_year": "2026-2027", "weeks": [], "seats": 1, "lat": lat, "lon": lon}


def _page(monkeypatch, offer_answer, near):
    user = tokens("employer")
    offer = offer_answer(user["user"]["id"])
    fake = FakeGateway(monkeypatch, {
        "login": user, "offer": offer,
        "calendar": lambda kw: _calendar((kw.get("params") or {}).get("school_year") or "2026-2027"),
        "declared_weeks_near": near})
    c = Client()
    assert c.post("/connexion", {"identifier": "x@example.com", "password": "x"}).status_code == 302
    r = c.get(f"/entreprise/offres/{offer['id']}/etapes/planning")
    return r, fake


def test_the_planning_step_shows_the_weeks_declared_near_the_place(monkeypatch):
    near = {"radius_km": 60, "items": [{"week": "2027-W03", "schools": 3}, {"week": "2027-W04", "schools": 1}]}
    r, fake = _page(monkeypatch, _offer, near)
    assert r.status_code == 200, r.content.decode()[:500]
    html = r.content.decode()
    assert "Semaines de stage des collèges proches" in html
    assert "semaine du 18 au 22 janvier 2027 : 3 collèges" in html and ": 1 collège<" in html
    assert fake.named("declared_weeks_near") == [{"params": {"lat": 43.5297, "lon": 5.4474, "radius_km": 60}}]


def test_no_hint_without_coordinates_or_declared_weeks(monkeypatch):
    r, fake = _page(monkeypatch, lambda uid: _offer(uid, lat=None, lon=None), {"radius_km": 60, "items": []})
    assert r.status_code == 200 and "collèges proches" not in r.content.decode()
    assert fake.named("declared_weeks_near") == []


# -- the school's page: the register and its 3e weeks ------------------------------------------------------------

UAI = "0131884C"
RUN = {"id": str(uuid.uuid4()), "school_uai": UAI, "trigger": "nightly", "status": "done", "requested_by": None,
       "started_at": "2026-12-05T01:00:03Z", "finished_at": "2026-12-05T01:00:09Z",
       "counts": {"created": 2, "updated": 1, "moved": 1, "unchanged": 120, "errors": 0}, "errors": []}


def _school_client(monkeypatch, answers):
    fake = FakeGateway(monkeypatch, {
        "login": tokens("school_staff", school_uai=UAI, function="head"),
        "calendar": lambda kw: _calendar((kw.get("params") or {}).get("school_year") or "2026-2027"),
        "school_internship_weeks": {"school_uai": UAI, "weeks": ["2027-W03"], "restricting": ["2027-W03"]},
        "school_register_imports": {"school_uai": UAI, "connected": True, "items": [RUN]}, **answers})
    c = Client()
    assert c.post("/connexion", {"identifier": "x@example.com", "password": "x"}).status_code == 302
    return c, fake


def test_the_school_page_lists_the_imports_and_declares_the_weeks(monkeypatch):
    c, fake = _school_client(monkeypatch, {
        "school_internship_weeks_set": lambda kw: {"school_uai": UAI, "weeks": kw["json"]["weeks"],
                                                   "restricting": kw["json"]["weeks"]},
        "school_register_import": {**RUN, "trigger": "request"}})
    html = c.get(f"/etablissements/{UAI}/registre").content.decode()
    assert "Registre national des élèves" in html and "Importer maintenant" in html and "<td>nuit</td>" in html
    assert 'value="2027-W03"' in html and "checked" in html.split('value="2027-W03"')[1][:40]
    assert "ne peuvent candidater que sur : semaine du 18 au 22 janvier 2027" in html
    r = c.post(f"/etablissements/{UAI}/registre", {"form": "weeks", "weeks": ["2027-W04", "2027-W03"]})
    assert r.status_code == 302
    assert fake.named("school_internship_weeks_set") == [{"uai": UAI, "json": {"weeks": ["2027-W03", "2027-W04"]}}]
    r = c.post(f"/etablissements/{UAI}/registre", {"form": "import", "idempotency_key": "n1"})
    assert r.status_code == 302 and fake.named("school_register_import") == [{"uai": UAI, "idempotency_key": "n1"}]


def test_a_refusal_of_the_weeks_is_shown_on_the_field(monkeypatch):
    from stages_web.gateway import ApiError
    refusal = ApiError(422, {"detail": "Certaines informations sont invalides ou manquantes.",
                             "errors": {"weeks": ["Seuls les collèges déclarent les semaines de stage de 3e."]}})
    c, _ = _school_client(monkeypatch, {"school_internship_weeks_set": refusal})
    r = c.post(f"/etablissements/{UAI}/registre", {"form": "weeks", "weeks": ["2027-W04"]})
    assert r.status_code == 200 and "Seuls les collèges déclarent" in r.content.decode()


def test_an_admin_connects_the_school_to_the_register(monkeypatch):
    fake = FakeGateway(monkeypatch, {
        "login": tokens("admin"),
        "calendar": lambda kw: _calendar((kw.get("params") or {}).get("school_year") or "2026-2027"),
        "school_internship_weeks": {"school_uai": UAI, "weeks": [], "restricting": []},
        "school_register_imports": {"school_uai": UAI, "connected": False, "items": []},
        "admin_school_register": {"school_uai": UAI, "connected": True, "last_import": None}})
    c = Client()
    assert c.post("/connexion", {"identifier": "x@example.com", "password": "x", "totp_code": "123456"}).status_code == 302
    html = c.get(f"/etablissements/{UAI}/registre").content.decode()
    assert "Relier l'établissement au registre" in html and "Importer maintenant" not in html
    assert "Aucune semaine déclarée" in html
    r = c.post(f"/etablissements/{UAI}/registre", {"form": "connect", "connected": "1"})
    assert r.status_code == 302 and fake.named("admin_school_register") == [{"uai": UAI, "json": {"connected": True}}]


def test_the_weeks_offered_start_with_the_first_week_not_past():
    import datetime as dt

    from stages_web.views.register import first_open_week
    assert first_open_week(dt.date(2026, 11, 30)) == "2026-W49"   # Monday: this week
    assert first_open_week(dt.date(2026, 12, 4)) == "2026-W49"    # Friday: still this week
    assert first_open_week(dt.date(2026, 12, 5)) == "2026-W50"    # Saturday: this week is past
    assert first_open_week(dt.date(2027, 1, 2)) == "2027-W01"     # Saturday, across the year (2026 has 53 weeks)
