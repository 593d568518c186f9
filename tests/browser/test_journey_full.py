"""The whole life of an internship in one continuous browser journey (issue 17, « Checked »): the school's head
imports a class from a CSV (one bad line, shown in the preview), prints the code sheet; a pupil of the sheet
activates their account with the code, searches, applies; the employer accepts from the e-mail; the head
follows the class (per-class follow-up page); the pupil confirms from the e-mail; the employer fills its part of
the agreement from the e-mail, the head fills the school's part and validates; the employer signs with the code
received by e-mail, the head signs, the pupil signs, the legal representative signs from the e-mailed link; the
final sealed PDF is downloaded from the browser.

Only the accounts that exist before the journey (the employer with its published offer, the head confirmed by
an admin) are set up, through the public API and the e-mails' links (``world.py``); every step after that is a
click in Chromium, each new page checked by ``visit`` (one h1, labelled fields, axe-core)."""
from __future__ import annotations

import io
import re
import uuid

import pypdf
from conftest import unique_email
from world import confirmed_head, employer_account

from testkit.applications import REP_PLUS_COLLEGE

PUPIL_PASSWORD = "Mon-Stage-2027!"
REP_NAME = "Nadia Haddad"
HEAD_NAME = "Marie Lambert"


def _context(browser, platform):
    ctx = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=platform.web_url,
                              viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(20000)
    return ctx, ctx.new_page()


def _login(page, identifier: str, password: str, next_path: str) -> None:
    page.goto("/connexion?next=" + next_path)
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(identifier)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def _link(platform, to: str, subject: str) -> str:
    """The front end's link of the last e-mail to ``to`` whose subject holds ``subject``, as a path."""
    return platform.mail.link(platform.mail.wait_for(to, subject), platform.web_url).replace(platform.web_url, "")


def _done(page) -> None:
    """Wait for the page's answer to a form: a success message (else fail with the errors shown)."""
    page.locator(".fr-alert--success, #form-errors, .fr-alert--error").first.wait_for()
    assert page.locator(".fr-alert--success").count() >= 1, page.locator("main").inner_text()


def _follow_up_row(page, pupil_name: str) -> str:
    row = page.locator("tbody tr", has=page.get_by_role("rowheader", name=pupil_name))
    assert row.count() == 1, page.locator("main").inner_text()
    return row.inner_text()


