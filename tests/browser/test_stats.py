"""Statistics in the browser: a statistician of département 13 registers with the web's form, activates the
account from the e-mail (the page gives its id), is validated by an admin on « Statisticiens à valider », logs
in, reads the charts and their tables, narrows the scope to one school, is refused a scope outside theirs (a
French message), and downloads the CSV. Every figure shown is the stats API's for the same scope (issue 17:
« the statistics pages show the same figures as the stats API for the same scope »)."""
from __future__ import annotations

import csv
import io
import re
import uuid

from testkit.applications import PASSWORD, REP_PLUS_COLLEGE, application_form, suite_employer, suite_offer, \
    suite_pupils
from world import admin_login


def _rate(rate) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}".replace(".", ",") + " %"


def _csv_rate(rate) -> str:
    return "" if rate is None else str(rate)


def _statistician(page, visit, platform, code: str) -> tuple[str, str]:
    """A statistician of a département who registers with the web's form; the account is activated from the
    e-mail's link and validated by an admin on the admin's page: (e-mail, access token)."""
    api = platform.api
    email = f"stat.{uuid.uuid4().hex[:10]}@insee.fr"
    page.goto("/statistiques/inscription")
    visit(page, "inscription-statisticien")
    page.get_by_label("Prénom").fill("Ada")
    page.get_by_label("Nom", exact=True).fill("Lovelace")
    page.get_by_label("Fonction dans la structure").fill("Chargée d'études")
    page.get_by_label("Adresse e-mail professionnelle").fill(email)
    page.get_by_label("Périmètre des statistiques").select_option("departement")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    visit(page, "inscription-statisticien-erreur")   # the code is missing: said next to its field
    assert page.locator("#form-errors li").count() == 1
    page.get_by_label("Code du périmètre").fill(code)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url(re.compile(r"/statistiques/inscription/envoyee$"))
    visit(page, "inscription-statisticien-envoyee")
    # activated from the e-mail's link: the page gives the account's id, for the administrator
    page.goto(platform.mail.link(platform.mail.wait_for(email, "Activez"), platform.web_url))
    page.get_by_role("button", name="Activer mon compte").click()
    page.locator("#account-id").wait_for()
    visit(page, "statisticien-active-attend-validation")
    account_id = page.locator("#account-id").inner_text().strip()
    r = api.post("/api/v1/auth/login", json={"identifier": email, "password": PASSWORD})
    assert r.status_code in (401, 403), r.text   # not before the validation

    # an administrator validates it on « Statisticiens à valider »
    admin_login(page, platform)
    page.get_by_role("link", name="Statisticiens à valider").first.click()
    visit(page, "admin-statisticiens-a-valider")
    page.get_by_label("Identifiant du compte statisticien").fill("pas-un-identifiant")
    page.get_by_role("button", name="Valider le compte").click()
    visit(page, "admin-statisticien-identifiant-invalide")
    assert "identifiant complet" in page.locator("#form-errors").inner_text()
    # the account waits in the list, with its e-mail; its own « Valider » button validates it
    row = page.get_by_role("row").filter(has_text=email)
    assert "Chargée d'études" in row.inner_text()
    row.get_by_role("button", name="Valider").click()
    page.locator(".fr-alert--success").wait_for()
    visit(page, "admin-statisticien-valide")
    assert f"Le compte statisticien {account_id} est validé" in page.locator(".fr-alert--success").inner_text()
    page.get_by_label("Identifiant du compte statisticien").fill(account_id)   # twice: said next to the field
    page.get_by_role("button", name="Valider le compte").click()
    page.locator("#form-errors").wait_for()
    assert "n'attend pas de validation" in page.locator("#form-errors").inner_text()
    page.get_by_role("button", name="Se déconnecter").click()
    r = api.post("/api/v1/auth/login", json={"identifier": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return email, r.json()["access_token"]


def _some_applications(platform) -> None:
    """Two pupils of a REP+ collège of Marseille apply; one of them is placed."""
    api = platform.api
    with platform.suite.rpc() as rpc:
        emp = suite_employer(rpc)
        offer = suite_offer(rpc, emp["user_id"], seats=5)
        pupils = suite_pupils(rpc, 2, uai=REP_PLUS_COLLEGE)
    apps = []
    for p in pupils:
        r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(offer["offer_weeks"][0]),
                     token=p["token"])
        assert r.status_code == 201, r.text
        apps.append(r.json())
    assert api.post(f"/api/v1/applications/{apps[0]['id']}/accept", json={}, token=emp["token"]).status_code == 200
    assert api.post(f"/api/v1/applications/{apps[0]['id']}/confirm", token=pupils[0]["token"]).status_code == 200


def _cells(page, selector: str) -> list[list[str]]:
    return [[c.strip() for c in row.locator("th, td").all_inner_texts()]
            for row in page.locator(f"{selector} tbody tr").all()]


def _check_same_figures(page, data: dict) -> None:
    t = data["total"]
    assert _cells(page, "#stats-total") == [[str(t["total"]), str(t["pupils"]), str(t["placed_pupils"]),
                                             _rate(t["placement_rate"])]]
    for key in ("rep_plus", "rep", "qpv", "other"):
        b = data["by_category"][key]
        row = page.locator(f'#stats-categories tr[data-category="{key}"] td').all_inner_texts()
        assert row == [str(b["total"]), str(b["pupils"]), str(b["placed_pupils"]), _rate(b["placement_rate"])]
    months = page.locator("#stats-months tbody th[data-month]")
    assert months.evaluate_all("els => els.map(e => e.dataset.month)") == [m["month"] for m in data["by_month"]]
    assert [r[1:] for r in _cells(page, "#stats-months")] == [[str(m["applications"]), str(m["placed"])]
                                                              for m in data["by_month"]]
    prio = _cells(page, "#stats-comparison")[0]
    assert prio[1:] == [str(data["priority"]["pupils"]), str(data["priority"]["placed_pupils"]),
                        _rate(data["priority"]["placement_rate"])]
    assert page.locator('svg[role="img"] title').count() == (2 if data["by_month"] else 1)


def test_statistician_reads_the_figures_of_their_scope_and_downloads_them(page, visit, platform):
    _some_applications(platform)
    email, token = _statistician(page, visit, platform, "13")

    page.goto("/connexion")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/statistiques$"))
    visit(page, "statistiques")
    r = platform.api.get("/api/v1/stats/applications", token=token)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["by_category"]["rep_plus"]["placed_pupils"] >= 1
    assert "Département 13" in page.locator("#stats-scope").inner_text()
    _check_same_figures(page, data)

    # narrowed to one school of the département
    page.get_by_label("Établissement (UAI)").fill(REP_PLUS_COLLEGE)
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"school_uai="))
    visit(page, "statistiques-etablissement")
    school = platform.api.get("/api/v1/stats/applications", token=token, params={"school_uai": REP_PLUS_COLLEGE})
    assert school.status_code == 200, school.text
    _check_same_figures(page, school.json())

    # the CSV: the same figures
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger les chiffres (CSV)").click()
    download = info.value
    assert download.suggested_filename == "statistiques-stages.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read()), delimiter=";"))
    s = school.json()
    assert ["total", "Ensemble", str(s["total"]["total"]), str(s["total"]["pupils"]),
            str(s["total"]["placed_pupils"]), _csv_rate(s["total"]["placement_rate"])] in rows
    rep_plus = s["by_category"]["rep_plus"]
    assert ["par catégorie d'établissement", "REP+", str(rep_plus["total"]), str(rep_plus["pupils"]),
            str(rep_plus["placed_pupils"]), _csv_rate(rep_plus["placement_rate"])] in rows

    # a département outside theirs: a French message, no figure
    page.goto("/statistiques")
    page.get_by_label("Département (code)").fill("75")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"departement=75"))
    visit(page, "statistiques-hors-perimetre")
    assert "périmètre" in page.locator(".fr-alert--error").inner_text()
    assert page.locator("#stats-total").count() == 0
