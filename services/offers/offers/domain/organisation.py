"""Host organisations: identity (SIRET or manual entry), public/private rules,
sector, head-office address, contact phone (never shown to pupils)."""
from __future__ import annotations

import re

from common.validation import check_text

from .sectors import PUBLIC_SERVICE_SECTOR, check_naf, check_sector, sector_for_naf
from .siret import check_siret, normalize_siret

# Types of public employer. The ministries are listed one by one, then the
# other kinds of public employers.
PUBLIC_EMPLOYER_TYPES: dict[str, str] = {
    "ministere_agriculture": "Ministère de l'Agriculture et de la Souveraineté alimentaire",
    "ministere_armees": "Ministère des Armées",
    "ministere_culture": "Ministère de la Culture",
    "ministere_economie": "Ministère de l'Économie, des Finances et de l'Industrie",
    "ministere_education": "Ministère de l'Éducation nationale",
    "ministere_enseignement_superieur": "Ministère de l'Enseignement supérieur et de la Recherche",
    "ministere_europe_affaires_etrangeres": "Ministère de l'Europe et des Affaires étrangères",
    "ministere_interieur": "Ministère de l'Intérieur",
    "ministere_justice": "Ministère de la Justice",
    "ministere_outre_mer": "Ministère des Outre-mer",
    "ministere_sante_solidarites": "Ministère de la Santé et des Solidarités",
    "ministere_sports": "Ministère des Sports, de la Jeunesse et de la Vie associative",
    "ministere_transition_ecologique": "Ministère de la Transition écologique",
    "ministere_travail": "Ministère du Travail et de l'Emploi",
    "ministere_transformation_publique": "Ministère de l'Action et des Comptes publics",
    "service_deconcentre_etat": "Service déconcentré de l'État (préfecture, rectorat, DREAL…)",
    "collectivite_commune": "Commune ou intercommunalité",
    "collectivite_departement": "Conseil départemental",
    "collectivite_region": "Conseil régional",
    "etablissement_public": "Établissement public (national ou local)",
    "fonction_publique_hospitaliere": "Établissement de la fonction publique hospitalière",
    "autorite_independante": "Autorité administrative indépendante",
    "autre_administration": "Autre administration publique",
}

MSG_REQUIRED = "Ce champ est obligatoire."
MSG_PUBLIC_TYPE = "Choisissez le type d'employeur public dans la liste."
MSG_PUBLIC_TYPE_PRIVATE = "Un employeur privé n'a pas de type d'employeur public."
MSG_PRIVATE_PUBLIC_SECTOR = "Le secteur « Fonction publique » est réservé aux employeurs publics."
MSG_SIRET_OR_MANUAL = "Indiquez un SIRET, ou choisissez la saisie manuelle sans SIRET."
MSG_IS_PUBLIC = "Indiquez si l'employeur est public ou privé."
MSG_PHONE = "Numéro de téléphone invalide (10 chiffres, par exemple 01 23 45 67 89)."
MSG_POSTAL = "Code postal invalide (5 chiffres)."

_PHONE_RE = re.compile(r"^(?:(?:\+|00)33|0)[1-9]\d{8}$|^(?:\+|00)(?:262|590|594|596|508|687|689|681)\d{6,9}$")


def check_phone(value) -> str | None:
    """Any French landline or mobile number (the contact phone of a host)."""
    if not isinstance(value, str):
        return MSG_PHONE
    compact = re.sub(r"[\s.\-()]", "", value)
    return None if _PHONE_RE.match(compact) else MSG_PHONE


def check_postal_code(value) -> str | None:
    return None if isinstance(value, str) and re.fullmatch(r"\d{5}", value.strip()) else MSG_POSTAL


def public_employer_types() -> list[dict]:
    return [{"id": k, "name": v} for k, v in PUBLIC_EMPLOYER_TYPES.items()]


def validate_organisation(org, naf_mapping: dict | None = None, prefix: str = "organisation.") -> dict:
    """Every field error of an organisation, as {field path: [French messages]}.

    Expected keys: name, trade_name (optional), siret or manual_entry=True,
    is_public, public_employer_type (public only), sector (sN) or naf_code
    (the sector is then derived), head_office_address {street, postal_code,
    city}, contact_phone.
    """
    errors: dict[str, list[str]] = {}

    def add(field, msg):
        errors.setdefault(prefix + field, []).append(msg)

    if not isinstance(org, dict):
        add("name", MSG_REQUIRED)
        return errors
    msg = check_text(org.get("name"), min_len=2, max_len=150)
    if msg:
        add("name", msg)
    if org.get("trade_name") not in (None, ""):
        msg = check_text(org.get("trade_name"), max_len=150)
        if msg:
            add("trade_name", msg)
    siret = org.get("siret")
    if siret not in (None, ""):
        msg = check_siret(siret)
        if msg:
            add("siret", msg)
    elif not org.get("manual_entry"):
        add("siret", MSG_SIRET_OR_MANUAL)
    is_public = org.get("is_public")
    if not isinstance(is_public, bool):
        add("is_public", MSG_IS_PUBLIC)
    sector = org.get("sector")
    if sector in (None, "") and org.get("naf_code") and naf_mapping is not None:
        sector = sector_for_naf(org["naf_code"], naf_mapping)
    if org.get("naf_code") not in (None, ""):
        msg = check_naf(org["naf_code"], naf_mapping)
        if msg:
            add("naf_code", msg)
    if sector in (None, ""):
        add("sector", "Choisissez un secteur d'activité.")
    else:
        msg = check_sector(sector)
        if msg:
            add("sector", msg)
    pet = org.get("public_employer_type")
    if is_public is True:
        if pet not in PUBLIC_EMPLOYER_TYPES:
            add("public_employer_type", MSG_PUBLIC_TYPE)
    elif is_public is False:
        if pet not in (None, ""):
            add("public_employer_type", MSG_PUBLIC_TYPE_PRIVATE)
        if sector == PUBLIC_SERVICE_SECTOR:
            add("sector", MSG_PRIVATE_PUBLIC_SECTOR)
    addr = org.get("head_office_address")
    if not isinstance(addr, dict):
        add("head_office_address", "Indiquez l'adresse du siège.")
    else:
        msg = check_text(addr.get("street"), min_len=3, max_len=200)
        if msg:
            add("head_office_address.street", msg)
        msg = check_postal_code(addr.get("postal_code"))
        if msg:
            add("head_office_address.postal_code", msg)
        msg = check_text(addr.get("city"), min_len=1, max_len=100)
        if msg:
            add("head_office_address.city", msg)
    msg = check_phone(org.get("contact_phone"))
    if msg:
        add("contact_phone", msg)
    return errors


def normalize_organisation(org: dict, naf_mapping: dict | None = None) -> dict:
    """Clean copy of a valid organisation (SIRET compacted, sector derived from NAF)."""
    out = dict(org)
    if out.get("siret"):
        out["siret"] = normalize_siret(out["siret"])
        out["manual_entry"] = False
    else:
        out["siret"] = None
        out["manual_entry"] = True
    if not out.get("sector") and out.get("naf_code") and naf_mapping is not None:
        out["sector"] = sector_for_naf(out["naf_code"], naf_mapping)
    if not out.get("is_public"):
        out["public_employer_type"] = None
    for k in ("name", "trade_name"):
        if isinstance(out.get(k), str):
            out[k] = out[k].strip()
    return out
