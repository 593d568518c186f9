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
