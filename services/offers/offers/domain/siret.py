"""SIRET / SIREN checks (Luhn key, with La Poste's exception)."""
from __future__ import annotations

import re

LA_POSTE_SIREN = "356000000"

MSG_SIRET_FORMAT = "Le SIRET doit comporter 14 chiffres."
MSG_SIRET_KEY = "Ce SIRET n'existe pas : sa clé de contrôle est fausse."
MSG_SIREN_FORMAT = "Le SIREN doit comporter 9 chiffres."
MSG_SIREN_KEY = "Ce SIREN n'existe pas : sa clé de contrôle est fausse."


def normalize_siret(value) -> str | None:
    """'362 521 879 00034' -> '36252187900034'; None if not a string."""
    if value is None:
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    return re.sub(r"[\s.\-]", "", value)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def check_siren(value) -> str | None:
    v = normalize_siret(value)
    if not v or not re.fullmatch(r"\d{9}", v):
        return MSG_SIREN_FORMAT
    if not luhn_ok(v):
        return MSG_SIREN_KEY
    return None


def check_siret(value) -> str | None:
    """French message if ``value`` is not a valid SIRET, else None.

    14 digits whose Luhn key is right; for La Poste (SIREN 356000000) whose
    establishments do not follow Luhn, the sum of the 14 digits must be a
    multiple of 5 instead (the head office 35600000000048 passes Luhn too).
    """
    v = normalize_siret(value)
    if not v or not re.fullmatch(r"\d{14}", v):
        return MSG_SIRET_FORMAT
    if v.startswith(LA_POSTE_SIREN):
        if sum(int(c) for c in v) % 5 == 0 or luhn_ok(v):
            return None
        return MSG_SIRET_KEY
    if not luhn_ok(v):
        return MSG_SIRET_KEY
    return None


def is_valid_siret(value) -> bool:
    return check_siret(value) is None
