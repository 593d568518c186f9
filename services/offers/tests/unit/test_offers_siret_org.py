import csv
from pathlib import Path

import pytest

from offers.domain import sectors as sec
from offers.domain.organisation import PUBLIC_EMPLOYER_TYPES, check_phone, normalize_organisation, validate_organisation
from offers.domain.siret import check_siren, check_siret, luhn_ok

REF = Path(__file__).resolve().parents[4] / "data" / "reference"


def load_naf():
    with open(REF / "naf_rev2.csv", encoding="utf-8") as f:
        return {r["code"]: (r["sector_uuid"] or None) for r in csv.DictReader(f) if r["level"] == "sous-classe"}


@pytest.mark.parametrize("siret", ["44306184100047", "443 061 841 00047", "73282932000074", "55208131766522"])
def test_valid_sirets(siret):
    assert check_siret(siret) is None


def test_bad_luhn_key_is_refused_in_french():
    assert check_siret("44306184100048") == "Ce SIRET n'existe pas : sa clé de contrôle est fausse."


@pytest.mark.parametrize("siret", ["1234567890123", "123456789012345", "3625218790003A", "", None, 12])
def test_siret_must_have_14_digits(siret):
    assert check_siret(siret) == "Le SIRET doit comporter 14 chiffres."


def test_la_poste_sum_divisible_by_5():
    # La Poste establishment that fails Luhn but whose digit sum is a multiple of 5
    s = "35600000049837"
    assert not luhn_ok(s)
    assert sum(map(int, s)) % 5 == 0
    assert check_siret(s) is None
    bad = "35600000049838"  # sum 39: neither rule
    assert sum(map(int, bad)) % 5 != 0 and not luhn_ok(bad)
    assert check_siret(bad) is not None


def test_la_poste_rule_only_for_la_poste():
    s = "12345678900005"  # digit sum 45, Luhn false
    assert sum(map(int, s)) % 5 == 0 and not luhn_ok(s)
    assert check_siret(s) is not None


def test_siren():
    assert check_siren("443061841") is None
    assert check_siren("443061842") is not None
    assert check_siren("44306184") == "Le SIREN doit comporter 9 chiffres."


def good_org(**kw):
    org = {"name": "Boulangerie Dupont", "siret": "44306184100047", "is_public": False, "sector": "s26",
           "head_office_address": {"street": "1 rue de la Paix", "postal_code": "75002", "city": "Paris"},
           "contact_phone": "01 23 45 67 89"}
    org.update(kw)
    return org


def test_good_private_org():
    assert validate_organisation(good_org()) == {}


def test_public_org_needs_employer_type_from_list_including_ministries():
    errs = validate_organisation(good_org(is_public=True))
    assert errs == {"organisation.public_employer_type": ["Choisissez le type d'employeur public dans la liste."]}
    assert validate_organisation(good_org(is_public=True, public_employer_type="ministere_armees", sector="s25")) == {}
    assert "ministere_justice" in PUBLIC_EMPLOYER_TYPES
    assert sum(1 for k in PUBLIC_EMPLOYER_TYPES if k.startswith("ministere_")) >= 10


def test_private_org_cannot_be_fonction_publique():
    errs = validate_organisation(good_org(sector="s25"))
    assert errs["organisation.sector"] == ["Le secteur « Fonction publique » est réservé aux employeurs publics."]


def test_every_error_at_once():
    errs = validate_organisation({"siret": "1", "sector": "s99", "is_public": "yes",
                                  "head_office_address": {}, "contact_phone": "12"})
    for f in ("name", "siret", "sector", "is_public", "head_office_address.street",
              "head_office_address.postal_code", "head_office_address.city", "contact_phone"):
        assert "organisation." + f in errs, f


def test_manual_entry_without_siret():
    org = good_org(siret=None)
    assert "organisation.siret" in validate_organisation(org)
    org["manual_entry"] = True
    assert validate_organisation(org) == {}
    assert normalize_organisation(org)["siret"] is None


def test_sector_derived_from_naf():
    naf = load_naf()
    org = good_org(sector=None, naf_code="6201Z")
    assert validate_organisation(org, naf) == {}
    assert normalize_organisation(org, naf)["sector"] == "s31"
    assert "organisation.naf_code" in validate_organisation(good_org(naf_code="62.01"), naf)


def test_phone():
    assert check_phone("0123456789") is None
    assert check_phone("+33 6 12 34 56 78") is None
    assert check_phone("0023456789") is not None


def test_sectors_match_reference_csv():
    with open(REF / "sectors.csv", encoding="utf-8") as f:
        rows = {r["sector_uuid"]: r["name"] for r in csv.DictReader(f)}
    assert rows == sec.SECTORS
    assert list(sec.SECTORS) == [f"s{i}" for i in range(1, 52)]
    assert sec.SECTORS[sec.PUBLIC_SERVICE_SECTOR] == "Fonction publique"


def test_naf_mapping():
    naf = load_naf()
    assert len(naf) == 732
    assert sec.sector_for_naf("62.01Z", naf) == "s31"
    assert sec.sector_for_naf("6201z", naf) == "s31"
    assert sec.sector_for_naf("01.11Z", naf) == "s51"
    assert sec.sector_for_naf("78.30Z", naf) is None  # unmapped in the platform's table
    assert sec.sector_for_naf("nope", naf) is None
    assert sec.check_naf("62.01Z", naf) is None
    assert sec.check_naf("00.00Z", naf) == sec.MSG_NAF_UNKNOWN
    assert all(v is None or v in sec.SECTORS for v in naf.values())
