"""Agreements in the browser (issue 17): from a confirmed application built through the API, the employer
fills and signs its part (API: its pages are tested in test_employer.py); the school's head, confirmed by an
admin, fills the school's part, validates, registers the school's signature image (with its preview) and
signs from the list; the pupil signs; the legal representative signs from the e-mailed link with the
keyboard alone (a wrong name first); the spent link says so; the sealed PDF is downloaded."""
from __future__ import annotations

import base64
import io
import re
import time
import uuid

from conftest import unique_email
from world import employer_with_offers

PUPIL_PASSWORD = "Mon-Stage-2027!"
REP_NAME = "Nadia Haddad"


def _png() -> bytes:
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (240, 80), "white")
    ImageDraw.Draw(img).line([(10, 60), (80, 20), (150, 60), (230, 15)], fill="navy", width=4)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _wait(fn, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def _login(page, identifier: str, password: str, next_path: str) -> None:
    page.goto("/connexion?next=" + next_path)
    page.get_by_label("Adresse e-mail ou numéro de mobile").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(re.escape(next_path) + "$"))


def _tab_to(page, name: str, limit: int = 150) -> None:
    """Press Tab until the element named ``name`` (its name attribute or its text) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => { const e = document.activeElement; "
                                "return e ? (e.getAttribute('name') || e.textContent || '').trim() : ''; }")
        if focused == name:
            return
    raise AssertionError(f"{name!r} not reached with Tab")


def _confirmed_application(platform) -> dict:
    from applications.testing import REP_PLUS_COLLEGE
    world = employer_with_offers(platform.suite, main={"title": "Boulanger", "seats": 1})
    offer = world["offers"]["main"]
    api = platform.api
    # the head of the school, confirmed by an admin; the class imported by the school
    from applications.testing import PASSWORD as STAFF_PASSWORD
    head_email = f"principal.{uuid.uuid4().hex[:10]}@ac-aix-marseille.fr"
    tag = uuid.uuid4().hex[:8].upper()
    csv = f"Nom;Prénom;Date de naissance;Classe;Niveau\r\nELEVE-{tag};Inaya;04/03/2011;3A;3EME"
    with platform.suite.rpc() as rpc:
        rpc.identity.register(data={"role": "school_staff", "first_name": "Marie", "last_name": "Lambert",
                                    "function": "head", "email": head_email, "password": STAFF_PASSWORD,
                                    "school_uai": REP_PLUS_COLLEGE}, client={"ip": "10.9.9.9", "user_agent": "t"})
        head_id = rpc.identity.activate(rpc.identity_test_hooks.last_secret("activation", head_email))["user_id"]
        rpc.identity.confirm_staff(actor={"user_id": str(uuid.uuid4()), "role": "admin"},
                                   school_uai=REP_PLUS_COLLEGE, user_id=head_id)
        imp = rpc.identity.import_pupils(
            actor={"user_id": head_id, "role": "school_staff", "function": "head", "school_uai": REP_PLUS_COLLEGE,
                   "staff_confirmed": True},
            uai=REP_PLUS_COLLEGE, content_base64=base64.b64encode(csv.encode()).decode(), filename="classe.csv",
            with_pdf=False)
    pupil = [c for c in imp["codes"] if str(c.get("last_name", "")).upper().endswith(f"-{tag}")][0]
    pupil_email = unique_email("eleve")
    r = api.post("/api/v1/auth/pupil-activate", json={"code": pupil["code"], "password": PUPIL_PASSWORD,
                                                      "email": pupil_email})
    assert r.status_code == 200, r.text
    pupil_token = r.json()["access_token"]
    rep_email = unique_email("representant")
    form = {"motivation": "Je voudrais découvrir votre métier.", "email": pupil_email, "phone": "06 12 34 56 78",
            "address": "1 rue de la Paix, 13003 Marseille",
            "legal_representative": {"name": REP_NAME, "email": rep_email, "phone": "07 12 34 56 78"},
            "week": offer["offer_weeks"][0]}
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=form, token=pupil_token,
                 headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    emp = world["token"]
    assert api.post(f"/api/v1/applications/{app_id}/accept", json={}, token=emp).status_code == 200
    r = api.post(f"/api/v1/applications/{app_id}/confirm", token=pupil_token)
    assert r.status_code == 200, r.text
    conv = _wait(lambda: [c for c in api.get("/api/v1/conventions", token=emp).json().get("items", [])
                          if c["application_id"] == app_id])[0]
    return {"cid": conv["id"], "emp": emp, "emp_id": world["user_id"], "pupil_email": pupil_email,
            "pupil_name": conv.get("pupil_name"), "rep_email": rep_email, "head_email": head_email,
            "head_password": STAFF_PASSWORD}


def test_agreement_filled_validated_and_signed_by_all_four_parties(browser, page, visit, platform):
    from conventions.testing import SUITE_EMPLOYER_FIELDS
    w = _confirmed_application(platform)
    cid, api = w["cid"], platform.api

    # the employer fills its part and declares it complete (API)
    r = api.patch(f"/api/v1/conventions/{cid}", token=w["emp"], json={
        **SUITE_EMPLOYER_FIELDS, "activities": "Pétrir, façonner et cuire le pain avec l'équipe.",
        "lunch_break": "Une heure, sur place."})
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/conventions/{cid}/complete", token=w["emp"])
    assert r.status_code == 200, r.text

    # the head: the list by class, the agreement with the employer's part read-only, fills, validates
    _login(page, w["head_email"], w["head_password"], "/conventions")
    visit(page, "etablissement-conventions")
    page.get_by_label("État").select_option("completed_by_employer")
    page.get_by_role("button", name="Filtrer").click()
    visit(page, "etablissement-conventions-filtrees")
    page.locator(f"a[href='/conventions/{cid}']").click()
    page.wait_for_url(re.compile(rf"/conventions/{cid}$"))
    visit(page, "etablissement-convention-a-remplir")
    assert "Partie de la structure d'accueil (lecture seule)" in page.locator("main").inner_text()
    assert page.locator("input[name=tutor_name]").count() == 0
    assert page.get_by_label("Représentant légal 1 : nom et prénom").input_value() == REP_NAME
    page.get_by_role("button", name="Enregistrer et valider la convention").click()
    visit(page, "etablissement-convention-champs-manquants")
    assert page.locator("#form-errors li").count() >= 2, page.locator("#form-errors").inner_text()
    page.get_by_label("Représentant de l'établissement : nom et prénom").fill("Jean-Pierre Lefèvre")
    page.get_by_label("Représentant de l'établissement : fonction").fill("Principal adjoint")
    page.get_by_label("Représentant de l'établissement : adresse e-mail").fill("ce.0131884c@ac-aix-marseille.fr")
    page.get_by_label("Représentant de l'établissement : téléphone").fill("04 91 00 00 00")
    page.get_by_label("Professeur référent : nom et prénom").fill("Sophie Garnier")
    page.get_by_label("Professeur référent : adresse e-mail").fill("sophie.garnier@ac-aix-marseille.fr")
    page.get_by_label("Professeur référent : téléphone").fill("06 98 76 54 32")
    page.get_by_label("Projet d'accueil individualisé (PAI)").select_option("no")
    page.get_by_label("Date de la délibération du conseil d'administration").fill("2026-09-15")
    page.get_by_role("button", name="Enregistrer et valider la convention").click()
    visit(page, "etablissement-convention-validee")
    assert "Convention validée" in page.locator(".fr-alert--success").inner_text(), page.locator("main").inner_text()

    # the school's signature image: choose, preview, register
    page.goto("/conventions/image-de-signature")
    visit(page, "image-de-signature")
    page.get_by_label("Image de signature (PNG ou JPEG, 2 Mo au plus)").set_input_files(
        files=[{"name": "signature.png", "mimeType": "image/png", "buffer": _png()}])
    page.get_by_role("button", name="Voir l'aperçu").click()
    visit(page, "image-de-signature-apercu")
    assert page.get_by_alt_text("Aperçu de l'image de signature choisie").count() == 1
    page.get_by_role("button", name="Enregistrer cette image").click()
    visit(page, "image-de-signature-enregistree")
    assert "enregistrée" in page.locator(".fr-alert--success").inner_text()

    # the employer signs with its code (API)
    assert api.post("/api/v1/conventions/signature-code", json={"convention_ids": [cid]},
                    token=w["emp"]).status_code == 200
    with platform.suite.rpc() as rpc:
        code = rpc.conventions.test_last_secrets(user_id=w["emp_id"])["code"]
    doc_hash = api.get(f"/api/v1/conventions/{cid}", token=w["emp"]).json()["document_hash"]
    r = api.post(f"/api/v1/conventions/{cid}/sign", json={"document_hash": doc_hash, "code": code}, token=w["emp"])
    assert r.status_code == 200, r.text

    # the head signs from the list (several at once: the checked ones)
    page.goto("/conventions?etat=to_sign")
    visit(page, "etablissement-conventions-a-signer")
    page.locator(f"#sel-{cid}").check(force=True)
    page.get_by_role("button", name=re.compile("^Signer les conventions cochées")).click()
    visit(page, "etablissement-conventions-signees")
    assert "signée" in page.locator(".fr-alert--success").inner_text(), page.locator("main").inner_text()

    # the pupil signs
    ctx = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", base_url=platform.web_url,
                              viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(20000)
    ppage = ctx.new_page()
    _login(ppage, w["pupil_email"], PUPIL_PASSWORD, "/conventions")
    visit(ppage, "eleve-ma-convention-liste")
    ppage.locator(f"a[href='/conventions/{cid}']").click()
    visit(ppage, "eleve-convention-a-signer")
    ppage.get_by_role("button", name="Signer ma convention").click()
    visit(ppage, "eleve-convention-case-non-cochee")
    assert ppage.locator("#form-errors").count() == 1
    ppage.get_by_label("J'ai lu la convention et je la signe").check(force=True)
    ppage.get_by_role("button", name="Signer ma convention").click()
    visit(ppage, "eleve-convention-signee")
    assert "signé" in ppage.locator(".fr-alert--success").inner_text()

    # the legal representative, from the e-mail's link, with the keyboard alone
    def sign_mail():
        return [m for m in platform.mail.all()
                if w["rep_email"] in m["rcpt_tos"] and "/conventions/signature/" in m["text"]]
    mail = _wait(sign_mail)[-1]
    link = re.search(re.escape(platform.web_url) + r"/conventions/signature/[\w-]+", mail["text"]).group(0)
    other = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900})
    rpage = other.new_page()
    rpage.goto(link)
    visit(rpage, "representant-legal-lien")
    assert rpage.locator("a[href$='/document?telecharger=1']").count() == 1
    pdf = rpage.request.get(link + "/document")
    assert pdf.status == 200 and pdf.body()[:4] == b"%PDF"
    _tab_to(rpage, "full_name")
    rpage.keyboard.type("Nadia Martin")
    _tab_to(rpage, "agree")
    rpage.keyboard.press("Space")
    _tab_to(rpage, "Signer la convention")
    rpage.keyboard.press("Enter")
    rpage.wait_for_load_state("load")
    visit(rpage, "representant-legal-nom-errone")
    assert rpage.locator("#form-errors").count() == 1
    rpage.locator("#form-errors").wait_for()
    rpage.evaluate("() => document.activeElement && document.activeElement.blur()")
    _tab_to(rpage, "full_name")
    rpage.keyboard.press("Control+A")
    rpage.keyboard.type(REP_NAME.upper())
    _tab_to(rpage, "agree")
    if not rpage.locator("input[name=agree]").is_checked():
        rpage.keyboard.press("Space")
    _tab_to(rpage, "Signer la convention")
    rpage.keyboard.press("Enter")
    rpage.wait_for_url(link)
    rpage.get_by_role("heading", name="Convention signée").wait_for()
    visit(rpage, "representant-legal-signe")
    rpage.goto(link)
    visit(rpage, "representant-legal-lien-utilise")
    assert "déjà utilisé" in rpage.locator("h1").inner_text()
    other.close()

    # the sealed PDF, downloaded from the browser
    ppage.goto(f"/conventions/{cid}")
    visit(ppage, "eleve-convention-signee-par-tous")
    with ppage.expect_download() as dl:
        ppage.get_by_role("link", name=re.compile("^Télécharger la convention")).click()
    content = open(dl.value.path(), "rb").read()
    assert content[:4] == b"%PDF", content[:40]
    c = api.get(f"/api/v1/conventions/{cid}", token=w["emp"]).json()
    assert c["state"] == "signed_by_all", c["state"]
    ctx.close()
