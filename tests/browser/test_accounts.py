"""Pages every audience reaches from an e-mail: the activation link, the password reset link, /preferences."""
from __future__ import annotations

import re

from conftest import unique_email

PASSWORD = "Un-Mot-De-Passe-2026!"


def _register_employer(platform, email):
    r = platform.api.post("/api/v1/auth/register", json={
        "role": "employer", "first_name": "Claire", "last_name": "Fabre", "function": "Responsable RH",
        "email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text


def test_activation_link_reset_link_and_preferences(page, visit, platform):
    email = unique_email("claire")
    _register_employer(platform, email)
    link = platform.mail.link(platform.mail.wait_for(email, "Activez"), platform.web_url)
    assert "/activation?token=" in link
    page.goto(link)
    visit(page, "activation")
    page.get_by_role("button", name="Activer mon compte").click()
    visit(page, "activation-faite")
    assert page.locator(".fr-alert--success").count() == 1
    page.goto(link)  # the same link again: a clear French message
    page.get_by_role("button", name="Activer mon compte").click()
    visit(page, "activation-lien-deja-utilise")
    assert page.locator(".fr-alert--error").count() == 1

    # forgotten password: the e-mail's link leads to the new password page
    page.goto("/connexion")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    visit(page, "mot-de-passe-oublie")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_role("button", name="Recevoir le lien").click()
    visit(page, "mot-de-passe-oublie-envoye")
    link = platform.mail.link(platform.mail.wait_for(email, "Réinitialisation"), platform.web_url)
    assert "/mot-de-passe/nouveau?token=" in link
    page.goto(link)
    visit(page, "nouveau-mot-de-passe")
    page.get_by_label("Nouveau mot de passe").fill("Nouveau-Mot-De-Passe-2026!")
    page.get_by_label("Confirmez le mot de passe").fill("Nouveau-Mot-De-Passe-2026!")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    page.wait_for_url(re.compile(r"/connexion$"))
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(email)
    page.get_by_label("Mot de passe").fill("Nouveau-Mot-De-Passe-2026!")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)

    # every e-mail's footer links to /preferences
    page.goto("/preferences")
    visit(page, "preferences")
    box = page.get_by_label("Offres : par e-mail")
    assert box.is_checked()
    box.focus()
    page.keyboard.press("Space")  # by keyboard (the DSFR's label covers the box for the mouse)
    assert not box.is_checked()
    page.get_by_role("button", name="Enregistrer").click()
    visit(page, "preferences-enregistrees")
    assert not page.get_by_label("Offres : par e-mail").is_checked()
