"""The school's per-class follow-up and the admin's validation of statisticians, rendered by the Django test client
against the real suite (services and gateway as processes; nothing faked): the page shows what the API holds.
The same pages in Chromium, with axe-core: tests/browser/test_journey_full.py and tests/browser/test_stats.py."""
from __future__ import annotations

import time
import uuid

import pytest
from django.test import Client
from django.utils.html import escape

from testkit.applications import REP_PLUS_COLLEGE, application_form, suite_employer, suite_head, suite_offer, \
    suite_pupils
from stages_web.templatetags.stages import iso_week_label
from testkit.tokens import admin_token

pytestmark = pytest.mark.suite


@pytest.fixture
def web(suite, settings):
    """A browser-less client of the front end, whose gateway is the suite's."""
    settings.GATEWAY_URL = suite.url
    return Client()


def _signed_in(client: Client, access_token: str, user: dict) -> None:
    """The session a login leaves (views.auth.login -> session.start), with a token the suite issued."""
    s = client.session
    s["auth"] = {"access_token": access_token, "refresh_token": "not-used", "expires_at": time.time() + 600,
                 "user": user}
    s.save()


def _admin_token(suite, api) -> str:
    with suite.rpc() as rpc:
        demo = rpc.identity.seed_demo()
    return admin_token(api, demo)


def test_the_follow_up_shows_each_pupil_of_the_class_with_their_applications(suite, api, web):
    class_name = f"3{uuid.uuid4().hex[:5].upper()}"
    title = f"Ébéniste {class_name}"
    with suite.rpc() as rpc:
        head = suite_head(rpc, REP_PLUS_COLLEGE)
        emp = suite_employer(rpc)
        offer = suite_offer(rpc, emp["user_id"], title=title)
        pupils = suite_pupils(rpc, 2, uai=REP_PLUS_COLLEGE, class_name=class_name)
    week = offer["offer_weeks"][0]
    r = api.post(f"/api/v1/offers/{offer['id']}/applications", json=application_form(week),
                 token=pupils[0]["token"], headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert api.post(f"/api/v1/applications/{app_id}/accept", json={}, token=emp["token"]).status_code == 200
    seen_by_school = api.get(f"/api/v1/applications/{app_id}", token=head["token"]).json()

    _signed_in(web, head["token"], {"id": head["user_id"], "role": "school_staff", "function": "head",
                                    "school_uai": REP_PLUS_COLLEGE, "first_name": "Marie", "last_name": "Lambert"})
    r = web.get(f"/etablissements/{REP_PLUS_COLLEGE}/suivi", {"classe": class_name})
    html = r.content.decode()
    assert r.status_code == 200, html
    assert f"Classe {class_name}" in html and "2 élèves, 1 ayant candidaté, 0 placé." in html
    assert html.count(f'data-application="{app_id}"') == 1
    row = html.split(f'data-application="{app_id}"')[1].split("</tr>")[0]
    assert escape(seen_by_school["state_label"]) in row and title in row and "Boulangerie Dupont" in row, row
    assert iso_week_label(week) in row and f"/etablissements/{REP_PLUS_COLLEGE}/candidatures/{app_id}" in row
    other = html.split(f'data-pupil="{pupils[1]["user_id"]}"')[1].split("</tr>")[0]
    assert "Aucune candidature" in other, other


def test_the_admin_page_says_why_an_account_cannot_be_validated(suite, api, web):
    token = _admin_token(suite, api)
    _signed_in(web, token, {"id": str(uuid.uuid4()), "role": "admin", "first_name": "Admin", "last_name": "Démo"})
    assert "Identifiant du compte statisticien" in web.get("/administration/statisticiens").content.decode()
    with suite.rpc() as rpc:
        employer_id = suite_employer(rpc)["user_id"]
    for user_id in (employer_id, str(uuid.uuid4())):   # an account that is not a statistician's; none at all
        r = web.post("/administration/statisticiens", {"user_id": user_id})
        html = r.content.decode()
        assert r.status_code == 422 and "Compte statisticien introuvable." in html, html
        assert "fr-input-group--error" in html   # said next to the field
