import csv
from pathlib import Path

from identity.domain import schools

DATA = Path(__file__).resolve().parents[4] / "data" / "reference"


def rec(uai, name, commune, kind="college", cp="13001", lat=None, lon=None):
    nk, ck = schools.search_key(name, commune)
    return {"uai": uai, "name": name, "commune_name": commune, "kind": kind, "postal_code": cp,
            "name_key": nk, "commune_key": ck, "lat": lat, "lon": lon}


SCHOOLS = [
    rec("0130001A", "Collège Édouard Manet", "Marseille", lat=43.33, lon=5.40),
    rec("0130002B", "Collège Marseilleveyre", "Marseille", lat=43.24, lon=5.38),
    rec("0690001C", "Lycée Ampère", "Lyon", kind="lycee", cp="69002", lat=45.76, lon=4.83),
    rec("0130003C", "Collège Saint-Exupéry", "Aix-en-Provence", cp="13100", lat=43.53, lon=5.45),
    rec("0750001D", "Collège Manet", "Paris", cp="75013", lat=48.83, lon=2.36),
]


def test_accent_insensitive_and_ranked():
    res = [s["uai"] for s in schools.rank("edouard manet", SCHOOLS)]
    assert res[0] == "0130001A"
    res = [s["uai"] for s in schools.rank("manet", SCHOOLS)]
    assert set(res) == {"0130001A", "0750001D"}
    assert res[0] == "0750001D"    # shorter name ranks first among equal matches
    assert [s["uai"] for s in schools.rank("AMPÈRE", SCHOOLS)] == ["0690001C"]


def test_search_by_commune_and_prefix():
    res = [s["uai"] for s in schools.rank("marseille", SCHOOLS)]
    assert set(res) == {"0130001A", "0130002B"}
    assert [s["uai"] for s in schools.rank("aix en prov", SCHOOLS)] == ["0130003C"]
    assert [s["uai"] for s in schools.rank("st exupery", SCHOOLS)] == ["0130003C"]
    assert [s["uai"] for s in schools.rank("manet marseille", SCHOOLS)] == ["0130001A"]
    assert schools.rank("manet lyon", SCHOOLS) == []
    assert [s["uai"] for s in schools.rank("0130002b", SCHOOLS)] == ["0130002B"]
    assert [s["uai"] for s in schools.rank("marseille", SCHOOLS, kind="lycee")] == []
    assert schools.rank("", SCHOOLS) == []


def test_near():
    res = schools.nearest(43.30, 5.40, SCHOOLS, radius_km=10)
    assert [s["uai"] for _, s in res] == ["0130001A", "0130002B"]
    assert res[0][0] < res[1][0] < 10
    assert 270 < schools.haversine_km(43.30, 5.40, 45.76, 4.83) < 280
    assert schools.check_point(100, 5, 10).keys() == {"lat"}
    assert schools.check_point(43, 5, 0).keys() == {"radius_km"}
    assert schools.check_point(43, 5, 10) == {}


def test_is_uai_and_csv_rows():
    assert schools.is_uai("0130001a") and not schools.is_uai("013001A")
    with open(DATA / "schools.csv", encoding="utf-8") as f:
        rows = [schools.school_from_csv_row(r) for r in csv.DictReader(f)]
    assert len(rows) == 13307
    by = {r["uai"]: r for r in rows}
    assert by["0010002X"]["qpv"] is False and by["0010002X"]["academie_name"] == "Lyon"
    rep = [r for r in rows if r["education_prioritaire"]]
    assert len(rep) == 1091 and all(r["kind"] == "college" and r["sector"] == "public" for r in rep)
    assert all(schools.is_uai(r["uai"]) for r in rows)
    # the postal address of the ministry's directory (printed on agreements)
    assert {k: by["0131884C"][k] for k in ("street_address", "address_complement", "address_postal_code",
                                            "address_city")} == {
        "street_address": "4 RUE DOCTEUR LEON PERRIN", "address_complement": None, "address_postal_code": "13003",
        "address_city": "MARSEILLE"}
    assert by["0010002X"]["address_complement"] == "BP 508"
    assert sum(1 for r in rows if r["street_address"]) == 13157
