"""Visitors: the home page, the search by postal code, an offer; « Postuler » leads to the login; the login
page shows every error next to its field."""
from __future__ import annotations

import re

from world import employer_with_offers, imported_class


def test_home_and_login_page_show_every_error_next_to_its_field(page, visit, platform):
    page.goto("/")
    visit(page, "accueil")
    page.get_by_role("link", name="Se connecter").first.click()
    visit(page, "connexion")
    page.get_by_role("button", name="Se connecter").click()
    visit(page, "connexion-champs-vides")
    assert page.locator("#form-errors li").count() == 2
    assert page.locator(".fr-input-group--error").count() == 2
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill("personne@example.com")
    page.get_by_label("Mot de passe").fill("Mauvais-mot-de-passe-1!")
    page.get_by_role("button", name="Se connecter").click()
    visit(page, "connexion-refusee")
    assert page.locator("#form-errors").count() == 1


def test_visitor_searches_by_postal_code_reads_an_offer_and_postuler_leads_to_login(page, visit, platform):
    employer_with_offers(platform.suite, plain={"title": "Fleuriste"})
    pupil = imported_class(platform.suite)[0]
    page.goto("/")
    page.get_by_label("Commune, code postal ou adresse").fill("13001")
    page.get_by_label("Rayon").select_option("10")
    page.get_by_role("button", name="Rechercher").click()
    page.locator("#carte .leaflet-marker-icon").first.wait_for()  # the optional map, over the same offers
    visit(page, "recherche-code-postal")
    assert "autour de Marseille" in page.locator("#resultats h2").inner_text()
    assert page.locator("#carte .leaflet-marker-icon").count() == page.locator("#resultats .fr-card").count()
    # a place that does not exist: the error is next to the field
    page.get_by_label("Commune, code postal ou adresse").fill("Nullepart-sur-Rien")
    page.get_by_role("button", name="Rechercher").click()
    visit(page, "recherche-lieu-inconnu")
    assert page.locator(".fr-input-group--error").count() == 1
    page.get_by_label("Commune, code postal ou adresse").fill("marseille")
    page.get_by_label("Mot-clé").fill("fleur")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Fleuriste").first.click()
    visit(page, "offre-visiteur")
    page.get_by_role("link", name="Postuler").click()
    page.wait_for_url(re.compile(r"/connexion\?next="))
    visit(page, "postuler-connexion")
    # activating the account from there brings the pupil back to the search; logging in, to the offer
    page.goto("/activer-mon-compte")
    page.get_by_label("Code d'activation").fill(pupil["code"])
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Adresse e-mail").fill(f"fleur.{pupil['pupil_id'][:8]}@example.com")
    page.get_by_label("Nouveau mot de passe").fill("Mon-Stage-2027!")
    page.get_by_label("Confirmez le mot de passe").fill("Mon-Stage-2027!")
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_url(re.compile(r"/offres"))
    page.get_by_role("button", name="Se déconnecter").click()
    page.get_by_role("link", name="Se connecter").first.wait_for()  # logged out (a positive sign)
    page.goto("/offres?place=13001&radius_km=10")
    page.get_by_role("link", name="Fleuriste").first.click()
    page.get_by_role("link", name="Postuler").click()
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(f"fleur.{pupil['pupil_id'][:8]}@example.com")
    page.get_by_label("Mot de passe").fill("Mon-Stage-2027!")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/candidater$"))
    visit(page, "candidater-apres-connexion")


def test_keyboard_alone_reaches_the_skip_link_and_submits_the_search(page, visit, platform):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Contenu"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#content$"))  # the skip link's same-page navigation lands a moment later
    page.get_by_label("Commune, code postal ou adresse").focus()
    page.keyboard.type("13003")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/offres\?"))
    visit(page, "recherche-clavier")


def test_without_javascript_the_search_and_the_login_work(browser, platform, visit):
    employer_with_offers(platform.suite, plain={"title": "Libraire"})
    context = browser.new_context(locale="fr-FR", base_url=platform.web_url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/offres")
        page.get_by_label("Commune, code postal ou adresse").fill("Marseille")
        page.get_by_label("Mot-clé").fill("libraire")
        page.get_by_role("button", name="Rechercher").click()
        visit(page, "sans-javascript-resultats", axe=False)  # axe-core itself needs JavaScript
        page.get_by_role("link", name="Libraire").first.click()
        page.get_by_role("link", name="Postuler").click()
        page.get_by_role("button", name="Se connecter").click()
        visit(page, "sans-javascript-connexion-erreurs", axe=False)
        assert page.locator(".fr-input-group--error").count() == 2
    finally:
        context.close()


def test_information_and_error_pages(page, visit, platform):
    for path, name in [("/accessibilite", "accessibilite"), ("/mentions-legales", "mentions-legales"),
                       ("/donnees-personnelles", "donnees-personnelles"), ("/activation/nouveau-lien", "nouveau-lien"),
                       ("/activation", "activation-sans-jeton"), ("/transferts-inconnus", "page-introuvable"),
                       ("/offres/00000000-0000-4000-8000-000000000000", "offre-introuvable"),
                       ("/conventions/signature/jeton", "lien-de-signature-invalide")]:
        response = page.goto(path)
        visit(page, name)
        assert response.status in (200, 404), (path, response.status)
    page.goto("/activation/nouveau-lien")
    page.get_by_label("Adresse e-mail").fill("pas-une-adresse")
    page.get_by_role("button", name="Recevoir un nouveau lien").click()
    visit(page, "nouveau-lien-erreur")
    assert page.locator(".fr-input-group--error").count() == 1
