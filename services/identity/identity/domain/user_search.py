"""The back-office's search of accounts: what an admin typed, read as an e-mail address, a phone number, a
school's UAI or words of a name (person or school), accent- and case-insensitive."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from common.errors import ValidationError
from common.validation import fold, normalize_phone

from . import roles
from .schools import is_uai

EMAIL, PHONE, UAI, WORDS = "email", "phone", "uai", "words"
_PHONE_CHARS = re.compile(r"^\+?[\d\s.\-()]+$")
_WORD = re.compile(r"[a-z0-9@._+']+")
MAX_QUERY = 200


@dataclass(frozen=True)
class UserQuery:
    kind: str                      # email | phone | uai | words
    value: str                     # email: lower-cased part; phone: E.164 or digits; uai: the UAI
    words: list = field(default_factory=list)   # words: folded words (each must match)


def fold_words(text: str) -> list[str]:
    """Folded words of a name, as compared ('Le Bihan-Hélène' -> ['le', 'bihan', 'helene'])."""
    return _WORD.findall(fold(text or "").replace("-", " "))


def parse_query(q) -> UserQuery:
    """What kind of search ``q`` is (``ValidationError`` on the field ``q`` when it cannot be one)."""
    if not isinstance(q, str) or not q.strip():
        raise ValidationError(errors={"q": ["Saisissez une adresse e-mail, un numéro de téléphone, un nom ou un "
                                            "établissement (nom ou UAI)."]})
    q = q.strip()
    if len(q) > MAX_QUERY:
        raise ValidationError(errors={"q": [f"La recherche contient au plus {MAX_QUERY} caractères."]})
    if "@" in q:
        return UserQuery(EMAIL, q.lower())
    if is_uai(q):
        return UserQuery(UAI, q.upper())
    if _PHONE_CHARS.match(q):
        digits = re.sub(r"\D", "", q)
        if len(digits) < 4:
            raise ValidationError(errors={"q": ["Saisissez au moins 4 chiffres d'un numéro de téléphone."]})
        e164 = normalize_phone(q)
        if e164:
            return UserQuery(PHONE, e164)
        # a part of a number: compared with the national digits (0612345678 is stored +33612345678)
        return UserQuery(PHONE, digits[1:] if digits.startswith("0") else digits)
    ws = fold_words(q)
    if not ws or all(len(w) < 2 for w in ws):
        raise ValidationError(errors={"q": ["Saisissez au moins deux lettres d'un nom."]})
    return UserQuery(WORDS, " ".join(ws), [w for w in ws if len(w) >= 2] or ws)


def check_role(role) -> str | None:
    if role in (None, ""):
        return None
    if role not in roles.ROLES:
        raise ValidationError(errors={"role": ["Profil inconnu : " + ", ".join(roles.ROLES) + "."]})
    return role
