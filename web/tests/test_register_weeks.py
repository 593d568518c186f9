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
