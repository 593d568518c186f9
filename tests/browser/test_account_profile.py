"""One's own account in a real browser (issue 21): an employer changes their name and job title from « Modifier
mes informations », changes their e-mail address up to the confirmation page reached from the e-mail's link (the
old address is told, the new one logs in), then invites a colleague from « Mon espace »; the colleague opens the
invitation's link, creates their employer account there and finds themselves a member of the space. Every page
passes the accessibility checks of ``visit``."""
from __future__ import annotations

import re
import uuid

from world import employer_account, login

COLLEAGUE_PASSWORD = "Mon-Espace-Partage-2027!"


def test_an_employer_edits_their_profile_changes_email_and_invites_a_colleague(page, visit, platform):
    emp = employer_account(platform)
    tag = uuid.uuid4().hex[:6]
    login(page, emp["email"], emp["password"])

    # « Modifier mes informations »: every error next to its field, then saved
    page.goto("/compte")
    visit(page, "mon-compte")
    page.get_by_role("link", name="Modifier mes informations").click()
    visit(page, "modifier-mes-informations")
    assert page.get_by_label("Prénom").input_value() == "Claire"
    page.get_by_label("Nom", exact=True).fill("")
    page.get_by_role("button", name="Enregistrer").click()
    visit(page, "modifier-mes-informations-erreur")
    assert page.locator("#form-errors").count() == 1 and page.locator(".fr-error-text").count() >= 1
    page.get_by_label("Nom", exact=True).fill(f"Fabre-{tag}")
    page.get_by_label("Intitulé du poste").fill("Directrice d'agence")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url(re.compile(r"/compte$"))
    visit(page, "mon-compte-modifie")
    body = page.inner_text("body")
    assert "Vos informations sont enregistrées." in body
    assert f"Claire Fabre-{tag}" in body and "Directrice d'agence" in body

    # « Changer d'adresse e-mail »: a bad address, then the link sent to the new one
    new = f"nouvelle.{uuid.uuid4().hex[:10]}@example.org"
    page.get_by_role("link", name="Changer d'adresse e-mail").click()
    visit(page, "changer-d-adresse")
    page.get_by_label("Nouvelle adresse e-mail").fill("pas-une-adresse")
    page.get_by_role("button", name="Recevoir le lien de confirmation").click()
    visit(page, "changer-d-adresse-erreur")
    assert "Saisissez une adresse e-mail valide." in page.inner_text("body")
    page.get_by_label("Nouvelle adresse e-mail").fill(new)
    page.get_by_role("button", name="Recevoir le lien de confirmation").click()
    page.get_by_role("link", name="Revenir à mon compte").wait_for()
    visit(page, "changer-d-adresse-lien-envoye")
    assert page.locator(".fr-alert--info").count() == 1
    link = platform.mail.link(platform.mail.wait_for(new, "Confirmez votre nouvelle adresse e-mail"),
                              platform.web_url)
    assert "/compte/adresse/confirmer?token=" in link
    page.goto("/compte")
    assert emp["email"] in page.inner_text("body")      # unchanged until the link is opened
    page.goto(link)
    visit(page, "confirmer-ma-nouvelle-adresse")
    page.get_by_role("button", name="Confirmer ma nouvelle adresse").click()
    page.locator(".fr-alert--success").wait_for()
    visit(page, "nouvelle-adresse-confirmee")
    platform.mail.wait_for(emp["email"], "Votre adresse e-mail a été modifiée")
    page.goto(link)   # the same link again: a clear French message
    page.get_by_role("button", name="Confirmer ma nouvelle adresse").click()
    page.locator(".fr-alert--error").wait_for()
    visit(page, "nouvelle-adresse-lien-deja-utilise")
    page.goto("/compte")
    assert new in page.inner_text("body")

    # « Mon espace »: invite a colleague
    page.get_by_role("link", name="Mon espace").first.click()
    page.wait_for_url(re.compile(r"/espace$"))
    visit(page, "mon-espace")
    colleague = f"collegue.{uuid.uuid4().hex[:10]}@example.org"
    page.get_by_label("Adresse e-mail du collègue").fill("pas-une-adresse")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    visit(page, "mon-espace-invitation-erreur")
    assert "Saisissez une adresse e-mail valide." in page.inner_text("body")
    page.get_by_label("Adresse e-mail du collègue").fill(colleague)
    page.get_by_role("button", name="Envoyer l'invitation").click()
    page.wait_for_url(re.compile(r"/espace$"))
    assert f"Invitation envoyée à {colleague}." in page.inner_text("body")
    invite = platform.mail.link(platform.mail.wait_for(colleague, "Invitation à rejoindre un espace employeur"),
                                platform.web_url)
    assert "/espaces/invitation?token=" in invite
    page.get_by_role("button", name="Se déconnecter").click()

    # the colleague creates their account from the invitation's page and is a member of the space
    page.goto(invite)
    visit(page, "invitation")
    assert colleague in page.inner_text("body")
    page.get_by_label("Prénom").fill("Hugo")
    page.get_by_label("Nom", exact=True).fill(f"Martin-{tag}")
    page.get_by_label("Fonction dans la structure").fill("Chef d'atelier")
    page.get_by_label("Nouveau mot de passe").fill(COLLEAGUE_PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(COLLEAGUE_PASSWORD)
    page.get_by_role("button", name="Créer mon compte et rejoindre l'espace").click()
    page.wait_for_url(re.compile(r"/connexion"))
    login(page, colleague, COLLEAGUE_PASSWORD)
    page.goto("/espace")
    visit(page, "mon-espace-collegue")
    members = page.locator("table tbody").inner_text()
    assert new in members and colleague in members and f"Hugo Martin-{tag}" in members
    assert page.get_by_role("button", name="Quitter l'espace").count() == 1
