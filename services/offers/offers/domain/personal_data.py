"""Personal data on offers (docs/privacy.md): an offer belongs to its organisation and stays (statistics, the
agreements that cite it) when its author is anonymised; only the fields that identify a person go: the
contact phone and any named contact of the organisation, also in an operator's stored payload."""
from __future__ import annotations

import copy

PERSONAL_ORGANISATION_KEYS = ("contact_phone", "contact_name", "contact_email", "representative")


def erase_organisation(org):
    """A copy of an offer's ``organisation`` without the keys that identify a person (None stays None)."""
    if not isinstance(org, dict):
        return org
    return {k: v for k, v in org.items() if k not in PERSONAL_ORGANISATION_KEYS}


def erased_columns(offer: dict) -> dict:
    """The columns of an anonymised person's offer that change; {} when nothing identifies them."""
    out = {}
    org = erase_organisation(offer.get("organisation"))
    if org != offer.get("organisation"):
        out["organisation"] = org
    payload = offer.get("partner_payload")
    if isinstance(payload, dict):
        cleaned = copy.deepcopy(payload)
        cleaned["organisation"] = erase_organisation(cleaned.get("organisation"))
        if "organisation" not in payload:
            cleaned.pop("organisation")
        for key in PERSONAL_ORGANISATION_KEYS:
            cleaned.pop(key, None)
        if cleaned != payload:
            out["partner_payload"] = cleaned
    return out
