"""A pupil's journey in the browser: the code from the school's sheet, the search near home, applying,
« Mes candidatures », the employer's answer by e-mail, confirming, notifications, personal data, password."""
from __future__ import annotations

import json
import re

from conftest import unique_email
from world import employer_with_offers, imported_class

PASSWORD = "Mon-Stage-2027!"
NEW_PASSWORD = "Mon-Nouveau-Stage-2027!"


def test_pupil_activates_searches_applies_and_confirms_from_the_email(page, visit, platform):
    emp = employer_with_offers(platform.suite,
                               plain={"title": "Pâtissier chocolatier"},
                               rep={"title": "Mécanicien automobile", "reserved_rep": True})
    pupil = imported_class(platform.suite)[0]
    email = unique_email("eleve")

    # the sheet printed by the school names /activer-mon-compte
    page.goto("/activer-mon-compte")
    visit(page, "activation-code")
    page.get_by_label("Code d'activation").fill("ZZZZ-ZZZZ")
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()
    visit(page, "activation-code-inconnu")  # back to step 1, with the reason
    assert page.locator(".fr-alert--error").count() >= 1
    page.get_by_label("Code d'activation").fill(pupil["code"].lower())
    page.get_by_role("button", name="Continuer").click()
    visit(page, "activation-identifiants")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Nouveau mot de passe").fill("court")
    page.get_by_label("Confirmez le mot de passe").fill("autre")
    page.get_by_role("button", name="Activer mon compte").click()
    visit(page, "activation-identifiants-erreurs")
    summary = page.locator("#form-errors").inner_text()
    assert "identiques" in summary
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()

    # logged in, on the search, prefilled with the school's commune
    page.wait_for_url(re.compile(r"/offres"))
    visit(page, "recherche-pres-de-chez-moi")
    assert page.get_by_label("Commune, code postal ou adresse").input_value() == "Marseille 3e Arrondissement"
    page.get_by_role("button", name="Rechercher").click()
    visit(page, "resultats")
    cards = page.locator("#resultats .fr-card")
    assert cards.count() >= 2
    first = cards.nth(0).inner_text().lower()
    assert "mécanicien automobile" in first and "offre réservée pour vous" in first, first
    assert "km" in first

    # the offer, then apply: every error at once, then sent
    page.get_by_role("link", name="Pâtissier chocolatier").click()
    visit(page, "offre")
    page.get_by_role("link", name="Postuler").click()
    visit(page, "candidater")
    page.get_by_role("button", name="Envoyer ma candidature").click()
    visit(page, "candidater-erreurs")
    errors = page.locator("#form-errors li")
    assert errors.count() >= 6, page.locator("#form-errors").inner_text()
    assert page.locator("#id_motivation").get_attribute("aria-describedby")
    page.get_by_label("Semaine de stage").select_option(index=1)
    page.get_by_label("Votre motivation").fill("J'aime faire du pain avec mon grand-père le dimanche.")
    assert "caractères restants" in page.locator("#id_motivation-counter").inner_text()
    page.get_by_label("Votre téléphone mobile").fill("06 12 34 56 78")
    page.get_by_label("Votre adresse postale").fill("3 rue Belle de Mai, 13003 Marseille")
    page.get_by_label("Nom et prénom de votre représentant légal").fill("Samia Benali")
    page.get_by_label("Adresse e-mail de votre représentant légal").fill("pas-une-adresse")
    page.get_by_label("Téléphone mobile de votre représentant légal").fill("07 12 34 56 78")
    page.get_by_role("button", name="Envoyer ma candidature").click()
    visit(page, "candidater-erreur-representant")
    assert page.locator("#form-errors li").count() == 1
    page.get_by_label("Adresse e-mail de votre représentant légal").fill("samia.benali@example.com")
    page.get_by_role("button", name="Envoyer ma candidature").click()
    page.wait_for_url(re.compile(r"/eleve/candidatures/[0-9a-f-]{36}$"))
    visit(page, "candidature-envoyee")
    application_id = page.url.rsplit("/", 1)[1]
    assert "envoyée" in page.locator("main").inner_text()

    page.get_by_role("link", name="Mes candidatures").first.click()
    visit(page, "mes-candidatures")
    row = page.locator("tbody tr").first.inner_text()
    assert "Pâtissier chocolatier" in row and "jours" in row, row

    # the employer accepts (the employer's pages are tested elsewhere); the pupil follows the e-mail's link
    r = platform.api.post(f"/api/v1/applications/{application_id}/accept", json={"message": "À bientôt !"},
                          token=emp["token"])
    assert r.status_code == 200, r.text
    mail = platform.mail.wait_for(email, "acceptée")
    link = platform.mail.link(mail, platform.web_url)
    assert link.endswith(f"/eleve/candidatures/{application_id}"), link
    page.goto(link)
    visit(page, "candidature-acceptee")
    assert "Confirmez votre stage avant le" in page.locator("main").inner_text()
    page.get_by_role("button", name="Confirmer mon stage").click()
    visit(page, "stage-confirme")
    assert "confirmé" in page.locator(".fr-alert--success").inner_text()

    # notifications, account, personal data
    page.get_by_role("link", name="Notifications").first.click()
    visit(page, "notifications")
    assert page.locator(".fr-card").count() >= 1
    page.goto("/compte")
    visit(page, "mon-compte")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert data["account"]["email"] == email

    # password change closes every session: log in again with the new one
    page.get_by_role("link", name="Changer mon mot de passe").click()
    visit(page, "changer-mot-de-passe")
    page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    page.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer mon mot de passe").click()
    page.wait_for_url(re.compile(r"/connexion"))
    visit(page, "reconnexion")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(email)
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/eleve/candidatures$"))
    visit(page, "mes-candidatures-apres-reconnexion")
    assert "confirmé" in page.locator("tbody").inner_text().lower()
    page.get_by_role("button", name="Se déconnecter").click()
    visit(page, "deconnecte")
    assert page.get_by_role("link", name="Se connecter").first.is_visible()
