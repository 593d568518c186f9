"""Visitors: the home page, the login page, errors shown next to the fields."""
from __future__ import annotations


def test_home_and_login_page_show_every_error_next_to_its_field(page, visit, platform):
    page.goto("/")
    visit(page, "accueil")
    page.get_by_role("link", name="Se connecter").first.click()
    visit(page, "connexion")
    page.get_by_role("button", name="Se connecter").click()
    visit(page, "connexion-champs-vides")
    assert page.locator("#form-errors").is_visible()
    assert page.locator("#id_identifier-desc-error, .fr-error-text").count() >= 2
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill("personne@example.com")
    page.get_by_label("Mot de passe").fill("Mauvais-mot-de-passe-1!")
    page.get_by_role("button", name="Se connecter").click()
    visit(page, "connexion-refusee")
    assert "incorrect" in page.locator("#form-errors").inner_text().lower() or \
        page.locator("#form-errors").count() == 1
