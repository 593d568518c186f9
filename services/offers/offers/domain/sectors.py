"""The 51 activity sectors (``s1``..``s51``) and the NAF rév. 2 -> sector mapping.

The sector list is a copy of data/reference/sectors.csv (the 1élève1stage
platform's own codes and spelling); a unit test checks that both agree.
The NAF mapping itself is reference data loaded by the caller
(data/reference/naf_rev2.csv, sub-classes) and passed in as a dict.
"""
from __future__ import annotations

import re

SECTORS: dict[str, str] = {
    "s1": 'Agroéquipement',
    "s2": 'Architecture, urbanisme et paysage',
    "s3": 'Armée - Défense',
    "s4": 'Art et design',
    "s5": "Artisanat d'art",
    "s6": 'Arts du spectacle',
    "s7": 'Audiovisuel',
    "s8": 'Automobile',
    "s9": 'Banque et assurance',
    "s10": 'Bâtiment et travaux publics (BTP)',
    "s11": 'Bien-être',
    "s12": 'Commerce et distribution',
    "s13": 'Communication',
    "s14": 'Comptabilité, gestion, ressources humaines',
    "s15": 'Conseil et audit',
    "s16": 'Construction aéronautique, ferroviaire et navale',
    "s17": 'Culture et patrimoine',
    "s18": 'Droit et justice',
    "s19": 'Édition, librairie, bibliothèque',
    "s20": 'Électronique',
    "s21": 'Énergie',
    "s22": 'Enseignement',
    "s23": 'Environnement',
    "s24": 'Filiere bois',
    "s25": 'Fonction publique',
    "s26": 'Hôtellerie, restauration',
    "s27": 'Immobilier, transactions immobilières',
    "s28": 'Industrie alimentaire',
    "s29": 'Industrie chimique',
    "s30": 'Industrie, ingénierie industrielle',
    "s31": 'Informatique et réseaux',
    "s32": 'Jeu vidéo',
    "s33": 'Journalisme',
    "s34": 'Logistique et transport',
    "s35": 'Maintenance',
    "s36": 'Marketing, publicité',
    "s37": 'Mécanique',
    "s38": "Métiers d'art",
    "s39": 'Mode',
    "s40": 'Papiers Cartons',
    "s41": 'Paramédical',
    "s42": 'Recherche',
    "s43": 'Santé',
    "s44": 'Sécurité',
    "s45": 'Services postaux',
    "s46": 'Social',
    "s47": 'Sport',
    "s48": 'Tourisme',
    "s49": 'Traduction, interprétation',
    "s50": 'Verre, béton, céramique',
    "s51": 'Agriculture',
}

PUBLIC_SERVICE_SECTOR = "s25"  # "Fonction publique"

MSG_SECTOR_UNKNOWN = "Secteur d'activité inconnu (attendu : s1 à s51)."
MSG_NAF_FORMAT = "Code NAF invalide (exemple : 62.01Z)."
MSG_NAF_UNKNOWN = "Code NAF inconnu de la nomenclature NAF rév. 2."


def check_sector(value) -> str | None:
    if not isinstance(value, str) or value not in SECTORS:
        return MSG_SECTOR_UNKNOWN
    return None


def sector_list() -> list[dict]:
    return [{"id": k, "name": v} for k, v in SECTORS.items()]


_NAF_RE = re.compile(r"^(\d{2})\.?(\d{2})([A-Za-z])$")


def normalize_naf(value) -> str | None:
    """'6201z', '62.01Z', ' 62 01 Z ' -> '62.01Z'; None when not a NAF sub-class code."""
    if not isinstance(value, str):
        return None
    compact = re.sub(r"[\s]", "", value)
    m = _NAF_RE.match(compact)
    if not m:
        return None
    return f"{m.group(1)}.{m.group(2)}{m.group(3).upper()}"


def check_naf(value, naf_mapping: dict[str, str | None] | None = None) -> str | None:
    code = normalize_naf(value)
    if code is None:
        return MSG_NAF_FORMAT
    if naf_mapping is not None and code not in naf_mapping:
        return MSG_NAF_UNKNOWN
    return None


def sector_for_naf(value, naf_mapping: dict[str, str | None]) -> str | None:
    """Sector code of a NAF sub-class (``None`` when unknown or unmapped,
    as for 78.30Z and 99.00Z)."""
    code = normalize_naf(value)
    if code is None:
        return None
    return naf_mapping.get(code) or None
