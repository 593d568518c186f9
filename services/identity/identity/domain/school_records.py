"""Schools an admin creates or corrects (new lycées missing from the ministry's directory, a wrong address,
the REP / REP+ / QPV flags): the UAI and its check letter, and the record's fields."""
from __future__ import annotations

import re

from common.errors import FieldErrors
from common.validation import check_text

from .schools import EDUCATION_PRIORITAIRE, search_key

# The UAI's last character is a check letter: the 7 digits modulo 23 index this alphabet (no I, O, Q).
# Every UAI of data/reference/schools.csv satisfies it (tests/unit: test_identity_backoffice_domain.py).
CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_UAI_SHAPE = re.compile(r"^\d{7}[A-Z]$")
_POSTAL = re.compile(r"^\d{5}$")
KINDS = ("college", "lycee")
SECTORS = ("public", "private")
STATUSES = ("OUVERT", "A OUVRIR", "A FERMER")
TEXT_FIELDS = {"name": (3, 200), "street_address": (0, 200), "address_complement": (0, 200),
               "address_city": (0, 100), "private_contract": (0, 100), "qpv_situation": (0, 40)}
EDITABLE = ("name", "kind", "sector", "private_contract", "status", "commune_insee", "postal_code", "lat", "lon",
            "education_prioritaire", "qpv", "qpv_situation", "street_address", "address_complement",
            "address_postal_code", "address_city")


def check_letter(digits: str) -> str:
    return CHECK_LETTERS[int(digits) % 23]


def check_uai(value) -> str | None:
    """A French message when ``value`` is not a valid UAI (7 digits, then the right check letter)."""
    v = value.strip().upper() if isinstance(value, str) else ""
    if not _UAI_SHAPE.match(v):
        return "UAI invalide : 7 chiffres suivis d'une lettre (par exemple 0131884C)."
    if check_letter(v[:7]) != v[7]:
        return f"UAI invalide : la lettre de contrôle de {v[:7]} est {check_letter(v[:7])}."
    return None


def _number(errs: FieldErrors, name: str, value, low: float, high: float):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        errs.add(name, f"Valeur invalide (entre {low:g} et {high:g}).")
        return None
    return float(value)


def validate_school(data: dict, commune: dict | None, departement: dict | None, current: dict | None = None) -> dict:
    """The school record to write: ``data`` (the admin's fields; on a correction only the fields to change) over
    ``current`` (None on a creation). ``commune``: the reference row of ``commune_insee`` (data/reference
    communes.csv: name, dep_code, postal_codes) or None when unknown; ``departement``: its département's row
    (academie_code, academie_name). Raises ``ValidationError`` with every field error at once."""
    errs = FieldErrors()
    data = dict(data or {})
    unknown = sorted(set(data) - set(EDITABLE) - {"uai"})
    for k in unknown:
        errs.add(k, "Champ inconnu.")
    rec = dict(current or {})
    if current is None:
        m = check_uai(data.get("uai"))
        if m:
            errs.add("uai", m)
        rec["uai"] = (data.get("uai") or "").strip().upper() if isinstance(data.get("uai"), str) else None
        for req in ("name", "kind", "sector", "commune_insee"):
            if data.get(req) in (None, ""):
                errs.add(req, "Ce champ est obligatoire.")
        rec.setdefault("status", "OUVERT")
    for name, (low, high) in TEXT_FIELDS.items():
        if name in data:
            v = data[name]
            m = check_text(v, min_len=low, max_len=high, required=low > 0)
            if m:
                errs.add(name, m)
            else:
                rec[name] = v.strip() or None if isinstance(v, str) else None
    for name, allowed, message in (("kind", KINDS, "Type invalide : collège (college) ou lycée (lycee)."),
                                   ("sector", SECTORS, "Secteur invalide : public ou privé (private)."),
                                   ("status", STATUSES, "État invalide : OUVERT, A OUVRIR ou A FERMER.")):
        if name in data and data[name] not in (None, ""):
            if data[name] not in allowed:
                errs.add(name, message)
            else:
                rec[name] = data[name]
    if "education_prioritaire" in data:
        v = data["education_prioritaire"]
        if v in (None, ""):
            rec["education_prioritaire"] = None
        elif v not in EDUCATION_PRIORITAIRE:
            errs.add("education_prioritaire", "Éducation prioritaire invalide : REP, REP+ ou aucune.")
        else:
            rec["education_prioritaire"] = v
    if "qpv" in data:
        if data["qpv"] is not None and not isinstance(data["qpv"], bool):
            errs.add("qpv", "Valeur invalide : oui, non ou inconnu.")
        else:
            rec["qpv"] = data["qpv"]
    for name in ("postal_code", "address_postal_code"):
        if name in data:
            v = data[name]
            if v in (None, ""):
                rec[name] = None
            elif not isinstance(v, str) or not _POSTAL.match(v.strip()):
                errs.add(name, "Code postal invalide : 5 chiffres.")
            else:
                rec[name] = v.strip()
    if "lat" in data:
        rec["lat"] = _number(errs, "lat", data["lat"], -90, 90)
    if "lon" in data:
        rec["lon"] = _number(errs, "lon", data["lon"], -180, 180)
    if "commune_insee" in data and data["commune_insee"] not in (None, ""):
        if commune is None:
            errs.add("commune_insee", "Commune inconnue : indiquez son code INSEE (5 caractères, par exemple 13203).")
        else:
            rec.update(commune_insee=commune["insee_code"], commune_name=commune["name"],
                       dep_code=commune.get("dep_code") or None,
                       academie_code=(departement or {}).get("academie_code") or None,
                       academie_name=(departement or {}).get("academie_name") or None)
            codes = [c for c in (commune.get("postal_codes") or "").split("|") if c]
            if not rec.get("postal_code") and codes:
                rec["postal_code"] = codes[0]
            elif rec.get("postal_code") and codes and rec["postal_code"] not in codes and "postal_code" in data:
                errs.add("postal_code", f"Ce code postal n'est pas celui de {commune['name']} ({', '.join(codes)}).")
    errs.raise_if_any()
    rec["name_key"], rec["commune_key"] = search_key(rec.get("name") or "", rec.get("commune_name") or "")
    return rec


def changed_fields(before: dict, after: dict) -> dict:
    """{field: [before, after]} of the editable fields that differ (the journal's details)."""
    return {k: [before.get(k), after.get(k)] for k in EDITABLE + ("commune_name",)
            if before.get(k) != after.get(k)}