def test_from_the_class_import_to_the_sealed_agreement(browser, page, visit, platform):
    tag = uuid.uuid4().hex[:6].upper()
    class_name = f"3{tag[:4]}"
    pupil_last = f"BENALI-{tag}"
    pupil_name = f"{pupil_last} Inaya"
    title = f"Ébéniste {tag}"
    emp = employer_account(platform, title=title, seats=1,
                           organisation={"name": f"Atelier Bois {tag}", "siret": "44306184100047", "is_public": False,
                                         "sector": "s26", "contact_phone": "04 91 00 00 00",
                                         "head_office_address": {"street": "10 boulevard National",
                                                                 "postal_code": "13003", "city": "Marseille"}})
    head = confirmed_head(platform, REP_PLUS_COLLEGE)
    pupil_email, rep_email = unique_email("eleve"), unique_email("representant")

    # 1. the head imports the class: the preview shows the bad line before anything is written
    _login(page, head["email"], head["password"], f"/etablissements/{REP_PLUS_COLLEGE}/eleves")
    csv = ("Nom;Prénom;Date de naissance;Classe;Niveau\n"
           f"{pupil_last};Inaya;04/03/2011;{class_name};3EME\n"
           f"SANSDATE-{tag};Paul;;{class_name};3EME\n")
    page.get_by_label("Fichier CSV des élèves").set_input_files(
        files=[{"name": "classe.csv", "mimeType": "text/csv", "buffer": csv.encode("utf-8")}])
    page.get_by_role("button", name="Voir l'aperçu de l'import").click()
    visit(page, "import-apercu")
    assert "Date de naissance manquante." in page.locator("main").inner_text()
    page.get_by_role("button", name="Importer 1 élève").click()
    visit(page, "import-termine")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Télécharger la fiche des codes (PDF)").click()
    sheet = pypdf.PdfReader(io.BytesIO(open(dl.value.path(), "rb").read()))
    text = "".join(p.extract_text() for p in sheet.pages)
    assert pupil_last in text, text
    code = re.search(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b", text[text.index(pupil_last):]).group(0)

    # 2. the pupil activates their account with the sheet's code
    pctx, ppage = _context(browser, platform)
    ppage.goto("/activer-mon-compte")
    ppage.get_by_label("Code d'activation").fill(code)
    ppage.get_by_role("button", name="Continuer").click()
    ppage.get_by_label("Adresse e-mail").fill(pupil_email)
    ppage.get_by_label("Nouveau mot de passe").fill(PUPIL_PASSWORD)
    ppage.get_by_label("Confirmez le mot de passe").fill(PUPIL_PASSWORD)
    ppage.get_by_role("button", name="Activer mon compte").click()
    ppage.wait_for_url(re.compile(r"/offres"))
    visit(ppage, "eleve-recherche")

    # 3. searches (around their school, by keyword) and applies
    ppage.get_by_label("Mot-clé").fill(tag)
    ppage.get_by_role("button", name="Rechercher").click()
    ppage.get_by_role("link", name=title).click()
    visit(ppage, "eleve-offre")
    ppage.get_by_role("link", name="Postuler").click()
    ppage.get_by_label("Semaine de stage").select_option(index=1)
    ppage.get_by_label("Votre motivation").fill("J'aime travailler le bois avec mon oncle, je veux voir un atelier.")
    ppage.get_by_label("Votre téléphone mobile").fill("06 12 34 56 78")
    ppage.get_by_label("Votre adresse postale").fill("3 rue Belle de Mai, 13003 Marseille")
    ppage.get_by_label("Nom et prénom de votre représentant légal").fill(REP_NAME)
    ppage.get_by_label("Adresse e-mail de votre représentant légal").fill(rep_email)
    ppage.get_by_label("Téléphone mobile de votre représentant légal").fill("07 12 34 56 78")
    ppage.get_by_role("button", name="Envoyer ma candidature").click()
    ppage.wait_for_url(re.compile(r"/eleve/candidatures/[0-9a-f-]{36}$"))
    visit(ppage, "eleve-candidature-envoyee")
    application_id = ppage.url.rsplit("/", 1)[1]

    # 4. the employer accepts, from the new-application e-mail
    ectx, epage = _context(browser, platform)
    path = _link(platform, emp["email"], "Nouvelle candidature")
    assert path == f"/entreprise/candidatures/{application_id}", path
    _login(epage, emp["email"], emp["password"], path)
    visit(epage, "employeur-candidature-recue")
    epage.get_by_role("button", name="Accepter la candidature").click()
    _done(epage)
    visit(epage, "employeur-candidature-acceptee")

    # 5. the head follows the class: the application, its state, offer, host organisation, week
    page.goto(f"/etablissements/{REP_PLUS_COLLEGE}/classes")
    visit(page, "candidatures-par-classe")
    page.get_by_role("link", name=re.compile(rf"^{class_name}")).click()
    page.wait_for_url(re.compile(r"/suivi\?classe="))
    visit(page, "suivi-classe-candidature-acceptee")
    assert page.get_by_label("Classe", exact=True).input_value() == class_name
    row = _follow_up_row(page, pupil_name)
    assert title in row and f"Atelier Bois {tag}" in row and "semaine du" in row, row
    assert "accept" in row.lower(), row

    # 6. the pupil confirms, from the e-mail
    path = _link(platform, pupil_email, "acceptée")
    assert path == f"/eleve/candidatures/{application_id}", path
    ppage.goto(path)
    ppage.get_by_role("button", name="Confirmer mon stage").click()
    _done(ppage)
    visit(ppage, "eleve-stage-confirme")
    page.reload()
    visit(page, "suivi-classe-stage-confirme")
    assert "1 élève, 1 ayant candidaté, 1 placé" in page.locator("main").inner_text()
    assert "confirm" in _follow_up_row(page, pupil_name).lower()

    # 7. the employer fills its part of the agreement, from the e-mail
    path = _link(platform, emp["email"], "Convention de stage à remplir")
    cid = path.rsplit("/", 1)[1]
    epage.goto(path)
    visit(epage, "employeur-convention-a-remplir")
    epage.get_by_label("Représentant de la structure : nom et prénom").fill("Claire Fabre")
    epage.get_by_label("Représentant : fonction").fill("Gérante")
    epage.get_by_label("Tuteur : nom et prénom").fill("Karim Haddad")
    epage.get_by_label("Tuteur : fonction").fill("Chef d'atelier")
    epage.get_by_label("Tuteur : adresse e-mail").fill("karim.haddad@example.com")
    epage.get_by_label("Tuteur : téléphone").fill("04 91 11 22 33")
    epage.get_by_label("Activités confiées à l'élève").fill("Observer le débit, le ponçage et la finition des meubles.")
    epage.get_by_label("Heure d'arrivée").fill("09:00")   # 7 h a day at most for a minor, the break apart
    epage.get_by_label("Heure de départ").fill("16:00")
    epage.get_by_label("Début de la pause").fill("12:00")
    epage.get_by_label("Fin de la pause").fill("13:00")
    epage.get_by_label("Pause déjeuner").fill("Une heure, en salle de pause.")
    epage.get_by_role("button", name="Enregistrer et déclarer ma partie complète").click()
    _done(epage)
    visit(epage, "employeur-partie-complete")

    # 8. the head fills the school's part and validates
    page.goto(f"/conventions/{cid}")
    visit(page, "etablissement-convention-a-remplir")
    assert page.get_by_label("Représentant légal 1 : nom et prénom").input_value() == REP_NAME
    page.get_by_label("Représentant de l'établissement : nom et prénom").fill(HEAD_NAME)
    page.get_by_label("Représentant de l'établissement : fonction").fill("Principale")
    page.get_by_label("Représentant de l'établissement : adresse e-mail").fill("ce.0131884c@ac-aix-marseille.fr")
    page.get_by_label("Représentant de l'établissement : téléphone").fill("04 91 00 00 00")
    page.get_by_label("Professeur référent : nom et prénom").fill("Sophie Garnier")
    page.get_by_label("Professeur référent : adresse e-mail").fill("sophie.garnier@ac-aix-marseille.fr")
    page.get_by_label("Professeur référent : téléphone").fill("06 98 76 54 32")
    page.get_by_label("Projet d'accueil individualisé (PAI)").select_option("no")
    page.get_by_label("Date de la délibération du conseil d'administration").fill("2026-09-15")
    page.get_by_role("button", name="Enregistrer et valider la convention").click()
    _done(page)
    visit(page, "etablissement-convention-validee")
    assert "Convention validée" in page.locator(".fr-alert--success").inner_text()

    # 9. signatures: the employer with the code received by e-mail (no mobile phone on the account)
    epage.goto(f"/conventions/{cid}")
    epage.get_by_role("button", name="Recevoir un code de signature").click()
    visit(epage, "employeur-code-envoye")
    mail = platform.mail.wait_for(emp["email"], "Votre code de signature")
    sign_code = re.search(r"code de signature : (\d{6})", mail["subject"]).group(1)
    epage.get_by_label("Code de signature").fill(sign_code)
    epage.get_by_role("button", name="Signer", exact=True).click()
    _done(epage)
    visit(epage, "employeur-convention-signee")
    ectx.close()

    # the head, by typing their name
    page.goto(f"/conventions/{cid}")
    page.get_by_label("En saisissant mon nom").check(force=True)
    page.get_by_label("Votre nom et prénom (signature par nom saisi)").fill(HEAD_NAME)
    page.get_by_role("button", name="Signer la convention").click()
    _done(page)
    visit(page, "etablissement-convention-signee")

    # the pupil
    ppage.goto(f"/conventions/{cid}")
    visit(ppage, "eleve-convention-a-signer")
    ppage.get_by_label("J'ai lu la convention et je la signe").check(force=True)
    ppage.get_by_role("button", name="Signer ma convention").click()
    _done(ppage)
    visit(ppage, "eleve-convention-signee")

    # the legal representative, from the e-mailed link (no account)
    rctx, rpage = _context(browser, platform)
    rpage.goto(_link(platform, rep_email, "Signature de la convention de stage"))
    visit(rpage, "representant-legal-lien")
    rpage.get_by_label("Votre nom et prénom").fill(REP_NAME)
    agree = rpage.get_by_label("J'ai lu la convention et j'accepte de la signer")
    agree.focus()
    rpage.keyboard.press("Space")
    assert agree.is_checked()
    rpage.get_by_role("button", name="Signer la convention").click()
    rpage.get_by_role("heading", name="Convention signée").wait_for()
    visit(rpage, "representant-legal-signe")
    rctx.close()

    # 10. the final sealed PDF, downloaded from the pupil's browser
    ppage.goto(f"/conventions/{cid}")
    visit(ppage, "eleve-convention-signee-par-tous")
    with ppage.expect_download() as dl:
        ppage.get_by_role("link", name=re.compile("^Télécharger la convention signée")).click()
    content = open(dl.value.path(), "rb").read()
    assert content[:5] == b"%PDF-", content[:40]
    pdf = pypdf.PdfReader(io.BytesIO(content))
    text = "".join(p.extract_text() for p in pdf.pages)
    assert "PROJET" not in text and "En attente de signature" not in text, text
    assert text.count("Signé par") == 4, text
    for name in ("Claire Fabre", HEAD_NAME, REP_NAME):
        assert name in text, name
    seals = [f for f in (pdf.get_fields() or {}).values() if f.get("/FT") == "/Sig" and f.get("/V")]
    assert len(seals) == 1, pdf.get_fields()   # the platform's seal (PAdES) over the final document
    r = platform.api.post("/api/v1/auth/login", json={"identifier": pupil_email, "password": PUPIL_PASSWORD})
    c = platform.api.get(f"/api/v1/conventions/{cid}", token=r.json()["access_token"]).json()
    assert c["state"] == "signed_by_all", c["state"]
    pctx.close()
