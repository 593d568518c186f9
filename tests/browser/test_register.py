"""The school's register page (issue 20) in a real browser: identity reads the local stand-in of the national
pupil register (testkit.omogen, restarted for this test and back as it was afterwards). The demo admin connects
the school from /etablissements/<uai>/registre; its confirmed head imports now, reloads until the report shows the
pupils created, and declares the 3e internship weeks (then their pupils may apply only on them). Every page passes
the accessibility checks of ``visit``."""
from __future__ import annotations

import time
import uuid

import pytest

from testkit.omogen import StandIn
from world import admin_login, confirmed_head, login

UAI = "0132009N"   # a collège of Aix-en-Provence no other browser test uses


def _eleve(ine: str, nom: str) -> dict:
    return {"ine": ine, "nom": nom, "prenom": "Lina", "dateNaissance": "2012-05-06", "codeSexe": "2", "codeUai": UAI,
            "anneeScolaire": 2026, "niveau": "2116", "libelleNiveau": "3EME", "codeMef": "10310019110",
            "libelleLongMef": "3EME", "classe": "3A", "codeStatut": "ST", "libelleLongStatut": "SCOLAIRE"}


@pytest.fixture
def standin(platform):
    """The stand-in, and identity restarted to read it (then restarted as the session's other tests expect)."""
    suite = platform.suite
    s = StandIn({"eleves": [], "responsables": {}}, require_token=True).start()
    try:
        suite.stop("identity")
        suite.start("identity", OMOGEN_SYGNE_URL=s.base_url, OMOGEN_OAUTH_URL=s.oauth_url,
                    OMOGEN_CLIENT_ID="stages", OMOGEN_CLIENT_SECRET="secret")
        suite.wait_ready()
        yield s
    finally:
        suite.stop("identity")
        suite.start("identity")
        suite.wait_ready()
        s.stop()


def test_an_admin_connects_the_school_and_its_head_imports_and_declares_weeks(page, visit, platform, standin):
    tag = uuid.uuid4().hex[:6].upper()
    for i in range(2):
        standin.put_pupil(_eleve(f"{uuid.uuid4().int % 10**9:09d}RS", f"REGISTRE{tag}-{i}"), [])
    head = confirmed_head(platform, UAI)

    # the admin connects the school from its page
    admin_login(page, platform)
    page.goto(f"/etablissements/{UAI}/registre")
    visit(page, "registre-non-relie")
    assert "n'est pas relié au registre national" in page.inner_text("body")
    page.get_by_role("button", name="Relier l'établissement au registre").click()
    page.wait_for_load_state("load")
    visit(page, "registre-relie-par-l-admin")
    assert "L'établissement est relié au registre national des élèves." in page.inner_text("body")
    assert page.get_by_role("button", name="Détacher l'établissement du registre").count() == 1
    page.get_by_role("button", name="Se déconnecter").click()

    # the head imports now and reads the report
    login(page, head["email"], head["password"])
    page.goto(f"/etablissements/{UAI}/registre")
    visit(page, "registre-chef")
    assert page.get_by_role("button", name="Détacher l'établissement du registre").count() == 0
    page.get_by_role("button", name="Importer maintenant").click()
    page.wait_for_load_state("load")
    assert "Import demandé" in page.content()
    row = page.locator("table tbody tr").first
    deadline = time.monotonic() + 60
    while "terminé" not in row.inner_text():
        assert time.monotonic() < deadline, f"the import did not finish: {row.inner_text()}"
        assert "échec" not in row.inner_text(), row.inner_text()
        time.sleep(0.5)
        page.reload()
        row = page.locator("table tbody tr").first
    visit(page, "registre-import-termine")
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[1:] == ["à la demande", "terminé", "2", "0", "0", "0", "0"], cells
    page.goto(f"/etablissements/{UAI}/eleves")
    assert f"REGISTRE{tag}-0" in page.content() and f"REGISTRE{tag}-1" in page.content()

    # the 3e internship weeks
    page.goto(f"/etablissements/{UAI}/registre")
    assert "Aucune semaine déclarée" in page.content()
    boxes = page.locator("input[name=weeks]")
    assert boxes.count() >= 3
    # two weeks to come (the first one offered may be the current week, which restricts nothing any more)
    labels = [page.locator(f"label[for='{boxes.nth(i).get_attribute('id')}']").inner_text().strip()
              for i in (1, 2)]
    boxes.nth(1).check(force=True)
    boxes.nth(2).check(force=True)
    page.get_by_role("button", name="Enregistrer les semaines").click()
    page.wait_for_load_state("load")
    visit(page, "registre-semaines-enregistrees")
    assert "Les semaines de stage de 3e sont enregistrées." in page.inner_text("body")
    restricting = page.locator("#weeks-title + p").inner_text()
    assert "ne peuvent candidater que sur" in restricting and all(label in restricting for label in labels), labels
    assert boxes.nth(1).is_checked() and boxes.nth(2).is_checked() and not boxes.nth(0).is_checked()
    declared = platform.api.get(f"/api/v1/schools/{UAI}/internship-weeks").json()
    assert len(declared["weeks"]) == 2, declared
    # unchecked again: no restriction (the session's other journeys stay unaffected)
    boxes.nth(1).uncheck(force=True)
    boxes.nth(2).uncheck(force=True)
    page.get_by_role("button", name="Enregistrer les semaines").click()
    page.wait_for_load_state("load")
    assert "Aucune semaine déclarée" in page.content()
    assert platform.api.get(f"/api/v1/schools/{UAI}/internship-weeks").json()["weeks"] == []
