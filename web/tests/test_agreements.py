"""Agreements: the school's form builds the gateway's body and puts its field errors back next to the
fields; the legal representative's link answers a clear French page for each refusal; the routes dispatch
by role (the journeys run in tests/browser/test_agreements.py)."""
from unittest import mock

from django.test import RequestFactory
from django.urls import resolve

from stages_web.forms.agreements import ConventionSchoolForm, HeadSignForm, LegalRepSignForm
from stages_web.gateway import ApiError
from stages_web.views import agreements

SCHOOL = {"pupil_address": "1 rue de la Paix, 13003 Marseille", "pupil_phone": "06 12 34 56 78",
          "legal_representatives": [{"name": "Nadia Haddad", "email": "n@example.org", "phone": "07 12 34 56 78"}],
          "pai": True, "emergency_kit_by": "school", "board_deliberation_date": "2026-09-15",
          "school_representative": {"name": "Jean Lefèvre", "function": "Principal", "email": "ce@ac.fr",
                                    "phone": "04 91 00 00 00"},
          "referent_teacher": {"name": "Sophie Garnier", "email": "s@ac.fr", "phone": "06 98 76 54 32"}}


def test_school_form_round_trips_the_school_part():
    form = ConventionSchoolForm(ConventionSchoolForm.initial_from(SCHOOL))
    assert form.is_valid(), form.errors
    assert form.body() == {**SCHOOL, "school_address": None}


def test_school_form_puts_nested_errors_next_to_their_fields():
    assert not ConventionSchoolForm({"rep0_name": "A"}).is_valid()
    form = ConventionSchoolForm({"rep0_name": "A", "address_street": "2 rue Haute"}, draft=True)
    assert form.is_valid(), form.errors
    body = form.body()
    assert body["legal_representatives"] == [{"name": "A", "email": None, "phone": None}]
    assert body["school_address"] == {"street": "2 rue Haute", "complement": None, "postal_code": None, "city": None}
    form.apply_api_error(ApiError(422, {"detail": "Données invalides", "errors": {
        "legal_representatives.0.email": ["Ce champ est obligatoire."],
        "school_address.postal_code": ["Code postal invalide (5 chiffres)."],
        "school_representative": ["Ce champ est obligatoire."], "prefill.school.head_name": ["À compléter."]}}))
    assert form.errors["rep0_email"] == ["Ce champ est obligatoire."]
    assert form.errors["address_postal_code"] == ["Code postal invalide (5 chiffres)."]
    assert form.errors["school_representative_name"] == ["Ce champ est obligatoire."]
    assert "À compléter." in form.errors["__all__"]


def test_head_typed_name_needs_the_name_and_legal_rep_must_agree():
    assert not HeadSignForm({"method": "typed_name"}).is_valid()
    assert HeadSignForm({"method": "image"}).is_valid()
    form = LegalRepSignForm({"full_name": "Nadia Haddad"})
    assert not form.is_valid() and "agree" in form.errors


def _link_page(status, code=None):
    request = RequestFactory().get("/conventions/signature/jeton")
    from django.contrib.sessions.backends.cache import SessionStore
    request.session = SessionStore()
    with mock.patch("stages_web.views.agreements.Gateway.call",
                    side_effect=ApiError(status, {"detail": "refusé", "code": code})):
        return agreements.sign_link(request, "jeton")


def test_refused_links_say_why_in_french():
    for status, words in [(404, "invalide"), (409, "déjà utilisé"), (410, "expiré"), (423, "bloqué")]:
        response = _link_page(status)
        assert response.status_code == status
        assert words in response.content.decode()
    assert "annulée" in _link_page(409, "convention_cancelled").content.decode()
    assert "expiré" in _link_page(409, "link_expired").content.decode()


def test_agreement_routes_dispatch_by_role():
    assert resolve("/conventions").func is agreements.conventions
    assert resolve("/conventions/00000000-0000-4000-8000-000000000000").func is agreements.convention
    assert resolve("/conventions/00000000-0000-4000-8000-000000000000/document").func is agreements.document
    assert resolve("/conventions/signature/abc").func is agreements.sign_link
    assert resolve("/conventions/image-de-signature").func is agreements.signature_image


# -- the staff and pupil views against a fake gateway ----------------------------------------------------
CID = "11111111-1111-4111-8111-111111111111"
HASH = "a" * 64


