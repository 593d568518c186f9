"""Every message renders: French subject, text and HTML parts, the platform's name, the right link."""
import html.parser
import re

import pytest

from notifications.domain.messages import MESSAGES
from notifications.templates.renderer import MissingContext, Renderer, date_fr

BASE = "https://stages.example.fr"
R = Renderer(BASE)

FULL = {
    "token": "tok-abc", "code": "482913", "application_id": "app-1", "offer_id": "off-1", "convention_id": "conv-1",
    "school_uai": "0750001A", "pupil_id": "p1", "employer_id": "e1", "import_id": "imp-1",
    "offer_title": "Atelier de boulangerie", "organisation_name": "Boulangerie Dupont",
    "pupil_first_name": "Léa", "pupil_last_name": "Martin", "school_name": "Collège Jean Moulin",
    "grade": "troisieme", "created": 25, "updated": 2, "rejected": 1, "role": "employer",
    "expires_at": "2026-12-08T09:00:00+00:00", "deadline": "2026-12-08T09:00:00+00:00",
    "inviter_name": "Mme Durand", "message": "Au plaisir", "reason": "Plus de place",
    "convention_ids": ["conv-1", "conv-2"], "class_name": "3e B",
}
LINKS = {
    "account_activation": "/activation?token=tok-abc",
    "password_reset": "/mot-de-passe/nouveau?token=tok-abc",
    "colleague_invitation": "/invitation?token=tok-abc",
    "email_change_confirm": "/compte/adresse/confirmer?token=tok-abc",
    "space_invitation": "/espaces/invitation?token=tok-abc",
    "transfer_link": "/transferts/tok-abc",
    "legal_rep_sign_link": "/conventions/signature/tok-abc",
    "new_application": "/entreprise/candidatures/app-1",
    "application_accepted": "/eleve/candidatures/app-1",
    "teacher_application_confirmed": "/etablissements/0750001A/candidatures/app-1",
    "convention_signed_by_all": "/conventions/conv-1",
    "pupil_activation_codes_ready": "/etablissements/0750001A/eleves",
    "offer_full": "/entreprise/offres/off-1",
}


class _Parser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.links, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ("meta", "br"):
            self.stack.append(tag)
        if tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


@pytest.mark.parametrize("template", sorted(MESSAGES))
def test_every_template_renders(template):
    r = R.render(template, FULL, recipient_name="Camille Petit")
    assert r.subject and "\n" not in r.subject and len(r.subject) < 120
    assert r.summary and r.sms
    for part in (r.text, r.html):
        assert "1 élève, 1 stage" in part
        assert "Camille Petit" in part
        assert r.link in part
        assert "{{" not in part and "{%" not in part and "None" not in part and "Undefined" not in part
    assert r.link.startswith(BASE + "/")
    if template in LINKS:
        assert r.link == BASE + LINKS[template]
    assert "  " not in r.subject + r.summary
    p = _Parser()
    p.feed(r.html)
    assert p.errors == [] and p.stack == []
    assert r.link in p.links
    assert '<html lang="fr">' in r.html
    # The text part has no markup.
    assert not re.search(r"<[a-z]+[ >]", r.text)


@pytest.mark.parametrize("template", sorted(MESSAGES))
def test_every_template_renders_with_identifiers_only(template):
    """Events carry identifiers: a message must still read well without the enrichments."""
    ids = {k: FULL[k] for k in ("token", "code", "application_id", "offer_id", "convention_id", "school_uai",
                                 "deadline")}
    r = R.render(template, ids)
    assert "Bonjour," in r.text
    assert "None" not in r.text + r.html + r.subject and "  " not in r.subject + r.summary


def test_html_part_is_escaped_and_text_part_is_not():
    r = R.render("application_rejected", {"application_id": "a", "organisation_name": "Vélos <b>&</b> Cie",
                                          "reason": "<script>x</script>"})
    assert "Vélos <b>&</b> Cie" in r.text and "<script>x</script>" in r.text
    assert "Vélos &lt;b&gt;&amp;&lt;/b&gt; Cie" in r.html and "<script>" not in r.html


def test_content_of_some_messages():
    r = R.render("application_accepted", FULL)
    assert r.subject == "Bonne nouvelle : votre candidature est acceptée !"
    assert "Boulangerie Dupont a accepté votre candidature au stage d'observation « Atelier de boulangerie »" in r.text
    assert "avant le mardi 8 décembre 2026 à 10 h 00" in r.text  # Paris time
    assert r.sms.startswith("1 élève, 1 stage : Votre candidature pour « Atelier de boulangerie » est acceptée")
    assert r.sms.endswith(BASE + "/eleve/candidatures/app-1")
    code = R.render("signature_code", FULL)
    assert code.subject == "Votre code de signature : 482913"
    assert "les 2 conventions de stage : 482913" in code.text
    assert "482913" in code.sms and "http" not in code.sms
    new = R.render("new_application", FULL)
    assert "Léa, élève de 3e (Collège Jean Moulin), a candidaté" in new.text
    assert "Martin" not in new.text  # an employer gets the first name only
    teacher = R.render("teacher_application_accepted", FULL)
    assert "Léa Martin (3e B)" in teacher.text
    legal = R.render("legal_rep_sign_link", {"token": "t", "convention_id": "c"})
    assert "de votre enfant" in legal.text
    done = R.render("convention_signed_by_all", FULL)
    assert "https://stages.example.fr/conventions/conv-1/document" in done.text
    nxt = R.render("next_signature_awaited", FULL)
    assert nxt.summary.startswith("L'organisme d'accueil a signé")
    imp = R.render("pupil_activation_codes_ready", FULL)
    assert "25 élève(s) créé(s), 2 mis à jour, 1 ligne(s) rejetée(s)" in imp.text
    imp = R.render("pupil_activation_codes_ready", {"school_uai": "0750001A", "created": ["a", "b"], "updated": ["c"]})
    assert "2 élève(s) créé(s), 1 mis à jour, 0 ligne(s) rejetée(s)" in imp.text


def test_preferences_footer_only_on_optional_messages():
    assert "/preferences" in R.render("application_read", FULL).text
    assert "/preferences" not in R.render("application_accepted", FULL).text


def test_employer_messages_never_show_pupil_contact_details():
    ctx = {**FULL, "pupil_email": "lea@example.org", "pupil_phone": "+33612345678", "pupil_address": "1 rue X"}
    for t, s in MESSAGES.items():
        if s.audience in ("employer", "transfer_recipient"):
            r = R.render(t, ctx)
            for secret in ("lea@example.org", "+33612345678", "1 rue X"):
                assert secret not in r.text + r.html + r.sms


def test_a_missing_link_identifier_is_an_error():
    with pytest.raises(MissingContext, match="application_id"):
        R.render("new_application", {"offer_title": "x"})
    with pytest.raises(KeyError):
        R.render("no_such_template", {})


def test_link_values_are_url_encoded():
    assert R.render("account_activation", {"token": "a/b c"}).link == BASE + "/activation?token=a%2Fb%20c"


def test_date_fr():
    assert date_fr("2026-06-15") == "lundi 15 juin 2026"
    assert date_fr("2026-07-01T22:30:00Z") == "jeudi 2 juillet 2026 à 0 h 30"
    assert date_fr(None) == "" and date_fr("") == ""
