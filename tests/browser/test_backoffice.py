"""Back-office (issue 21) in a real browser, without JavaScript being needed: the demo admin finds an account,
locks it with a reason and the confirmation box (the journal shows who, when, what, why), unlocks it, searches
and opens a school; a confirmed head creates a class, moves pupils into it with the checkboxes, and cannot
delete a class that still has pupils. Every page passes the accessibility checks of ``visit``."""
from __future__ import annotations

import base64
import uuid

from world import admin_login, confirmed_head

UAI = "0131884C"


def test_admin_back_office_and_staff_classes(page, visit, platform):
    tag = uuid.uuid4().hex[:6]
    head = confirmed_head(platform, UAI)
    csv = "Nom;Prénom;Date de naissance;Classe;Niveau\r\n" + "\r\n".join(
        f"BO{tag.upper()}-{i};Lina;04/03/2012;3{tag[:3].upper()};3EME" for i in range(2))
    with platform.suite.rpc() as rpc:
        rpc.identity.import_pupils(actor={"user_id": str(uuid.uuid4()), "role": "admin"}, uai=UAI,
                                   content_base64=base64.b64encode(csv.encode()).decode(), with_pdf=False)

    admin_login(page, platform)
    page.goto("/administration/utilisateurs")
    visit(page, "bo-utilisateurs")
    page.get_by_label("Rechercher un compte").fill(head["email"])
    page.get_by_role("button", name="Rechercher").click()
    visit(page, "bo-utilisateurs-resultats")
    page.get_by_role("link", name="Marie Lambert").first.click()
    visit(page, "bo-utilisateur")
    assert "Sessions ouvertes" in page.content()
    page.get_by_label("Verrouiller le compte").check(force=True)
    page.get_by_label("Motif").fill("Usurpation d'identité signalée")
    page.get_by_role("button", name="Appliquer l'action").click()
    visit(page, "bo-utilisateur-sans-confirmation")
    assert "Cochez la case pour confirmer" in page.content()
    page.get_by_label("Verrouiller le compte").check(force=True)
    page.get_by_label("Motif").fill("Usurpation d'identité signalée")
    page.get_by_label("Je confirme cette action sur ce compte.").check(force=True)
    page.get_by_role("button", name="Appliquer l'action").click()
    visit(page, "bo-utilisateur-verrouille")
    assert "Le compte est verrouillé" in page.content() and "Usurpation d'identité signalée" in page.content()
    page.get_by_label("Déverrouiller le compte").check(force=True)
    page.get_by_label("Motif").fill("Identité vérifiée par téléphone")
    page.get_by_label("Je confirme cette action sur ce compte.").check(force=True)
    page.get_by_role("button", name="Appliquer l'action").click()
    page.get_by_text("Le compte est déverrouillé").wait_for()
    page.goto("/administration/journal")
    visit(page, "bo-journal")
    assert "Verrouillage du compte" in page.content() and "Déverrouillage du compte" in page.content()
    page.goto("/administration/etablissements?q=belle+de+mai")
    visit(page, "bo-etablissements")
    page.get_by_role("link", name="Collège Belle de Mai").first.click()
    visit(page, "bo-etablissement")
    page.goto("/administration/etablissements/nouveau")
    visit(page, "bo-etablissement-nouveau")
    page.get_by_role("button", name="Se déconnecter").click()

    # the head (unlocked) manages the classes
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(head["email"])
    page.get_by_label("Mot de passe", exact=True).fill(head["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)
    page.goto(f"/etablissements/{UAI}/classes/gestion")
    visit(page, "classes-gestion")
    page.get_by_label("Nom de la classe", exact=True).fill(f"4{tag}")
    page.get_by_role("button", name="Créer la classe").click()
    page.get_by_text(f"La classe « 4{tag} » est créée.").wait_for()
    source = f"3{tag[:3].upper()}"
    page.goto(f"/etablissements/{UAI}/eleves/changer-de-classe?classe={source}")
    visit(page, "eleves-changer-de-classe")
    page.get_by_label(f"Lina BO{tag.upper()}-0").check(force=True)
    page.get_by_label(f"Lina BO{tag.upper()}-1").check(force=True)
    page.get_by_label("Vers la classe").select_option(f"4{tag}")
    page.get_by_role("button", name="Changer de classe les élèves cochés").click()
    page.get_by_text(f"2 élèves déplacés en « 4{tag} »").wait_for()
    page.goto(f"/etablissements/{UAI}/classes/gestion")
    assert "à déplacer d'abord" in page.content()
