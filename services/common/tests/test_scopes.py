"""common.scopes: one definition of statistics scopes (codes, never names)."""
import pytest

from common import scopes
from common.errors import Forbidden, ValidationError


def test_location_of_a_school_is_codes():
    loc = scopes.location({"uai": "0131884C", "dep_code": "13", "academie_code": "02",
                           "academie_name": "Aix-Marseille"})
    assert loc == {"school_uai": "0131884C", "departement_code": "13", "academie_code": "02", "region_code": "93"}
    assert scopes.location({"uai": "7200001A", "dep_code": "2B"})["academie_code"] == "27"
    assert scopes.location(None) == {"school_uai": None, "departement_code": None, "academie_code": None,
                                     "region_code": None}


def test_academie_names_convert_to_codes():
    codes = scopes.academie_codes()
    assert codes["Aix-Marseille"] == "02" and codes["Paris"] == "01" and codes["02"] == "02"


@pytest.mark.parametrize("actor,filters", [
    ({"role": "admin"}, []),
    ({"role": "school_staff", "school_uai": "0131884C"}, [("school_uai", "0131884C")]),
    ({"role": "statistician", "stat_scope": "departement", "stat_scope_code": "13"}, [("departement_code", "13")]),
    ({"role": "statistician", "stat_scope": "academie", "stat_scope_code": "02"}, [("academie_code", "02")]),
    ({"role": "statistician", "stat_scope": "region", "stat_scope_code": "93"}, [("region_code", "93")]),
    ({"role": "statistician", "stat_scope": "national"}, []),
    # a token issued before the scope claims: its académie claim, never the nation
    ({"role": "statistician", "academie": "02"}, [("academie_code", "02")]),
])
def test_each_role_reads_its_own_scope(actor, filters):
    assert scopes.of_actor(actor).filters() == filters


@pytest.mark.parametrize("actor", [{"role": "statistician"}, {"role": "statistician", "stat_scope": "academie"},
                                   {"role": "school_staff"}, {"role": "pupil"}, {"role": "employer"}, None])
def test_no_scope_reads_nothing(actor):
    with pytest.raises(Forbidden):
        scopes.of_actor(actor)


def test_narrowing_inside_the_scope_only():
    region = {"role": "statistician", "stat_scope": "region", "stat_scope_code": "93"}
    assert scopes.of_actor(region, {"academie": "23"}).filters() == [("region_code", "93"), ("academie_code", "23")]
    assert scopes.of_actor(region, {"departement": "13"}).filters() == [("region_code", "93"),
                                                                        ("departement_code", "13")]
    # a school elsewhere matches nothing through the filters
    assert scopes.of_actor(region, {"school_uai": "0750001A"}).filters()[-1] == ("school_uai", "0750001A")
    for asked in ({"departement": "75"}, {"academie": "01"}, {"region": "11"}):
        with pytest.raises(Forbidden):
            scopes.of_actor(region, asked)
    dep = {"role": "statistician", "stat_scope": "departement", "stat_scope_code": "13"}
    with pytest.raises(Forbidden):          # the whole académie is wider than the département
        scopes.of_actor(dep, {"academie": "02"})
    corse = {"role": "statistician", "stat_scope": "academie", "stat_scope_code": "27"}
    assert scopes.of_actor(corse, {"region": "94"}).filters() == [("academie_code", "27"), ("region_code", "94")]
    assert scopes.of_actor({"role": "admin"}, {"departement": "2A"}).as_dict() == {"kind": "national", "code": None,
                                                                                    "departement": "2A"}


def test_unknown_codes_are_field_errors():
    with pytest.raises(ValidationError) as e:
        scopes.of_actor({"role": "admin"}, {"academie": "Aix-Marseille", "departement": "99"})
    assert set(e.value.errors) == {"academie", "departement"}
