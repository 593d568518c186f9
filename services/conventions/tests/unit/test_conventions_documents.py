import datetime as dt
import io
import re

import pypdf
import pytest

from conventions.documents import (Sealer, build_context, generate_self_signed, render_convention, render_html,
                                   validate_seal)
from conventions.documents.render import css_string
from conventions.domain import convention as C
from testkit.conventions import NOW, account, actors, sample_convention


@pytest.fixture(scope="module")
def cert_and_key():
    return generate_self_signed()


@pytest.fixture(scope="module")
def sealer(cert_and_key):
    return Sealer(*cert_and_key)


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(p.extract_text() for p in reader.pages)


def squash(s: str) -> str:
    return re.sub(r"\s+", " ", s)


def signed_convention(grade="troisieme"):
    conv = sample_convention(grade)
    a = actors(conv)
    C.update(conv, a["employer"], {"lunch_break": conv.employer["lunch_break"]}, NOW)
    C.complete(conv, a["employer"], NOW)
    C.validate(conv, a["head"], NOW)
    for i, (role, who, method) in enumerate(((C.EMPLOYER_ROLE, "employer", "code"), (C.HEAD_ROLE, "head", "image"),
                                             (C.PUPIL_ROLE, "pupil", "session"))):
        signer = C.signer_for_actor(conv, a[who], role, account=account(a[who]) if who == "head" else None)
        C.sign(conv, role=role, signer=signer, document_hash=conv.document_hash,
               now=NOW + dt.timedelta(hours=i + 1, minutes=7), method=method)
    C.sign(conv, role=C.LEGAL_REP_ROLE, signer={"key": "legal_representative:0", "name": "Nadia Haddad"},
           document_hash=conv.document_hash, now=NOW + dt.timedelta(days=1), method="link")
    return conv


def _png():
    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (120, 40), "navy").save(buf, "PNG")
    return buf.getvalue()


def test_college_convention_text(sealer):
    conv = signed_convention()
    pdf = render_convention(conv.frozen, sealer=sealer, signatures=[s.to_dict() for s in conv.signatures],
                            document_hash=conv.document_hash, school_signature=(_png(), "image/png"))
    text = squash(text_of(pdf))
    assert "Convention relative à l'organisation d'une séquence d'observation en milieu professionnel" in text
    assert "Élèves de quatrième et de troisième des collèges" in text
    for article in ("Article 1 — Objet", "Article 2 — Annexes", "Article 3 — Organisation",
                    "Article 4 — Statut de l'élève", "Article 5 — Activités", "Article 6 — Durée et horaires",
                    "Article 7 — Responsabilité civile et assurances", "Article 8 — Accidents",
                    "Article 9 — Protection contre les violences sexistes et sexuelles et le harcèlement",
                    "Article 11 — Durée de la convention", "Annexe pédagogique", "Annexe financière"):
        assert article in text, article
    assert "ne signe aucun contrat" in text and "aucune rémunération" in text
    assert "le jour même" in text
    assert "à compléter" not in text  # a validated document holds no placeholder
    assert "5 avenue Gambetta, 75020 Paris représenté par Marie Lambert, chef d'établissement" in text
    assert "Inès Haddad" in text and "14 mars 2012" in text and "3e B" in text
    assert "Atelier Vélo Solidaire" in text and "SIRET 12345678900011" in text
    assert "Karim Benali" in text and "Sophie Garnier" in text
    assert "du 1er février 2027 au 5 février 2027" in text
    assert "Lundi 09:00 12:00 – 13:00 16:30 6 h 30" in text
    assert "Total hebdomadaire 32 h 30" in text
    assert "Hébergement" in text and "Restauration" in text and "Transport" in text and "Assurance" in text
    # signature page: each signature with its time, and the fingerprint
    assert conv.document_hash in text
    assert "Signé par Claire Dubois-Martin le 23 novembre 2026 à 11 h 07 (heure de Paris)" in text
    assert "Signé par Marie Lambert le 23 novembre 2026 à 12 h 07" in text
    assert "Signé par Inès Haddad le 23 novembre 2026 à 13 h 07" in text
    assert "Signé par Nadia Haddad le 24 novembre 2026 à 10 h 00" in text
    # footer on every page: the school and page numbers
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    n = len(reader.pages)
    for i, page in enumerate(reader.pages, 1):
        ptext = squash(page.extract_text())
        assert f"Page {i} / {n}" in ptext
        assert "Collège Jean Jaurès — UAI 0751234A — 75020 Paris" in ptext
    # A4 and the school's signature image on the last page
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    assert any("/Image" in str(x.get_object().get("/Subtype")) for x in
               (reader.pages[-1]["/Resources"].get("/XObject") or {}).values())


