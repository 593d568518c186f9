"""School staff and admin: a head registers with the academic address, an admin (logging in with the TOTP
code) confirms them, the head imports a class from a CSV (the preview shows the bad line before anything
is written), downloads the code sheet, and a pupil of the sheet activates their account with the code.
The admin also unpublishes an offer from an employer's offers."""
from __future__ import annotations

import io
import re
import uuid

import pypdf
from world import admin_login, employer_with_offers

PASSWORD = "Un-Mot-De-Passe-2026!"
UAI = "0131264D"  # Collège Joséphine Baker, Aix-Marseille: no demo staff


def _login(page, email, password=PASSWORD):
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/connexion" not in url)


def test_head_registers_is_confirmed_imports_a_class_and_a_pupil_activates(page, visit, platform):
    tag = uuid.uuid4().hex[:6]
    head_email = f"chef.{tag}@ac-aix-marseille.fr"

    # the head registers in the browser
    page.goto("/connexion")
    page.get_by_role("link", name="Créer un compte personnel d'établissement").click()
    visit(page, "inscription-personnel")
    page.get_by_label("Prénom").fill("Nadia")
    page.get_by_label("Nom", exact=True).fill(f"Chef-{tag}")
    page.get_by_label("Fonction").select_option("head")
    page.get_by_label("Code UAI de l'établissement").fill(UAI.lower())
    page.get_by_label("Adresse e-mail académique").fill(head_email)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmez le mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    visit(page, "inscription-personnel-envoyee")
    assert "attend ensuite sa confirmation" in page.content()
    page.goto(platform.mail.link(platform.mail.wait_for(head_email, "Activez"), platform.web_url))
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_load_state("load")

    # an admin (the demo one, with its TOTP secret) confirms the head
    admin_login(page, platform, visit)
    assert page.url.endswith("/administration/personnels")
    visit(page, "admin-personnels-a-confirmer")
    page.get_by_role("button", name=f"Confirmer Nadia Chef-{tag}").click()
    visit(page, "admin-personnel-confirme")
    assert "est confirmé" in page.content()
    page.get_by_role("link", name="Notifications en échec").first.click()
    visit(page, "admin-notifications-en-echec")
    emp = employer_with_offers(platform.suite, plain={"title": f"Boulanger {tag}"})
    page.get_by_role("link", name="Offres d'un employeur").first.click()
    page.get_by_label("Identifiant du compte employeur").fill(emp["user_id"])
    page.get_by_role("button", name="Afficher ses offres").click()
    visit(page, "admin-offres-employeur")
    page.get_by_role("button", name=f"Dépublier l'offre Boulanger {tag}").click()
    visit(page, "admin-offre-depubliee")
    assert "L'offre est dépubliée." in page.content() or "L&#x27;offre est dépubliée." in page.content()
    page.get_by_role("button", name="Se déconnecter").click()

    # the head imports a class: one bad line, shown in the preview before anything is written
    _login(page, head_email)
    assert page.url.endswith(f"/etablissements/{UAI}/eleves")
    visit(page, "eleves")
    csv = ("Nom;Prénom;Date de naissance;Classe;Niveau\n"
           f"ROBIN-{tag};Lina;04/03/2012;3B;3EME\n"
           f"SANSDATE-{tag};Paul;;3B;3EME\n"
           f"VIDAL-{tag};Hugo;15/09/2011;3B;3EME\n")
    page.get_by_label("Fichier CSV des élèves").set_input_files(
        files=[{"name": "3b.csv", "mimeType": "text/csv", "buffer": csv.encode("utf-8")}])
    page.get_by_role("button", name="Voir l'aperçu de l'import").click()
    visit(page, "import-apercu")
    assert "Date de naissance manquante." in page.content()
    assert page.get_by_role("table", name="Élèves à créer").locator("tbody tr").count() == 2
    page.goto(f"/etablissements/{UAI}/eleves?q=robin-{tag}")  # nothing written yet
    assert "Aucun élève" in page.content()
    page.goto(f"/etablissements/{UAI}/eleves/import")  # the preview waits for its confirmation
    page.get_by_role("button", name="Importer 2 élèves").click()
    visit(page, "import-termine")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Télécharger la fiche des codes (PDF)").click()
    sheet = pypdf.PdfReader(io.BytesIO(open(dl.value.path(), "rb").read()))
    text = "".join(p.extract_text() for p in sheet.pages)
    codes = re.findall(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", text)
    assert len(codes) >= 2, text
    page.goto(f"/etablissements/{UAI}/classes")
    visit(page, "candidatures-par-classe")
    page.goto(f"/etablissements/{UAI}/personnels")
    visit(page, "personnels")
    page.get_by_role("button", name="Se déconnecter").click()

    # a pupil of the sheet activates their account with the code
    page.goto("/activer-mon-compte")
    page.get_by_label("Code d'activation").fill(codes[0])
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Adresse e-mail").fill(f"eleve.{tag}@example.com")
    page.get_by_label("Nouveau mot de passe").fill("Mon-Stage-2027!")
    page.get_by_label("Confirmez le mot de passe").fill("Mon-Stage-2027!")
    page.get_by_role("button", name="Activer mon compte").click()
    page.wait_for_url(lambda url: "/activer-mon-compte" not in url)
    assert "Votre compte est activé" in page.content()
