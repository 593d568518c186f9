"""A pupil's record as read from a class list: names, birth date, grade (from a level or a class name), INE,
and the stable natural key (folded names + birth date) that matches the same pupil across imports."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from common.validation import fold

from .roles import QUATRIEME, SECONDE, TROISIEME

MIN_AGE = 9
MAX_AGE = 21


# --- field parsers ----------------------------------------------------------

_SPACES = re.compile(r"\s+")


def clean_name(value: str) -> str:
    return _SPACES.sub(" ", (value or "").strip())


def split_full_name(value: str) -> tuple[str, str]:
    """"DUPONT-MARTIN Léa Marie" -> ("DUPONT-MARTIN", "Léa Marie"): leading upper-case words are the
    last name (SIECLE/Pronote convention)."""
    words = clean_name(value).split(" ")
    last, i = [], 0
    while i < len(words) and words[i] and words[i] == words[i].upper() and any(c.isalpha() for c in words[i]):
        last.append(words[i])
        i += 1
    if not last or i == len(words):  # no case signal: first word is the last name
        return (words[0], " ".join(words[1:])) if len(words) > 1 else (value.strip(), "")
    return " ".join(last), " ".join(words[i:])


_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%y", "%d-%m-%y")


def parse_birth_date(value: str) -> dt.date | None:
    v = (value or "").strip()
    if not v:
        return None
    v = re.split(r"[ T]", v)[0]  # "12/03/2012 00:00:00"
    for fmt in _DATE_FORMATS:
        try:
            d = dt.datetime.strptime(v, fmt).date()
        except ValueError:
            continue
        return d
    return None


def age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


_GRADE_WORDS = [
    (TROISIEME, r"(troisieme|3\s*(e|eme|em|ieme)?(?![0-9a-z])|3\s*(e|eme|em|ieme)(?![a-z]))"),
    (QUATRIEME, r"(quatrieme|4\s*(e|eme|em|ieme)?(?![0-9a-z])|4\s*(e|eme|em|ieme)(?![a-z]))"),
    (SECONDE, r"(seconde|2\s*(nde|de|nd|gt|pro|ndgt|ndpro)(?![a-z])|2(?![0-9a-z]))"),
]
_OTHER_GRADES = r"(sixieme|cinquieme|premiere|terminale|6\s*e|5\s*e|1\s*(re|ere)|tle|term|cap|bts|cpge|ulis|segpa\s*6|6eme|5eme)"


def parse_grade(value: str) -> tuple[str | None, bool]:
    """(grade, recognised). ``recognised`` is True for any school level we know,
    including levels the platform does not handle (grade None then)."""
    v = fold(value or "").strip()
    if not v:
        return None, False
    v = re.sub(r"[\-_./]+", " ", v)
    for grade, pattern in _GRADE_WORDS:
        if re.match(pattern, v):
            return grade, True
    if re.match(_OTHER_GRADES, v):
        return None, True
    return None, False


def grade_from_class(class_name: str) -> str | None:
    """Infer the grade from a class name: "3A", "3e B", "302", "4EME2", "2nde 4", "201"."""
    v = fold(class_name or "").strip()
    v = re.sub(r"[\s\-_./]+", "", v)
    if not v:
        return None
    g, ok = parse_grade(v)
    if g:
        return g
    m = re.match(r"^([2-6])(?:e|eme|em|de|nde|nd)?(?:[a-z]{1,3}|\d{1,2})?$", v)
    if m:
        return {"3": TROISIEME, "4": QUATRIEME, "2": SECONDE}.get(m.group(1))
    for word, grade in (("troisieme", TROISIEME), ("quatrieme", QUATRIEME), ("seconde", SECONDE)):
        if v.startswith(word):
            return grade
    return None


INE_RE = re.compile(r"^[0-9A-Z]{10}[A-Z]$")


def normalize_ine(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def key_part(s: str) -> str:
    """A name as compared (folded, letters and digits); also what the pupils search looks for."""
    return re.sub(r"[^a-z0-9]+", " ", fold(s)).strip()


def pupil_key(last_name: str, first_name: str, birth_date: dt.date) -> str:
    """Stable natural key: folded last name, folded first name, birth date.
    'DUPONT Éloïse 2012-03-04' and 'Dupont  Eloise' give the same key."""
    return f"{key_part(last_name)}|{key_part(first_name)}|{birth_date.isoformat()}"


# --- rows of an import -----------------------------------------------------

@dataclass
class PupilRow:
    line: int
    key: str
    last_name: str
    first_name: str
    birth_date: dt.date
    class_name: str
    grade: str
    ine: str | None = None
    email: str | None = None

    def to_dict(self) -> dict:
        return {"line": self.line, "key": self.key, "last_name": self.last_name, "first_name": self.first_name,
                "birth_date": self.birth_date.isoformat(), "class_name": self.class_name, "grade": self.grade,
                "ine": self.ine, "email": self.email}


@dataclass
class RejectedRow:
    line: int
    values: dict
    reasons: list[str]

    def to_dict(self) -> dict:
        return {"line": self.line, "values": self.values, "reasons": self.reasons}