def test_the_school_address_printed_is_the_school_correction():
    conv = sample_convention()
    conv.school["school_address"] = {"street": "12 rue du Collège", "complement": "BP 508", "postal_code": "75020",
                                     "city": "PARIS CEDEX 20"}
    html = squash(re.sub(r"<[^>]+>", "", render_html(build_context(conv.content()))))
    assert "12 rue du Collège, BP 508, 75020 PARIS CEDEX 20" in html and "5 avenue Gambetta" not in html
    conv.school.pop("school_address")
    conv.prefill["school"].update(address=None)
    html = squash(re.sub(r"<[^>]+>", "", render_html(build_context(conv.content(), draft=True))))
    assert "(UAI 0751234A) à compléter, 75020 Paris" in html


def test_seconde_convention_and_draft_banner():
    conv = sample_convention("seconde")
    pdf = render_convention(conv.content(), draft=True)
    text = squash(text_of(pdf))
    assert "Convention relative à l'organisation d'un stage d'observation en milieu professionnel" in text
    assert "Élèves de seconde générale et technologique des lycées" in text
    assert "du 14 juin 2027 au 25 juin 2027" in text  # two weeks 2027-W24 and W25
    assert "PROJET — document non validé" in text
    assert "document non validé : aucune empreinte" in text
    assert "En attente de signature — Nadia Haddad ou Youssef Haddad" in text


def test_missing_fields_are_shown_as_to_complete():
    conv = sample_convention(filled=False)
    text = squash(text_of(render_convention(conv.content(), draft=True)))
    assert "à compléter" in text


def test_user_text_is_escaped_in_html_and_css():
    conv = sample_convention()
    conv.prefill["school"]["name"] = 'Collège "Les <b>Tilleuls</b>" </style><script>'
    conv.employer["activities"] = "<script>alert(1)</script> Activités"
    html = render_html(build_context(conv.content()))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)" in html
    assert "</style><script>" not in css_string('</style><script>')
    text = squash(text_of(render_convention(conv.content())))
    assert '<script>alert(1)</script> Activités' in text
    assert 'Collège "Les <b>Tilleuls</b>" </style><script>' in text  # footer shows the text, nothing injected


def test_seal_is_valid_pades_and_detects_tampering(sealer, cert_and_key):
    conv = signed_convention()
    pdf = render_convention(conv.frozen, sealer=sealer, signatures=[s.to_dict() for s in conv.signatures],
                            document_hash=conv.document_hash)
    status = validate_seal(pdf, cert_and_key[0])
    assert status["signed"] and status["intact"] and status["valid"] and status["trusted"], status
    assert status["subfilter"] == "/ETSI.CAdES.detached"
    assert status["coverage"].endswith("ENTIRE_FILE")
    # alter one byte of the signed content: the seal no longer matches
    i = pdf.index(b"/MediaBox")
    tampered = pdf[:i] + b"/MediaBoy" + pdf[i + 9:]
    assert validate_seal(tampered, cert_and_key[0])["intact"] is False
    # another certificate is not trusted
    other_cert, _ = generate_self_signed("Autre")
    assert validate_seal(pdf, other_cert)["trusted"] is False
    # an unsealed PDF has no seal
    assert validate_seal(render_convention(conv.frozen), cert_and_key[0])["signed"] is False


def test_dev_certificate_is_created_once(tmp_path):
    from conventions.documents import ensure_dev_certificate
    cert, key = ensure_dev_certificate(tmp_path)
    first = cert.read_bytes()
    assert b"BEGIN CERTIFICATE" in first and (key.stat().st_mode & 0o777) == 0o600
    assert ensure_dev_certificate(tmp_path)[0].read_bytes() == first
    assert Sealer.from_files(cert, key).seal(render_convention(sample_convention().content())).startswith(b"%PDF")


def test_render_and_seal_run_in_tpool_without_blocking_the_hub(sealer):
    """The service renders in eventlet.tpool: green threads keep running meanwhile
    (and weasyprint/fontTools logging or pyHanko's asyncio do not deadlock)."""
    import eventlet
    from eventlet import tpool

    conv = sample_convention()
    ticks = []
    done = []

    def ticker():
        while not done:
            ticks.append(1)
            eventlet.sleep(0.005)

    t = eventlet.spawn(ticker)
    pool = eventlet.GreenPool()
    results = list(pool.imap(lambda _: tpool.execute(render_convention, conv.content(), sealer=sealer),
                             range(3)))
    done.append(1)
    t.wait()
    assert all(r.startswith(b"%PDF") and b"/ETSI.CAdES.detached" in r for r in results)
    assert len(ticks) >= 10
