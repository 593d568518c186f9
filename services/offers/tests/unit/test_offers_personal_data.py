"""An anonymised author's offers keep everything but the fields that identify a person (docs/privacy.md)."""
from offers.domain.personal_data import erased_columns


def test_the_contact_of_an_offer_goes_the_organisation_stays():
    offer = {"organisation": {"name": "Boulangerie Martin", "siret": "1", "contact_phone": "0612345678",
                              "representative": {"name": "Léa Martin"}},
             "partner_payload": {"title": "x", "contact_phone": "0612345678",
                                 "organisation": {"name": "B", "contact_phone": "0612345678"}}}
    out = erased_columns(offer)
    assert out["organisation"] == {"name": "Boulangerie Martin", "siret": "1"}
    assert out["partner_payload"] == {"title": "x", "organisation": {"name": "B"}}
    assert erased_columns({"organisation": out["organisation"], "partner_payload": out["partner_payload"]}) == {}
    assert erased_columns({"organisation": None, "partner_payload": None}) == {}
