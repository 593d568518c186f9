"""School staff and admin pages against a fake gateway (the real journey runs in tests/browser/test_school.py):
the TOTP step of an administrator's login, the pupils import's preview before anything is written, then the
import and its code sheet, and the staff registration body."""
import base64
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from stages_web.forms.school import SchoolRegisterForm
from stages_web.gateway import ApiError
from testkit.web import FakeGateway, tokens

UAI = "0131884C"
PDF = b"%PDF-1.4 fake"


def test_an_administrator_is_asked_for_the_totp_code(monkeypatch):
    def login(kw):
        if not kw["json"].get("totp_code"):
            return ApiError(401, {"code": "totp_required",
                                  "detail": "Saisissez le code à 6 chiffres de votre application d'authentification."})
        return tokens("admin")
    fake = FakeGateway(monkeypatch, {"login": login, "admin_school_staff": {"items": [], "total": 0}})
    c = Client()
    r = c.post("/connexion", {"identifier": "admin@example.com", "password": "Un-Mot-De-Passe-2026!"})
    html = r.content.decode()
    assert r.status_code == 200 and 'name="totp_code"' in html and "Saisissez le code à 6 chiffres" in html
    r = c.post("/connexion", {"identifier": "admin@example.com", "password": "Un-Mot-De-Passe-2026!",
                              "totp_code": "123 456"})
    assert r.status_code == 302 and r["Location"] == "/administration/personnels"
    assert fake.named("login")[-1]["json"]["totp_code"] == "123456"
    assert "Personnels à confirmer" in c.get("/administration/personnels").content.decode()


def test_import_shows_a_preview_then_imports_and_gives_the_sheet(monkeypatch):
    preview = {"import_id": None, "school_uai": UAI, "dry_run": True,
               "summary": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1},
               "report": {"created": [{"line": 2, "pupil_id": None, "values": {"last_name": "DUPONT",
                                                                                "first_name": "Léa",
                                                                                "class_name": "3A"}}],
                          "updated": [], "unchanged": [],
                          "rejected": [{"line": 3, "values": {"last_name": "SANSDATE", "first_name": "Paul"},
                                        "reasons": ["Date de naissance manquante."]}]},
               "codes": [], "sheet_pdf_base64": None}
    done = {**preview, "dry_run": None, "import_id": str(uuid.uuid4()),
            "codes": [{"pupil_id": str(uuid.uuid4()), "code": "K7QM-2XHP"}],
            "sheet_pdf_base64": base64.b64encode(PDF).decode()}

    def imp(kw):
        return preview if kw["params"].get("dry_run") else done
    fake = FakeGateway(monkeypatch, {"login": tokens("school_staff", school_uai=UAI), "school_pupils_import": imp,
                                     "school_pupils": {"items": [], "total": 0, "classes": []}})
    c = Client()
    r = c.post("/connexion", {"identifier": "p@ac-aix-marseille.fr", "password": "x"})
    assert r["Location"] == "/etablissement"
    csv = "Nom;Prénom;Date de naissance;Classe;Niveau\nDUPONT;Léa;01/02/2012;3A;3EME\nSANSDATE;Paul;;3A;3EME\n"
    r = c.post(f"/etablissements/{UAI}/eleves/import",
               {"file": SimpleUploadedFile("3a.csv", csv.encode(), content_type="text/csv")})
    html = r.content.decode()
    assert r.status_code == 200 and "Aperçu de l" in html
    assert "Date de naissance manquante." in html and "DUPONT" in html
    assert [kw["params"]["dry_run"] for kw in fake.named("school_pupils_import")] == ["true"]
    nonce = c.session["pupil_import"]["nonce"]
    r = c.post(f"/etablissements/{UAI}/eleves/import", {"confirm": nonce})
    assert r.status_code == 302 and r["Location"].endswith("/import/resultat")
    sent = fake.named("school_pupils_import")[-1]
    assert "dry_run" not in sent["params"] and sent["data"] == csv.encode()
    assert "Télécharger la fiche des codes" in c.get(r["Location"]).content.decode()
    sheet = c.get(f"/etablissements/{UAI}/eleves/import/fiche.pdf")
    assert sheet["Content-Type"] == "application/pdf" and sheet.content == PDF
    # the same confirmation again: the preview is spent, nothing is imported twice
    r = c.post(f"/etablissements/{UAI}/eleves/import", {"confirm": nonce})
    assert r.status_code == 302 and len(fake.named("school_pupils_import")) == 2


def test_a_refused_file_is_explained_next_to_the_field(monkeypatch):
    FakeGateway(monkeypatch, {
        "login": tokens("school_staff", school_uai=UAI),
        "school_pupils": {"items": [], "total": 0, "classes": []},
        "school_pupils_import": ApiError(422, {"detail": "Le fichier ne peut pas être importé.",
                                               "errors": {"file": ["Colonne obligatoire absente : Nom."]}})})
    c = Client()
    c.post("/connexion", {"identifier": "p@ac-aix-marseille.fr", "password": "x"})
    r = c.post(f"/etablissements/{UAI}/eleves/import",
               {"file": SimpleUploadedFile("x.csv", b"a;b\n1;2\n", content_type="text/csv")})
    assert r.status_code == 422 and "Colonne obligatoire absente : Nom." in r.content.decode()


def test_staff_registration_body():
    form = SchoolRegisterForm({"first_name": "Jeanne", "last_name": "Martin", "function": "head",
                               "school_uai": " 0131884c ", "email": "jeanne.martin@ac-aix-marseille.fr", "phone": "",
                               "password": "Un-Mot-De-Passe-2026!", "password_again": "Un-Mot-De-Passe-2026!"})
    assert form.is_valid(), form.errors
    assert form.body() == {"role": "school_staff", "first_name": "Jeanne", "last_name": "Martin", "function": "head",
                           "email": "jeanne.martin@ac-aix-marseille.fr", "phone": None,
                           "password": "Un-Mot-De-Passe-2026!", "school_uai": "0131884C"}


def test_an_admin_sees_the_offers_of_an_employer_and_unpublishes_one(monkeypatch):
    owner, offer_id = str(uuid.uuid4()), str(uuid.uuid4())
    fake = FakeGateway(monkeypatch, {
        "login": tokens("admin"),
        "my_offers": {"items": [{"id": offer_id, "title": "Boulanger", "state": "published"}], "total": 1},
        "offer_unpublish": {"id": offer_id, "state": "unpublished"}})
    c = Client()
    c.post("/connexion", {"identifier": "admin@example.com", "password": "x", "totp_code": "123456"})
    assert c.get("/administration/offres?employeur=pas-un-uuid").status_code == 422
    html = c.get(f"/administration/offres?employeur={owner}").content.decode()
    assert "Boulanger" in html and "Publiée" in html and "Dépublier" in html
    assert fake.named("my_offers")[-1]["params"]["owner_id"] == owner
    r = c.post(f"/administration/offres/{offer_id}/depublier", {"employeur": owner})
    assert r.status_code == 302 and r["Location"] == f"/administration/offres?employeur={owner}"
    assert fake.named("offer_unpublish")[-1]["offer_id"] == uuid.UUID(offer_id)
