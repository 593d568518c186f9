"""Issue 21 in a real browser: a visitor reports an offer from its public page (every error next to its field),
an admin finds it in « Offres signalées » and asks for changes with a reason, and the employer reads the
decision and its reason on the offer's page."""
from __future__ import annotations

import re
import uuid

from world import admin_login, employer_account


def _login(page, email, password):
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def test_a_visitor_reports_an_admin_asks_for_changes_and_the_employer_reads_why(page, visit, platform):
    tag = uuid.uuid4().hex[:6]
    emp = employer_account(platform, title=f"Carrossier {tag}")
    offer_id = emp["offer"]["id"]
    page.goto(f"/offres/{offer_id}")
    page.get_by_role("link", name="Signaler cette offre").click()
    page.wait_for_url(re.compile(r"/signaler$"))
    visit(page, "signaler-une-offre")
    page.get_by_role("button", name="Envoyer le signalement").click()
    visit(page, "signaler-sans-motif")
    assert page.locator(".fr-error-text, .fr-message--error").count() >= 1
    assert "Choisissez un motif dans la liste." in page.content()
    page.get_by_role("radio", name="Autre").check(force=True)
    page.get_by_role("button", name="Envoyer le signalement").click()
    assert "Précisez le motif du signalement." in page.content()
    page.get_by_role("textbox", name=re.compile("^Précisions")).fill("L'annonce propose des livraisons le soir.")
    page.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_url(re.compile(rf"/offres/{offer_id}$"))
    visit(page, "offre-signalee")
    assert "votre signalement a été transmis" in page.content()

    admin_login(page, platform)
    page.get_by_role("link", name="Offres signalées").first.click()
    visit(page, "admin-offres-signalees")
    page.get_by_role("link", name=f"Décider pour l'offre Carrossier {tag}").click()
    visit(page, "admin-decider")
    assert "L&#x27;annonce propose des livraisons le soir." in page.content() \
        or "L'annonce propose des livraisons le soir." in page.content()
    page.get_by_role("radio", name=re.compile("^Demander des modifications")).check(force=True)
    page.get_by_role("button", name="Enregistrer la décision").click()
    visit(page, "admin-decision-sans-motif")
    assert "Indiquez le motif de la décision" in page.content()
    page.get_by_role("radio", name=re.compile("^Demander des modifications")).check(force=True)
    page.get_by_role("textbox", name=re.compile("^Motif")).fill("Précisez les activités d'observation proposées à l'élève.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url(re.compile(r"/administration/moderation$"))
    visit(page, "admin-decision-enregistree")
    assert "Décision enregistrée : Modifications demandées." in page.content()
    page.get_by_role("button", name="Se déconnecter").click()

    _login(page, emp["email"], emp["password"])
    page.goto(f"/entreprise/offres/{offer_id}")
    visit(page, "employeur-offre-moderee")
    content = page.content()
    assert "Modifications demandées" in content and "La modération a demandé des modifications" in content
    assert "Précisez les activités d" in content
