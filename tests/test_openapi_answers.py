"""Real answers of the suite, for every role, match the OpenAPI document (its named schemas, the one
pagination scheme): the fuzzer (tests/test_openapi_fuzz.py) sends mostly invalid or anonymous
requests; here an employer, a pupil and a head of school go through the main journey and each JSON
answer is checked against the schema the document gives for its status."""
from __future__ import annotations

import uuid

import pytest

from testkit import openapi as openapi_check
from testkit.applications import (REP_PLUS_COLLEGE, application_form, future_college_weeks, suite_employer,
                                  suite_head, suite_pupils)

pytestmark = pytest.mark.suite


@pytest.fixture(scope="module")
def doc(suite):
    import requests

    return requests.get(suite.url + "/openapi.json", timeout=30).json()


@pytest.fixture(scope="module")
def people(suite):
    with suite.rpc() as rpc:
        return {"employer": suite_employer(rpc), "head": suite_head(rpc), "pupil": suite_pupils(rpc, 1)[0]}


class Checked:
    """The ``api`` client, checking every answer against the document (collects every mismatch)."""

    def __init__(self, api, doc):
        self.api, self.doc, self.wrong, self.seen = api, doc, [], set()

    def call(self, method, template, who=None, expect=200, params=None, **kw):
        path = template.format(**(params or {}))
        r = self.api.request(method, path, token=(who or {}).get("token"), **kw)
        assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text[:500]}"
        body = r.json()
        operation = template.split("?")[0]
        self.wrong += openapi_check.answer_errors(self.doc, method, operation, r.status_code, body)
        self.seen.add(f"{method} {operation}")
        return body


def _paged(page: dict) -> dict:
    for key in ("items", "page", "per_page", "has_more"):
        assert key in page, f"{key} missing from a page: {sorted(page)}"
    return page


def test_the_main_journey_answers_as_the_document_says(api, doc, people):
    c = Checked(api, doc)
    emp, head, pupil = people["employer"], people["head"], people["pupil"]
    year, weeks = future_college_weeks()

    # anonymous reference reads
    c.call("GET", "/api/v1/sectors")
    c.call("GET", "/api/v1/places?q=Marseille")
    c.call("GET", f"/api/v1/offers/calendar?school_year={year}")
    c.call("GET", "/api/v1/schools/{uai}", params={"uai": REP_PLUS_COLLEGE})

    # an employer writes an offer step by step (a public employer without SIRET), and publishes it
    key = str(uuid.uuid4())
    place = {"step": "place", "title": "Découverte du service des espaces verts",
             "description": "Entretien des jardins publics, fleurissement, découverte des métiers de la mairie.",
             "address": {"street": "Place Baragnon", "commune_insee": "13022"}}
    offer = c.call("POST", "/api/v1/offers", emp, 201, json=place, headers={"Idempotency-Key": key})
    again = c.call("POST", "/api/v1/offers", emp, 201, json=place, headers={"Idempotency-Key": key})
    assert again["id"] == offer["id"]
    ids = {"offer_id": offer["id"]}
    c.call("PATCH", "/api/v1/offers/{offer_id}", emp, params=ids, json={"step": "organisation", "organisation": {
        "name": "Mairie de Cassis", "manual_entry": True, "is_public": True,
        "public_employer_type": "collectivite_commune", "sector": "s25",
        "head_office_address": {"street": "Place Baragnon", "postal_code": "13260", "city": "Cassis"},
        "contact_phone": "04 42 00 00 00"}})
    draft = c.call("PATCH", "/api/v1/offers/{offer_id}", emp, params=ids, json={
        "step": "planning", "grades": ["troisieme"], "school_year": year, "weeks": weeks, "seats": 2,
        "hours": {"mode": "same", "start": "08:30", "end": "16:30"},
        "lunch_break": "Pause déjeuner d'une heure, repas sur place."})
    assert draft["organisation"]["manual_entry"] is True and draft["siret"] is None
    published = c.call("POST", "/api/v1/offers/{offer_id}/publish", emp, params=ids)
    assert published["offers"][0]["state"] == "published"
    c.call("GET", "/api/v1/offers/{offer_id}", params=ids)
    c.call("GET", "/api/v1/offers/{offer_id}", emp, params=ids)
    mine = _paged(c.call("GET", "/api/v1/me/offers", emp))
    assert offer["id"] in {o["id"] for o in mine["items"]} and "total" in mine
    found = _paged(c.call("GET", "/api/v1/offers?commune=13022&radius_km=20", pupil))
    assert found["page"] == 1

    # a pupil applies; the same Idempotency-Key gives the same application back, as an Application (200)
    key = str(uuid.uuid4())
    form = application_form(weeks[0])
    app = c.call("POST", "/api/v1/offers/{offer_id}/applications", pupil, 201, params=ids, json=form,
                 headers={"Idempotency-Key": key})
    replay = c.call("POST", "/api/v1/offers/{offer_id}/applications", pupil, 200, params=ids, json=form,
                    headers={"Idempotency-Key": key})
    assert replay["id"] == app["id"]
    c.call("GET", "/api/v1/me", pupil)
    _paged(c.call("GET", "/api/v1/applications", pupil))

    # the employer reads and accepts it
    received = _paged(c.call("GET", "/api/v1/applications?tab=received", emp))
    assert app["id"] in {a["id"] for a in received["items"]}
    c.call("GET", "/api/v1/applications/{application_id}", emp, params={"application_id": app["id"]})
    c.call("POST", "/api/v1/applications/{application_id}/accept", emp, params={"application_id": app["id"]},
           json={"message": "À lundi !"})
    c.call("GET", "/api/v1/stats/applications", emp)
    c.call("GET", "/api/v1/conventions/stats", emp)
    _paged(c.call("GET", "/api/v1/conventions", emp))
    c.call("GET", "/api/v1/me", emp)
    c.call("GET", "/api/v1/me/data", emp)

    # lists that used page_size answer in the one scheme too, and keep page_size
    inbox = _paged(c.call("GET", "/api/v1/me/notifications", emp))
    assert inbox["per_page"] == inbox["page_size"] and isinstance(inbox["total"], int)
    c.call("GET", "/api/v1/me/notifications/unread-count", emp)
    pupils = _paged(c.call("GET", "/api/v1/schools/{uai}/pupils", head, params={"uai": REP_PLUS_COLLEGE}))
    assert pupils["per_page"] == pupils["page_size"]
    assert pupils["has_more"] == (pupils["page"] * pupils["per_page"] < pupils["total"])
    c.call("GET", "/api/v1/schools/{uai}/staff", head, params={"uai": REP_PLUS_COLLEGE})
    c.call("GET", "/api/v1/applications/classes", head)
    _paged(c.call("GET", "/api/v1/applications", head))
    c.call("GET", "/api/v1/me/notification-preferences", head)

    assert not c.wrong, "\n".join(c.wrong)
    assert len(c.seen) >= 20
