"""The offers service as a real process in the running suite (nameko run + the real gateway)."""
import uuid

import pytest

pytestmark = pytest.mark.suite


def test_demo_offers_are_searchable_through_the_gateway(suite, api):
    employer_id = str(uuid.uuid4())
    with suite.rpc() as rpc:
        ids = rpc.offers.seed_demo_offers(employer_id=employer_id, count=5)["offer_ids"]
        again = rpc.offers.seed_demo_offers(employer_id=employer_id, count=5)["offer_ids"]
        assert ids == again and len(ids) == 5  # idempotent
        offer = rpc.offers.get_offer(offer_id=ids[0])
    assert offer["state"] == "published" and offer["seats_left"] == 3 and offer["organisation"]["contact_phone"]
    r = api.get("/api/v1/sectors")
    assert r.status_code == 200 and len(r.json()) == 51
    r = api.get("/api/v1/offers", params={"commune": offer["commune_insee"], "radius_km": 5})
    assert r.status_code == 200 and ids[0] in [i["id"] for i in r.json()["items"]]
    r = api.get(f"/api/v1/offers/{ids[0]}")
    assert r.status_code == 200 and "contact_phone" not in r.json()["organisation"]
    assert api.post("/api/v1/offers", json={}).status_code == 401
