"""Reference data owned by the offers service, loaded from data/reference:
communes (with their points), postal codes, départements/académies, the 51
sectors, the NAF rév. 2 tree with its NAF -> sector mapping, and the points of
collèges/lycées (the default search centre of a pupil is their school).

    python -m common.manage load-reference offers

Idempotent: rows are upserted on their natural key.
"""
from __future__ import annotations

from common.refdata import read_csv, upsert_rows

from .models import communes, departements, naf_codes, postal_codes, school_points, sectors


def _f(v):
    return float(v) if v not in (None, "") else None


def load(engine) -> dict:
    deps = read_csv("departements.csv")
    academie = {d["dep_code"]: d["academie_code"] or None for d in deps}
    out = {}
    out["departements"] = upsert_rows(engine, departements, deps, ["dep_code"], "départements", lambda r: {
        "dep_code": r["dep_code"], "dep_name": r["dep_name"], "region_code": r["region_code"] or None,
        "region_name": r["region_name"] or None, "academie_code": r["academie_code"] or None,
        "academie_name": r["academie_name"] or None, "zone": r["zone"] or None})
    out["communes"] = upsert_rows(engine, communes, read_csv("communes.csv"), ["insee_code"], "communes", lambda r: {
        "insee_code": r["insee_code"], "name": r["name"], "kind": r["kind"], "parent_insee": r["parent_insee"] or None,
        "dep_code": r["dep_code"], "academie_code": academie.get(r["dep_code"]),
        "postal_codes": [p for p in r["postal_codes"].split("|") if p],
        "population": int(r["population"] or 0), "lat": _f(r["lat"]), "lon": _f(r["lon"])})
    out["postal_codes"] = upsert_rows(engine, postal_codes, read_csv("postal_codes.csv"),
                                      ["postal_code", "insee_code"], "codes postaux", lambda r: {
        "postal_code": r["postal_code"], "insee_code": r["insee_code"], "kind": r["kind"]})
    rows = read_csv("sectors.csv")
    out["sectors"] = upsert_rows(engine, sectors, rows, ["id"], "secteurs", lambda r: {
        "id": r["sector_uuid"], "name": r["name"], "position": int(r["sector_uuid"][1:])})
    out["naf_codes"] = upsert_rows(engine, naf_codes, read_csv("naf_rev2.csv"), ["code"], "NAF", lambda r: {
        "code": r["code"], "level": r["level"], "label": r["label"], "section": r["section"] or None,
        "division": r["division"] or None, "sector_id": r["sector_uuid"] or None})
    out["school_points"] = upsert_rows(engine, school_points, read_csv("schools.csv"), ["uai"], "établissements",
                                       lambda r: {
        "uai": r["uai"], "kind": r["kind"], "commune_insee": r["commune_insee"] or None,
        "lat": _f(r["lat"]), "lon": _f(r["lon"]),
        "rep": r["education_prioritaire"] in ("REP", "REP+"), "qpv": r["qpv"] == "1"})
    return out
