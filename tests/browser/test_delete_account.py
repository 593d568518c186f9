"""« Supprimer mon compte » in a real browser (docs/privacy.md): a pupil without any agreement activates their
account with the code from the school's sheet, opens « Supprimer mon compte » from « Mon compte », is refused with
a wrong password (the error next to the field), confirms with their password, is signed out, receives the
confirmation e-mail, and can no longer log in. Every page passes the accessibility checks of ``visit``."""
from __future__ import annotations

import re

from conftest import unique_email
from world import imported_class

PASSWORD = "Mon-Compte-Efface-2027!"


def test_a_pupil_without_agreement_deletes_their_account_and_is_signed_out(page, visit, platform):
    pupil = imported_class(platform.suite)[0]
    email = unique_email("eleve.suppression")
    page.goto("/activer-mon-compte")
    page.get_by_label("Code d'activation").fill(pupil["code"])
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Nouveau mot de passe").fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_url(re.compile(r"/offres"))

    page.goto("/compte")
    page.get_by_role("link", name="Supprimer mon compte et anonymiser mes données").click()
    page.wait_for_url(re.compile(r"/compte/suppression$"))
    visit(page, "supprimer-mon-compte")
    assert page.locator(".fr-alert--warning").count() == 0       # no agreement holds the deletion
    page.get_by_label("Mot de passe").fill("Pas-Le-Bon-2027!")
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    visit(page, "supprimer-mon-compte-mauvais-mot-de-passe")
    assert page.locator("#form-errors").count() == 1 and page.locator(".fr-error-text").count() >= 1
    assert "/compte/suppression" in page.url
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()
    page.wait_for_url(lambda url: "/compte/suppression" not in url)
    visit(page, "compte-supprime")
    assert "Votre compte est supprimé" in page.inner_text("body")
    assert page.get_by_role("button", name="Se déconnecter").count() == 0     # signed out
    page.goto("/compte")
    page.wait_for_url(re.compile(r"/connexion"))                                # a private page asks to log in
    platform.mail.wait_for(email, "Votre compte a été supprimé")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.locator(".fr-alert--error, #form-errors").first.wait_for()
    visit(page, "connexion-compte-supprime")
    assert "/connexion" in page.url
