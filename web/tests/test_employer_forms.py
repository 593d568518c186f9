"""The employer's forms build the gateway's bodies (one per offer step) and put the gateway's field errors
back next to the right fields (the journeys themselves run in tests/browser/test_employer.py)."""
from stages_web.forms.employer import OrganisationForm, PlaceForm, PlanningForm, RegisterForm, TransferDecisionForm
from stages_web.gateway import ApiError

SECTORS = [{"id": "s26", "name": "Commerce"}]
TYPES = [{"id": "collectivite_commune", "name": "Commune ou intercommunalité"}]


def _planning(data):
    return PlanningForm(data, school_years=["2026-2027", "2027-2028"],
                        weeks=[("2027-W05", "semaine 5"), ("2027-W06", "semaine 6")],
                        periods=[("both", "Les deux"), ("week1", "Semaine 1"), ("week2", "Semaine 2")])


def test_register_body_is_an_employer_registration():
    form = RegisterForm({"first_name": " Claire ", "last_name": "Fabre", "function": "RH", "email": "c@example.com",
                         "phone": "", "password": "Un-Mot-De-Passe-2026!", "password_again": "Un-Mot-De-Passe-2026!"})
    assert form.is_valid(), form.errors
    assert form.body() == {"role": "employer", "first_name": "Claire", "last_name": "Fabre", "function": "RH",
                           "email": "c@example.com", "phone": None, "password": "Un-Mot-De-Passe-2026!"}


def test_place_errors_of_the_address_go_next_to_the_fields():
    form = PlaceForm({"title": "Boulanger", "description": "Pétrir le pain.", "street": "1 rue",
                      "postal_code": "99999"})
    assert form.is_valid()
    assert form.body()["address"] == {"street": "1 rue", "postal_code": "99999", "city": None}
    form.apply_api_error(ApiError(422, {"detail": "Données invalides", "errors": {
        "address.postal_code": ["Code postal inconnu."], "address.lat": ["Pas de coordonnées."]}}))
    assert form.errors["postal_code"] == ["Code postal inconnu.", "Pas de coordonnées."]


def test_organisation_manual_entry_sends_no_siret():
    form = OrganisationForm({"name": "Mairie de Mâcon", "identification": "manual", "siret": "123", "is_public": "true",
                             "public_employer_type": "collectivite_commune", "sector": "s26",
                             "head_office_street": "Hôtel de ville", "head_office_postal_code": "71000",
                             "head_office_city": "Mâcon", "contact_phone": "03 85 00 00 00"},
                            sectors=SECTORS, public_types=TYPES)
    assert form.is_valid(), form.errors
    org = form.body()["organisation"]
    assert org["siret"] is None and org["manual_entry"] is True and org["is_public"] is True
    assert org["head_office_address"] == {"street": "Hôtel de ville", "postal_code": "71000", "city": "Mâcon"}
    form.apply_api_error(ApiError(422, {"errors": {"organisation.head_office_address.postal_code": ["Invalide."],
                                                   "organisation.siret": ["SIRET invalide."]}}))
    assert form.errors["head_office_postal_code"] == ["Invalide."]
    assert form.errors["siret"] == ["SIRET invalide."]


def test_planning_day_by_day_hours_and_their_errors():
    form = _planning({"grades": ["troisieme"], "school_year": "2026-2027", "weeks": ["2027-W05"], "seats": "2",
                      "hours_mode": "per_day", "monday_start": "09:00", "monday_end": "17:00",
                      "saturday_start": "08:00", "saturday_end": "12:00", "lunch_break": "Une heure sur place",
                      "reserved_school_uais": "0131884c; 0750001A"})
    assert form.is_valid(), form.errors
    body = form.body()
    assert body["hours"] == {"mode": "per_day", "days": {"monday": {"start": "09:00", "end": "17:00"},
                                                         "saturday": {"start": "08:00", "end": "12:00"}}}
    assert body["reserved_school_uais"] == ["0131884C", "0750001A"]
    assert body["seats"] == 2 and body["seconde_period"] is None
    form.apply_api_error(ApiError(422, {"errors": {"hours.days.saturday.end": ["L'heure de début doit précéder."],
                                                   "weeks": ["La semaine n'est pas ouverte."]}}))
    assert form.errors["saturday_end"] == ["L'heure de début doit précéder."]
    assert form.errors["weeks"] == ["La semaine n'est pas ouverte."]


def test_planning_same_hours_and_the_initial_values_of_a_saved_offer():
    initial = PlanningForm.initial_from({"grades": ["seconde"], "seconde_period": "week1", "seats": 3,
                                         "hours": {"mode": "same", "start": "08:30", "end": "16:00",
                                                   "days": ["monday", "tuesday"]}}, "2026-2027")
    assert initial["hours_mode"] == "same" and initial["days"] == ["monday", "tuesday"]
    assert initial["school_year"] == "2026-2027"
    form = _planning({"grades": ["seconde"], "school_year": "2026-2027", "seconde_period": "week1", "seats": "3",
                      "hours_mode": "same", "start": "08:30", "end": "16:00", "days": ["monday", "tuesday"],
                      "lunch_break": "Une heure sur place"})
    assert form.is_valid(), form.errors
    assert form.body()["hours"] == {"mode": "same", "start": "08:30", "end": "16:00", "days": ["monday", "tuesday"]}


def test_a_refusal_from_the_transfer_link_needs_a_reason():
    form = TransferDecisionForm({"decision": "reject", "reason": " "})
    assert not form.is_valid()
    assert form.errors["reason"] == ["Indiquez le motif du refus."]
    assert TransferDecisionForm({"decision": "accept"}).is_valid()


def test_every_employer_form_renders_with_the_dsfr_templates():
    """Radios and checkboxes of django-dsfr need widget_tweaks installed (they answered 500 without it)."""
    from stages_web.forms.employer import (AcceptForm, BulkForm, ConventionEmployerForm, RejectForm,
                                           SignatureCodeForm, TransferForm)
    forms = [RegisterForm(), PlaceForm(), OrganisationForm(sectors=SECTORS, public_types=TYPES), _planning(None),
             AcceptForm(), RejectForm(), TransferForm(), BulkForm(), TransferDecisionForm(), ConventionEmployerForm(),
             SignatureCodeForm()]
    for form in forms:
        for field in form:
            html = field.as_field_group()
            assert f'id="{field.auto_id}' in html, (type(form).__name__, field.name)


def test_the_agreement_form_needs_every_field_to_complete_but_not_for_a_draft():
    from stages_web.forms.employer import ConventionEmployerForm
    assert ConventionEmployerForm({"tutor_name": "Karim Haddad"}, draft=True).is_valid()
    form = ConventionEmployerForm({"tutor_name": "Karim Haddad"})
    assert not form.is_valid()
    assert {"representative_name", "tutor_email", "start", "end", "lunch_break"} <= set(form.errors)
    form = ConventionEmployerForm({"tutor_name": "K", "start": "09:00", "end": "16:00", "weekdays": ["monday"]},
                                  draft=True)
    assert form.is_valid()
    assert form.body()["hours"] == {"mode": "same", "weekdays": ["monday"], "same": {
        "start": "09:00", "end": "16:00", "break_start": None, "break_end": None}}
    form.apply_api_error(ApiError(422, {"errors": {"hours.same": ["Une pause est obligatoire."],
                                                   "tutor.phone": ["Numéro invalide."]}}))
    assert form.errors["start"] == ["Une pause est obligatoire."]
    assert form.errors["tutor_phone"] == ["Numéro invalide."]
