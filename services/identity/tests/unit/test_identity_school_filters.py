"""Issue 13 item 12: the schools directory filters by REP, REP+ and QPV."""
from identity.domain.schools import check_filters, matches_filters

REP = {"uai": "1", "education_prioritaire": "REP", "qpv": False}
REP_PLUS = {"uai": "2", "education_prioritaire": "REP+", "qpv": True}
NONE = {"uai": "3", "education_prioritaire": None, "qpv": None}


def test_check_filters_cleans_and_names_each_bad_field():
    assert check_filters() == ({}, {})
    assert check_filters("rep+", True) == ({"education_prioritaire": ["REP+"], "qpv": True}, {})
    assert check_filters(["REP+", "REP", "REP"], False)[0] == {"education_prioritaire": ["REP", "REP+"], "qpv": False}
    clean, errors = check_filters(["REP", "ZEP"], "oui")
    assert clean == {} and set(errors) == {"education_prioritaire", "qpv"}
    assert "REP+" in errors["education_prioritaire"][0] and "true" in errors["qpv"][0]


def test_matches_filters():
    schools = [REP, REP_PLUS, NONE]
    pick = lambda f: [s["uai"] for s in schools if matches_filters(s, check_filters(**f)[0])]  # noqa: E731
    assert pick({}) == ["1", "2", "3"]
    assert pick({"education_prioritaire": "REP"}) == ["1"]
    assert pick({"education_prioritaire": ["REP", "REP+"]}) == ["1", "2"]
    assert pick({"qpv": True}) == ["2"]
    assert pick({"qpv": False}) == ["1"]          # unknown QPV status is neither
    assert pick({"education_prioritaire": "REP+", "qpv": False}) == []
