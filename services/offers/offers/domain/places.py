"""Finding a place (commune) from what a person types: a name, a postal code or an address.

Pure: the caller passes the communes (insee_code, name, dep_code, postal_codes, population, lat, lon, kind)."""
from __future__ import annotations

import re

from common.validation import fold

Q_MAX = 200
LIMIT_MAX = 20
_POSTAL = re.compile(r"\b(\d{5})\b")
_INSEE = re.compile(r"^(\d{5}|2[ABab]\d{3})$")


def key(name: str) -> str:
    """'Saint-Étienne' and 'st etienne' give the same key."""
    k = fold(name)
    k = re.sub(r"[-'’ ]+", " ", k).strip()
    k = re.sub(r"^st ", "saint ", k)
    k = re.sub(r"^ste ", "sainte ", k)
    return k


def parse_query(q: str) -> dict:
    """{"postal_code": "13003"} when the text holds a postal code (an address, or the code alone),
    {"insee": "2A004"} for an INSEE code, else {"name": key} (the last words of an address are tried too)."""
    q = (q or "").strip()[:Q_MAX]
    if _INSEE.match(q) and not q.isdigit():
        return {"insee": q.upper()}
    m = _POSTAL.search(q)
    if m:
        rest = _POSTAL.sub(" ", q)
        return {"postal_code": m.group(1), "name": key(rest.split(",")[-1]) if rest.strip() else ""}
    if "," in q:  # "12 rue de la Paix, Marseille" -> the part after the last comma
        return {"name": key(q.split(",")[-1])}
    return {"name": key(q)}


def rank(communes: list[dict], q: str, limit: int = 10) -> list[dict]:
    """The communes that match ``q``, best first: exact name, then prefix, then contained; communes
    before municipal districts; larger populations first."""
    limit = max(1, min(int(limit or 10), LIMIT_MAX))
    parsed = parse_query(q)
    if parsed.get("insee"):
        return [c for c in communes if c["insee_code"] == parsed["insee"]][:1]
    if parsed.get("postal_code"):
        hits = [c for c in communes if parsed["postal_code"] in (c.get("postal_codes") or [])]
        name = parsed.get("name")
        if name:
            named = [c for c in hits if key(c["name"]).startswith(name) or name.startswith(key(c["name"]))]
            hits = named or hits
        return sorted(hits, key=lambda c: (c["kind"] != "commune", -(c.get("population") or 0)))[:limit]
    name = parsed.get("name") or ""
    if len(name) < 2:
        return []
    scored = []
    for c in communes:
        k = c.get("_key") or key(c["name"])
        if k == name:
            score = 0
        elif k.startswith(name):
            score = 1
        elif f" {name}" in f" {k}":
            score = 2
        else:
            continue
        scored.append((score, c["kind"] != "commune", -(c.get("population") or 0), c["name"], c))
    scored.sort(key=lambda t: t[:4])
    return [t[-1] for t in scored[:limit]]
