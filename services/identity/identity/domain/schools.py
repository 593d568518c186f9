"""Schools directory rules: accent-insensitive ranked search and distance search.

Works on plain dicts ({"uai", "name", "commune_name", "postal_code", "lat", "lon", ...}),
so the service can run it over rows from the database or an in-memory index.
"""
from __future__ import annotations

import math
import re

from common.validation import fold

UAI_RE = re.compile(r"^\d{7}[A-Z]$")
_WORD = re.compile(r"[a-z0-9]+")
# Words too common in school names to carry meaning on their own.
STOP_WORDS = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "st", "ste"}


def is_uai(value: str) -> bool:
    return isinstance(value, str) and bool(UAI_RE.match(value.strip().upper()))


def words(text: str) -> list[str]:
    t = fold(text or "").replace("-", " ")
    return _WORD.findall(t)


def expand(w: str) -> str:
    return {"st": "saint", "ste": "sainte", "clg": "college", "lyc": "lycee", "lp": "lycee"}.get(w, w)


def prefilter_words(query: str) -> list[str]:
    """The words every candidate's stored keys must contain (the SQL prefilter before ``rank``)."""
    ws = [expand(w) for w in words(query)]
    return [w for w in ws if len(w) >= 2 or w.isdigit()] or ws


def search_key(name: str, commune: str) -> tuple[str, str]:
    """Folded name and commune, as stored for search."""
    return " ".join(expand(w) for w in words(name)), " ".join(expand(w) for w in words(commune))


def score(query: str, name_key: str, commune_key: str, postal_code: str = "", uai: str = "") -> float:
    """0 = no match; higher is better."""
    q_words = [expand(w) for w in words(query)]
    if not q_words:
        return 0.0
    q = " ".join(q_words)
    if uai and q.upper().replace(" ", "") == uai:
        return 1000.0
    name_words = name_key.split()
    commune_words = commune_key.split()
    all_words = name_words + commune_words
    s = 0.0
    for w in q_words:
        if w.isdigit() and postal_code and postal_code.startswith(w):
            s += 3
            continue
        if w in all_words:
            s += 3 if w not in STOP_WORDS else 0.5
        elif any(x.startswith(w) for x in all_words):
            s += 2 if len(w) >= 2 else 0.5
        elif len(w) >= 3 and any(w in x for x in all_words):
            s += 1
        else:
            return 0.0   # every word must match somewhere
    if q == name_key:
        s += 20
    elif name_key.startswith(q):
        s += 10
    elif q in name_key:
        s += 6
    if q == commune_key:
        s += 8
    elif commune_key.startswith(q):
        s += 4
    # shorter names first among equals
    return s - len(name_words) * 0.01


def rank(query: str, schools, limit: int = 20, kind: str | None = None) -> list[dict]:
    """``schools``: iterable of dicts with "name_key", "commune_key" (see ``search_key``) and
    "postal_code", "uai", "kind", "name"."""
    scored = []
    for sc in schools:
        if kind and sc.get("kind") != kind:
            continue
        v = score(query, sc["name_key"], sc["commune_key"], sc.get("postal_code") or "", sc.get("uai") or "")
        if v > 0:
            scored.append((-v, sc.get("name") or "", sc.get("uai") or "", sc))
    scored.sort(key=lambda t: t[:3])
    return [t[3] for t in scored[:limit]]