def _conv(**extra):
    return {"id": CID, "application_id": CID, "state": "signatures_started", "state_label": "Signatures en cours",
            "class_name": "3A", "pupil_name": "Inès Haddad", "document_hash": HASH, "signatures": [],
            "missing_signatures": ["head_of_school", "pupil", "legal_representative"],
            "allowed_actions": ["sign", "reopen"], "prefill": {}, "employer": {}, "school": SCHOOL, **extra}


class FakeGateway:
    """Records the calls (name, kwargs) and answers canned bodies."""

    def __init__(self, answers):
        self.answers, self.calls = answers, []

    def __call__(self, gateway, name, **kwargs):
        from stages_web.gateway import Response
        self.calls.append((name, kwargs))
        answer = self.answers.get(name, {})
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, bytes):
            return Response(200, None, {"Content-Type": "application/pdf"}, answer)
        return Response(200, answer, {}, b"")


def _client(role="school_staff", function="head"):
    import time as _time

    from django.test import Client
    c = Client()
    s = c.session
    s["auth"] = {"access_token": "t", "refresh_token": "r", "expires_at": _time.time() + 3600,
                 "user": {"id": "u1", "role": role, "function": function, "school_uai": "0131884C",
                          "first_name": "Marie", "last_name": "Lambert"}}
    s.save()
    return c


def _with(answers):
    fake = FakeGateway(answers)
    return fake, mock.patch("stages_web.gateway.Gateway.raw", autospec=True, side_effect=fake)


def test_staff_page_signs_with_a_typed_name_reopens_and_resends_the_link():
    c = _client()
    fake, patch = _with({"convention": _conv(), "school_signature": {"registered": False},
                         "convention_resend_link": {"links_sent": 1}})
    with patch:
        r = c.get(f"/conventions/{CID}")
        assert r.status_code == 200
        page = r.content.decode()
        assert "Signer pour l'établissement" in page and "enregistrer l'image de signature" in page
        assert "Rouvrir la convention" in page and "Renvoyer le lien" in page
        r = c.post(f"/conventions/{CID}/sign", {"method": "typed_name", "typed_name": "Marie Lambert",
                                                "document_hash": HASH})
        assert r.status_code == 302
        assert ("convention_sign", {"convention_id": CID, "json": {
            "document_hash": HASH, "method": "typed_name", "typed_name": "Marie Lambert"}}) in fake.calls
        assert c.post(f"/conventions/{CID}/reopen", {"to": "school"}).status_code == 302
        assert ("convention_reopen", {"convention_id": CID, "json": {"to": "school"}}) in fake.calls
        assert c.post(f"/conventions/{CID}/resend").status_code == 302
        assert any(name == "convention_resend_link" for name, _ in fake.calls)


def test_staff_list_groups_by_class_and_signs_the_checked_ones():
    c = _client()
    fake, patch = _with({"conventions": {"items": [_conv(), _conv(id="2" * 8 + "-2222-4222-8222-" + "2" * 12,
                                                                 class_name="3B")], "total": 2},
                         "conventions_sign_many": {"count": 1, "items": []}})
    with patch:
        page = c.get("/conventions?etat=to_sign&classe=3A").content.decode()
        assert "Classe 3A (1)" in page and "Classe 3B (1)" in page
        name, kwargs = fake.calls[0]
        assert kwargs["params"]["missing_signature"] == "head_of_school"
        r = c.post("/conventions", {"convention": [CID], f"hash-{CID}": HASH}, follow=True)
        assert "1 convention signée" in r.content.decode()
        assert ("conventions_sign_many", {"json": {"conventions": [{"convention_id": CID, "document_hash": HASH}],
                                                   "method": "image"}}) in fake.calls


def test_pupil_signs_after_ticking_the_box_and_downloads_the_pdf():
    c = _client(role="pupil", function=None)
    fake, patch = _with({"convention": _conv(allowed_actions=["sign"]), "convention_pdf": b"%PDF-1.7 test"})
    with patch:
        r = c.post(f"/conventions/{CID}/sign", {"document_hash": HASH})
        assert r.status_code == 200 and "Cochez la case" in r.content.decode()
        assert c.post(f"/conventions/{CID}/sign", {"document_hash": HASH, "agree": "on"}).status_code == 302
        assert ("convention_sign", {"convention_id": CID, "json": {"document_hash": HASH}}) in fake.calls
        r = c.get(f"/conventions/{CID}/document?telecharger=1")
        assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
        assert r["Content-Disposition"].startswith("attachment")
