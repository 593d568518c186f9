"""Pure helpers of the web front end: problem+json errors onto forms, deadlines, weeks, links."""
import datetime as dt

from stages_web.forms.auth import LoginForm
from stages_web.forms.pupil import ApplyForm
from stages_web.gateway import ApiError
from stages_web.templatetags.stages import date_fr, iso_week_label, local_link, time_left_text

NOW = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.timezone.utc)


def _apply_form():
    form = ApplyForm({"idempotency_key": "k", "week": "2027-W24", "motivation": "x", "email": "a@example.com",
                      "phone": "06", "address": "a", "legal_name": "A B", "legal_email": "b@example.com",
                      "legal_phone": "07"}, weeks=[("2027-W24", "semaine")])
    assert form.is_valid(), form.errors
    return form


def test_every_field_error_of_the_problem_lands_next_to_its_field():
    form = _apply_form()
    form.apply_api_error(ApiError(422, {"detail": "Données invalides", "errors": {
        "phone": ["Numéro de mobile invalide."], "legal_representative.email": ["Adresse invalide."],
        "week": ["Cette semaine est déjà passée."]}}))
    assert form.errors["phone"] == ["Numéro de mobile invalide."]
    assert form.errors["legal_email"] == ["Adresse invalide."]
    assert form.errors["week"] == ["Cette semaine est déjà passée."]
    assert "__all__" not in form.errors


def test_errors_on_fields_the_form_does_not_show_are_kept_at_the_top():
    form = _apply_form()
    form.apply_api_error(ApiError(422, {"detail": "Données invalides", "errors": {"school_year": ["Année fermée."]}}))
    assert form.non_field_errors() == ["Année fermée."]


def test_a_refusal_without_field_errors_shows_its_french_detail():
    form = LoginForm({"identifier": "a@example.com", "password": "x"})
    assert form.is_valid()
    form.apply_api_error(ApiError(401, {"detail": "Identifiant ou mot de passe incorrect."}))
    assert form.non_field_errors() == ["Identifiant ou mot de passe incorrect."]


def test_time_left_before_a_deadline():
    assert time_left_text("2026-12-19T10:00:00+00:00", NOW) == "14 jours"
    assert time_left_text("2026-12-06T09:00:00+00:00", NOW) == "23 heures"
    assert time_left_text("2026-12-05T10:30:00+00:00", NOW) == "moins d'une heure"
    assert time_left_text("2026-12-05T09:00:00+00:00", NOW) == "délai dépassé"
    assert time_left_text(None, NOW) == ""


def test_dates_weeks_and_links_in_french():
    assert date_fr("2027-06-01") == "1er juin 2027"
    assert iso_week_label("2027-W24") == "semaine du 14 au 18 juin 2027"
    assert iso_week_label("2027-W05") == "semaine du 1 au 5 février 2027"
    assert local_link("https://stages.example.fr/eleve/candidatures/abc?x=1") == "/eleve/candidatures/abc?x=1"


def test_a_refusal_no_view_handles_is_a_french_page_never_a_500():
    from django.test import RequestFactory
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore

    from stages_web.session import SessionEndedMiddleware

    req = RequestFactory().get("/eleve/candidatures")
    req.session = SessionStore()
    req._messages = FallbackStorage(req)
    mw = SessionEndedMiddleware(lambda r: None)
    resp = mw.process_exception(req, ApiError(409, {"detail": "Action impossible dans l'état actuel."}))
    assert resp.status_code == 409 and "Action impossible dans l&#x27;état actuel." in resp.content.decode()
    resp = mw.process_exception(req, ApiError(500, {"detail": "Erreur interne"}))
    assert resp.status_code == 502


def test_the_user_agent_is_forwarded_and_the_address_only_when_configured(settings):
    from stages_web.gateway import ClientInfo, Gateway
    g = Gateway(token="t", client=ClientInfo(ip="203.0.113.9", user_agent="Firefox/140"))
    settings.FORWARD_CLIENT_IP = False
    h = g.headers(idempotency_key="k")
    assert h["User-Agent"] == "Firefox/140" and h["Authorization"] == "Bearer t" and h["Idempotency-Key"] == "k"
    assert "X-Forwarded-For" not in h
    settings.FORWARD_CLIENT_IP = True
    assert g.headers()["X-Forwarded-For"] == "203.0.113.9"