EARTH_RADIUS_KM = 6371.0088


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) that contains the circle (for an index prefilter)."""
    dlat = radius_km / 111.32
    dlon = radius_km / (111.32 * max(0.01, math.cos(math.radians(lat))))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def nearest(lat: float, lon: float, schools, radius_km: float, limit: int = 20) -> list[tuple[float, dict]]:
    """[(distance_km, school)] within ``radius_km``, nearest first."""
    out = []
    for sc in schools:
        if sc.get("lat") is None or sc.get("lon") is None:
            continue
        d = haversine_km(lat, lon, float(sc["lat"]), float(sc["lon"]))
        if d <= radius_km:
            out.append((round(d, 3), sc))
    out.sort(key=lambda t: (t[0], t[1].get("uai") or ""))
    return out[:limit]


def check_point(lat, lon, radius_km) -> dict:
    """Field errors for a 'near' query."""
    errors = {}
    if not isinstance(lat, (int, float)) or isinstance(lat, bool) or not -90 <= lat <= 90:
        errors["lat"] = ["Latitude invalide (entre -90 et 90)."]
    if not isinstance(lon, (int, float)) or isinstance(lon, bool) or not -180 <= lon <= 180:
        errors["lon"] = ["Longitude invalide (entre -180 et 180)."]
    if not isinstance(radius_km, (int, float)) or isinstance(radius_km, bool) or not 0 < radius_km <= 100:
        errors["radius_km"] = ["Rayon invalide (entre 0 et 100 km)."]
    return errors


EDUCATION_PRIORITAIRE = ("REP", "REP+")


def check_filters(education_prioritaire=None, qpv=None) -> tuple[dict, dict]:
    """The directory filters of a search: (clean filters, field errors).

    ``education_prioritaire``: "REP", "REP+" or a list of them (schools in any of them);
    ``qpv``: True (schools in a priority neighbourhood, QPV) or False (schools known not to be)."""
    errors, out = {}, {}
    if education_prioritaire not in (None, "", []):
        values = [education_prioritaire] if isinstance(education_prioritaire, str) else education_prioritaire
        if not isinstance(values, (list, tuple)) or not values or \
                any(not isinstance(v, str) or v.strip().upper() not in EDUCATION_PRIORITAIRE for v in values):
            errors["education_prioritaire"] = ["Éducation prioritaire invalide : REP ou REP+."]
        else:
            out["education_prioritaire"] = sorted({v.strip().upper() for v in values})
    if qpv is not None:
        if not isinstance(qpv, bool):
            errors["qpv"] = ["Valeur invalide : true ou false."]
        else:
            out["qpv"] = qpv
    return out, errors


def matches_filters(school: dict, filters: dict) -> bool:
    """Whether a school record passes the clean ``filters`` of ``check_filters``."""
    rep = filters.get("education_prioritaire")
    if rep is not None and school.get("education_prioritaire") not in rep:
        return False
    if "qpv" in filters and school.get("qpv") is not filters["qpv"]:
        return False
    return True


def school_from_csv_row(row: dict) -> dict:
    """One row of data/reference/schools.csv -> the school record stored by identity."""
    def f(v):
        return float(v) if v not in (None, "") else None
    rep = row.get("education_prioritaire") or None
    qpv = row.get("qpv")
    return {
        "uai": row["uai"].strip().upper(),
        "kind": row["kind"],
        "name": row["name"].strip(),
        "sector": "public" if row.get("sector") == "Public" else "private",
        "private_contract": row.get("private_contract") or None,
        "status": row.get("status") or "OUVERT",
        "postal_code": row.get("postal_code") or None,
        "commune_insee": row.get("commune_insee") or None,
        "commune_name": row.get("commune_name") or "",
        "dep_code": row.get("dep_code") or None,
        "academie_code": row.get("academie_code") or None,
        "academie_name": row.get("academie_name") or None,
        "lat": f(row.get("lat")),
        "lon": f(row.get("lon")),
        "education_prioritaire": rep,
        "qpv": (qpv == "1") if qpv in ("0", "1") else None,
        "qpv_situation": row.get("qpv_situation") or None,
        "street_address": (row.get("street_address") or "").strip() or None,
        "address_complement": (row.get("address_complement") or "").strip() or None,
        "address_postal_code": (row.get("address_postal_code") or "").strip() or None,
        "address_city": (row.get("address_city") or "").strip() or None,
    }
