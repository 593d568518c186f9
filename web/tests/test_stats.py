"""The statistics page shows the stats API's figures (same scope, same numbers) as charts with tables beside
them and as a CSV; a refused scope becomes a French message next to the form, never a 500. The real page
against the real API: tests/browser/test_stats.py."""
import csv
import io
import re

import pytest

from stages_web import session
from stages_web.charts import bar_chart
from stages_web.gateway import ApiError
from stages_web.views import stats as V

BUCKET = {"by_state": {}, "by_tab": {}}
API = {
    "scope": {"kind": "academie", "code": "02", "departement": "13"},
    "total": {**BUCKET, "total": 9, "pupils": 7, "placed_pupils": 3, "placement_rate": 0.4286},
    "by_category": {
        "rep_plus": {**BUCKET, "total": 4, "pupils": 3, "placed_pupils": 2, "placement_rate": 0.6667},
        "rep": {**BUCKET, "total": 0, "pupils": 0, "placed_pupils": 0, "placement_rate": None},
        "qpv": {**BUCKET, "total": 1, "pupils": 1, "placed_pupils": 0, "placement_rate": 0.0},
        "other": {**BUCKET, "total": 4, "pupils": 3, "placed_pupils": 1, "placement_rate": 0.3333}},
    "priority": {"pupils": 4, "placed_pupils": 2, "placement_rate": 0.5},
    "by_month": [{"month": "2026-12", "applications": 2, "placed": 1},
                 {"month": "2027-01", "applications": 7, "placed": 2}],
}


class FakeApi:
    def __init__(self, answer):
        self.answer, self.calls = answer, []

    def call(self, name, **kwargs):
        self.calls.append((name, kwargs))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.fixture
def client():
    from django.test import Client
    return Client()


@pytest.fixture
def as_statistician(monkeypatch):
    def install(answer):
        api = FakeApi(answer)
        monkeypatch.setattr(session, "user", lambda request: {"id": "u1", "role": "statistician"})
        monkeypatch.setattr(session, "api", lambda request: api)
        return api
    return install


def test_figures_are_the_apis():
    f = V.figures(API)
    assert [(c["key"], c["applications"], c["pupils"], c["placed"], c["rate"]) for c in f["by_category"]] == [
        ("rep_plus", 4, 3, 2, 0.6667), ("rep", 0, 0, 0, None), ("qpv", 1, 1, 0, 0.0), ("other", 4, 3, 1, 0.3333)]
    assert f["comparison"][0]["rate"] == 0.5 and f["comparison"][1]["rate"] == 0.3333
    assert f["total"] == {"applications": 9, "pupils": 7, "placed": 3, "rate": 0.4286, "rate_label": "42,9 %"}
    assert [m["label"] for m in f["months"]] == ["déc. 2026", "janv. 2027"]
    assert V.scope_label(API["scope"]) == "Académie 02 — restreint à : département 13"


def test_chart_is_an_accessible_image():
    svg = str(bar_chart("Titre <x>", "Description", ["a", "b"], [("Série", [1, None])]))
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
    assert all(f'id="{i}"' in svg for i in ids)
    assert "Titre &lt;x&gt;" in svg and svg.count("<rect") == 2  # one bar (None draws nothing) + its legend


def test_page_shows_the_same_figures_as_the_api(client, as_statistician):
    api = as_statistician(API)
    r = client.get("/statistiques?departement=13")
    assert r.status_code == 200
    assert api.calls == [("stats_applications", {"params": {"departement": "13"}})]
    html = r.content.decode()
    assert html.count("<h1") == 1 and html.count('role="img"') == 2
    row = re.search(r'<tr data-category="rep_plus">(.*?)</tr>', html).group(1)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["4", "3", "2", "66,7 %"]
    assert "Académie 02 — restreint à : département 13" in html
    assert 'href="/statistiques/export.csv?departement=13"' in html


def test_csv_has_the_same_figures(client, as_statistician):
    as_statistician(API)
    r = client.get("/statistiques/export.csv?departement=13")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert ["par mois de dépôt", "2027-01", "7", "", "2", ""] in rows
    assert ["par catégorie d'établissement", "REP+", "4", "3", "2", "0.6667"] in rows
    assert ["total", "Ensemble", "9", "7", "3", "0.4286"] in rows


def test_refused_scope_is_a_french_message(client, as_statistician):
    as_statistician(ApiError(403, {"detail": "Vous n'avez accès qu'aux statistiques de votre périmètre."}))
    r = client.get("/statistiques?region=11")
    assert r.status_code == 200 and "votre périmètre" in r.content.decode()


def test_unknown_code_is_shown_next_to_its_field(client, as_statistician):
    as_statistician(ApiError(422, {"detail": "Données invalides",
                                   "errors": {"departement": ["Code de département inconnu."]}}))
    r = client.get("/statistiques/export.csv?departement=99")
    assert r.status_code == 200 and "Code de département inconnu." in r.content.decode()


def test_other_roles_are_refused(client, monkeypatch):
    monkeypatch.setattr(session, "user", lambda request: {"id": "u1", "role": "pupil"})
    assert client.get("/statistiques").status_code == 403


def _registration(**extra):
    from stages_web.forms.stats import StatisticianRegisterForm
    data = {"first_name": "Ada", "last_name": "Lovelace", "function": "Chargée d'études", "email": "ada@insee.fr",
            "phone": "", "password": "Un-Mot-De-Passe-2026!", "password_again": "Un-Mot-De-Passe-2026!",
            "stat_scope": "academie", "stat_scope_code": " 02 ", **extra}
    return StatisticianRegisterForm(data)


def test_statistician_registration_body():
    form = _registration()
    assert form.is_valid(), form.errors
    body = form.body()
    assert body["role"] == "statistician" and (body["stat_scope"], body["stat_scope_code"]) == ("academie", "02")
    national = _registration(stat_scope="national", stat_scope_code="")
    assert national.is_valid() and national.body()["stat_scope_code"] is None


def test_statistician_registration_needs_a_code_but_for_national():
    form = _registration(stat_scope="region", stat_scope_code="")
    assert not form.is_valid() and "stat_scope_code" in form.errors
    form = _registration()
    assert form.is_valid()
    form.apply_api_error(ApiError(422, {"detail": "Données invalides",
                                        "errors": {"stat_scope_code": ["Code d'académie inconnu."]}}))
    assert form.errors["stat_scope_code"] == ["Code d'académie inconnu."]


def test_registration_page_renders(client, monkeypatch):
    monkeypatch.setattr(session, "user", lambda request: None)
    html = client.get("/statistiques/inscription").content.decode()
    assert html.count("<h1") == 1 and "Périmètre des statistiques" in html
