"""Small field validators shared by the services. Each returns a French
message when the value is invalid, or None when it is fine, so callers can
collect every error with ``FieldErrors`` before raising."""
from __future__ import annotations

import re
import unicodedata

EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")

# Mobile numbers: metropolitan 06/07, and overseas departments/collectivities
# written with their international prefix (Réunion/Mayotte +262, Guadeloupe and
# Saint-Martin/Saint-Barthélemy +590, Guyane +594, Martinique +596,
# Saint-Pierre-et-Miquelon +508, Nouvelle-Calédonie +687, Polynésie +689,
# Wallis-et-Futuna +681).
_MOBILE_METRO = re.compile(r"^(?:\+33|0033|0)([67]\d{8})$")
_MOBILE_OVERSEAS = re.compile(r"^(?:\+|00)(262|590|594|596|508|687|689|681)(\d{6,9})$")
_MOBILE_OVERSEAS_NATIONAL = re.compile(r"^0(69[0-7]\d{6}|639\d{6})$")


def normalize_phone(value: str) -> str | None:
    """Return the E.164 form of a French (or overseas) mobile number, or None."""
    if not isinstance(value, str):
        return None
    compact = re.sub(r"[\s.\-()]", "", value)
    m = _MOBILE_OVERSEAS_NATIONAL.match(compact)  # before metro: 0692... is Réunion, not +33 692...
    if m:
        digits = m.group(1)
        prefix = {"690": "590", "691": "590", "694": "594", "696": "596", "697": "596",
                  "692": "262", "693": "262", "639": "262"}.get(digits[:3], "262")
        return f"+{prefix}{digits}"
    m = _MOBILE_METRO.match(compact)
    if m:
        return "+33" + m.group(1)
    m = _MOBILE_OVERSEAS.match(compact)
    if m:
        return f"+{m.group(1)}{m.group(2)}"
    return None


def check_mobile_phone(value) -> str | None:
    if normalize_phone(value) is None:
        return "Numéro de téléphone mobile invalide (exemple : 06 12 34 56 78 ou +262 692 12 34 56)."
    return None


def normalize_email(value: str) -> str:
    return value.strip().lower()


def check_email(value) -> str | None:
    if not isinstance(value, str) or len(value) > 254 or not EMAIL_RE.match(value.strip()):
        return "Adresse e-mail invalide."
    return None


def check_text(value, *, min_len: int = 0, max_len: int | None = None, required: bool = True) -> str | None:
    """Length check on a stripped text, counting characters as users see them."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "Ce champ est obligatoire." if required else None
    if not isinstance(value, str):
        return "Ce champ doit être un texte."
    n = len(value.strip())
    if n < min_len:
        return f"Ce champ doit contenir au moins {min_len} caractères."
    if max_len is not None and n > max_len:
        return f"Ce champ doit contenir au plus {max_len} caractères."
    return None


def fold(text: str) -> str:
    """Lower-case and strip accents: 'Élève' -> 'eleve' (for matching, never display)."""
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower()
