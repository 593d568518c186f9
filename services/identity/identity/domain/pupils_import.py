"""Parser of the class lists exported by school software (SIECLE, Pronote, ENT...).

Input: the raw bytes of a CSV file. French headers with variants (``Nom``,
``NOM DE FAMILLE``, ``Prénom``, ``Date de naissance``, ``Né(e) le``, ``Classe``,
``Division``, ``Niveau``, ``MEF``, ``INE``, ``Email``/``Courriel``...), ``;``,
``,`` or tab separated, UTF-8 (with or without BOM), UTF-16 with BOM, or
Latin-1/Windows-1252.

Output: valid rows and rejected rows with French reasons. Each pupil has a
stable natural key (folded names + birth date) so that re-importing the same
file matches the same pupils; ``plan_import`` compares rows with the pupils
already known and says what to create, update or leave alone.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field

from common.validation import check_email, fold

from .roles import GRADE_LABELS, GRADES_BY_SCHOOL_KIND, QUATRIEME, SECONDE, TROISIEME

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 3000
MIN_AGE = 9
MAX_AGE = 21

LAST_NAME = "last_name"
FIRST_NAME = "first_name"
FULL_NAME = "full_name"
BIRTH_DATE = "birth_date"
CLASS_NAME = "class_name"
GRADE = "grade"
INE = "ine"
EMAIL = "email"

_ALIASES = {
    LAST_NAME: ["nom", "nom de famille", "nom d usage", "nom usage", "nom d usage de l eleve", "nom eleve",
                "nom de l eleve", "nom patronymique", "nom legal", "noms", "last name", "lastname"],
    FIRST_NAME: ["prenom", "prenoms", "prenom 1", "premier prenom", "prenom eleve", "prenom de l eleve",
                 "prenom usuel", "prenom d usage", "first name", "firstname"],
    FULL_NAME: ["eleve", "eleves", "nom prenom", "nom et prenom", "nom et prenoms", "nom prenoms", "identite"],
    BIRTH_DATE: ["date de naissance", "date naissance", "date de naiss", "date naiss", "date nais",
                 "ne e le", "ne le", "nee le", "naissance", "datenaissance", "date de naissance de l eleve",
                 "birth date", "birthdate"],
    CLASS_NAME: ["classe", "classes", "division", "divisions", "classe division", "div", "code division",
                 "libelle division", "groupe classe", "code classe", "classe de l eleve", "class"],
    GRADE: ["niveau", "niveau scolaire", "niveau de formation", "mef", "lib mef", "libelle mef", "code mef",
            "formation", "libelle formation", "niveau classe", "grade"],
    INE: ["ine", "numero ine", "n ine", "no ine", "num ine", "ine eleve", "identifiant national",
          "identifiant national eleve", "identifiant ine", "numero national"],
    EMAIL: ["email", "e mail", "mel", "courriel", "mail", "adresse mail", "adresse e mail", "adresse email",
            "adresse electronique", "adresse mel", "courriel eleve", "email eleve", "mail eleve",
            "e mail eleve", "adresse courriel"],
}
_HEADER_INDEX = {alias: canon for canon, aliases in _ALIASES.items() for alias in aliases}

COLUMN_LABELS = {LAST_NAME: "Nom", FIRST_NAME: "Prénom", BIRTH_DATE: "Date de naissance",
                 CLASS_NAME: "Classe", GRADE: "Niveau", INE: "INE", EMAIL: "Email"}


def _norm_header(h: str) -> str:
    h = fold(h or "").replace("\ufeff", "")
    h = re.sub(r"\(e\)", "e", h)
    h = re.sub(r"[^a-z0-9]+", " ", h).strip()
    h = re.sub(r"^(n|no|num|numero) (?=ine)", "numero ", h)
    return h


def map_header(h: str) -> str | None:
    n = _norm_header(h)
    if n in _HEADER_INDEX:
        return _HEADER_INDEX[n]
    compact = n.replace(" ", "")
    for alias, canon in _HEADER_INDEX.items():
        if alias.replace(" ", "") == compact:
            return canon
    return None


# --- decoding ---------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name). UTF-8 (BOM or not), UTF-16 with BOM, else Windows-1252/Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def sniff_delimiter(header_line: str) -> str:
    counts = {d: 0 for d in (";", ",", "\t")}
    in_quotes = False
    for ch in header_line:
        if ch == '"':
            in_quotes = not in_quotes
        elif not in_quotes and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] else ";"


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


def _age(birth: dt.date, today: dt.date) -> int:
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


def _key_part(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", fold(s)).strip()


def pupil_key(last_name: str, first_name: str, birth_date: dt.date) -> str:
    """Stable natural key: folded last name, folded first name, birth date.
    'DUPONT Éloïse 2012-03-04' and 'Dupont  Eloise' give the same key."""
    return f"{_key_part(last_name)}|{_key_part(first_name)}|{birth_date.isoformat()}"


# --- report -----------------------------------------------------------------

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


@dataclass
class ParsedFile:
    rows: list[PupilRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    encoding: str | None = None
    delimiter: str | None = None
    columns: dict = field(default_factory=dict)   # canonical -> header as written
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_errors

    def summary(self) -> dict:
        return {"encoding": self.encoding, "delimiter": self.delimiter, "columns": self.columns,
                "ignored_columns": self.ignored_columns, "valid": len(self.rows), "rejected": len(self.rejected),
                "file_errors": self.file_errors}


MAX_LINE_CHARS = 2000  # a class-list line holds a few hundred characters at most


def _split_line(line: str, delimiter: str) -> tuple[list[str] | None, str | None]:
    """The cells of one line, or (None, the French reason it cannot be read)."""
    if len(line) > MAX_LINE_CHARS:
        return None, f"Ligne trop longue ({MAX_LINE_CHARS} caractères au plus)."
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=True)), None
    except csv.Error:
        return None, "Ligne illisible : guillemet non fermé ou mal placé."


def parse_pupils_csv(data: bytes, today: dt.date, school_kind: str | None = None) -> ParsedFile:
    """Parse a class list. ``today`` checks birth dates; ``school_kind`` ("college"/"lycee")
    rejects grades the school does not teach."""
    out = ParsedFile()
    if not data or not data.strip():
        out.file_errors.append("Le fichier est vide.")
        return out
    if len(data) > MAX_BYTES:
        out.file_errors.append(f"Le fichier est trop volumineux (maximum {MAX_BYTES // (1024 * 1024)} Mo).")
        return out
    text, out.encoding = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "\x00" in line:  # PostgreSQL stores no NUL; a UTF-16 file without its BOM is full of them
            out.file_errors.append(f"Ligne {i + 1} : caractère nul dans le fichier. Enregistrez la liste au format "
                                   "CSV (UTF-8 ou Windows-1252) et déposez-la de nouveau.")
            return out
    # Some exports put a title line before the header: find the first line with a known column.
    header_idx = None
    for i, line in enumerate(lines[:10]):
        if not line.strip() or len(line) > MAX_LINE_CHARS:
            continue
        delim = sniff_delimiter(line)
        cells = next(csv.reader([line], delimiter=delim))
        if sum(1 for c in cells if map_header(c)) >= 2:
            header_idx, out.delimiter = i, delim
            break
    if header_idx is None:
        out.file_errors.append("Ligne d'en-tête introuvable : le fichier doit contenir les colonnes Nom, Prénom, "
                               "Date de naissance et Classe.")
        return out
    header = next(csv.reader([lines[header_idx]], delimiter=out.delimiter))
    positions: dict[str, int] = {}
    for i, h in enumerate(header):
        canon = map_header(h)
        if canon and canon not in positions:
            positions[canon] = i
            out.columns[canon] = h.strip().lstrip("\ufeff")
        elif h.strip():
            out.ignored_columns.append(h.strip())
    missing = []
    if not ((LAST_NAME in positions and FIRST_NAME in positions) or FULL_NAME in positions):
        missing += [c for c in (LAST_NAME, FIRST_NAME) if c not in positions]
    if BIRTH_DATE not in positions:
        missing.append(BIRTH_DATE)
    if CLASS_NAME not in positions:
        missing.append(CLASS_NAME)
    if missing:
        out.file_errors.append("Colonnes obligatoires absentes : " + ", ".join(COLUMN_LABELS[m] for m in missing) + ".")
        return out

    allowed = GRADES_BY_SCHOOL_KIND.get(school_kind) if school_kind else None
    seen_keys: dict[str, int] = {}
    seen_ines: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    count = 0
    for offset, line in enumerate(lines[header_idx + 1:]):
        line_no = header_idx + offset + 2
        if not line.strip():
            continue
        # each line is parsed on its own: a stray quote spoils its line only, never the lines after it
        cells, problem = _split_line(line, out.delimiter)
        if cells is not None and not any(c.strip() for c in cells):
            continue
        count += 1
        if count > MAX_ROWS:
            out.file_errors.append(f"Le fichier contient trop de lignes (maximum {MAX_ROWS} élèves).")
            out.rows, out.rejected = [], []
            return out
        if cells is None:
            out.rejected.append(RejectedRow(line=line_no, values={"line": line[:200]}, reasons=[problem]))
            continue

        def cell(name):
            i = positions.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        values = {k: cell(k) for k in positions}
        reasons = []
        if FULL_NAME in positions and not (cell(LAST_NAME) and cell(FIRST_NAME)):
            last, first = split_full_name(cell(FULL_NAME))
        else:
            last, first = clean_name(cell(LAST_NAME)), clean_name(cell(FIRST_NAME))
        if not last:
            reasons.append("Nom manquant.")
        elif len(last) > 100 or not any(c.isalpha() for c in last):
            reasons.append("Nom invalide.")
        if not first:
            reasons.append("Prénom manquant.")
        elif len(first) > 100 or not any(c.isalpha() for c in first):
            reasons.append("Prénom invalide.")
        raw_birth = cell(BIRTH_DATE)
        birth = parse_birth_date(raw_birth)
        if not raw_birth:
            reasons.append("Date de naissance manquante.")
        elif birth is None:
            reasons.append(f"Date de naissance illisible « {raw_birth} » (format attendu : JJ/MM/AAAA).")
        elif not (MIN_AGE <= _age(birth, today) <= MAX_AGE):
            reasons.append(f"Date de naissance invraisemblable pour un élève : {birth.strftime('%d/%m/%Y')}.")
        class_name = clean_name(cell(CLASS_NAME))
        if not class_name:
            reasons.append("Classe manquante.")
        elif len(class_name) > 40:
            reasons.append("Nom de classe trop long (40 caractères maximum).")
        raw_grade = cell(GRADE)
        grade = None
        if raw_grade:
            grade, recognised = parse_grade(raw_grade)
            if grade is None and recognised:
                reasons.append(f"Niveau « {raw_grade} » non concerné par les stages (4e, 3e ou 2nde uniquement).")
            elif grade is None:
                grade = grade_from_class(class_name)
                if grade is None:
                    reasons.append(f"Niveau « {raw_grade} » inconnu (attendu : 4e, 3e ou 2nde).")
        elif class_name:
            grade = grade_from_class(class_name)
            if grade is None:
                reasons.append(f"Niveau manquant et impossible à déduire de la classe « {class_name} ».")
        if grade and allowed is not None and grade not in allowed:
            kind = "un collège" if school_kind == "college" else "un lycée"
            reasons.append(f"Le niveau {GRADE_LABELS[grade]} n'existe pas dans {kind}.")
        ine = normalize_ine(cell(INE)) or None
        if ine and not INE_RE.match(ine):
            reasons.append(f"INE invalide « {cell(INE)} » (11 caractères : 10 chiffres ou lettres puis une lettre).")
        email = cell(EMAIL).lower() or None
        if email and check_email(email):
            reasons.append(f"Adresse e-mail invalide « {cell(EMAIL)} ».")
        key = pupil_key(last, first, birth) if (last and first and birth) else None
        if not reasons:
            if key in seen_keys:
                reasons.append(f"Élève en double dans le fichier (déjà à la ligne {seen_keys[key]}).")
            elif ine and ine in seen_ines:
                reasons.append(f"INE en double dans le fichier (déjà à la ligne {seen_ines[ine]}).")
            elif email and email in seen_emails:
                reasons.append(f"Adresse e-mail en double dans le fichier (déjà à la ligne {seen_emails[email]}).")
        if reasons:
            out.rejected.append(RejectedRow(line=line_no, values=values, reasons=reasons))
            continue
        seen_keys[key] = line_no
        if ine:
            seen_ines[ine] = line_no
        if email:
            seen_emails[email] = line_no
        out.rows.append(PupilRow(line=line_no, key=key, last_name=last, first_name=first, birth_date=birth,
                                 class_name=class_name, grade=grade, ine=ine, email=email))
    if count == 0:
        out.file_errors.append("Le fichier ne contient aucun élève.")
    return out


# --- reconciliation with the pupils already known ------------------------------

UPDATABLE = ("last_name", "first_name", "class_name", "grade", "ine", "email")


@dataclass
class ImportPlan:
    create: list[PupilRow] = field(default_factory=list)
    update: list[tuple[str, PupilRow, dict]] = field(default_factory=list)   # (pupil id, row, {field: new})
    unchanged: list[tuple[str, PupilRow]] = field(default_factory=list)
    conflicts: list[RejectedRow] = field(default_factory=list)


def plan_import(rows: list[PupilRow], existing: list[dict]) -> ImportPlan:
    """Compare parsed rows with the school's pupils. ``existing``: [{"id", "key", "ine", "email",
    "last_name", "first_name", "class_name", "grade"}]. A row matches a pupil by INE first, then by
    natural key. Pupils absent from the file are left alone (a class list is not a full roster).
    Values absent from the file (INE, email) never erase known ones."""
    by_ine = {p["ine"]: p for p in existing if p.get("ine")}
    by_key = {p["key"]: p for p in existing}
    by_email = {p["email"]: p for p in existing if p.get("email")}
    plan = ImportPlan()
    for row in rows:
        pupil = (by_ine.get(row.ine) if row.ine else None) or by_key.get(row.key)
        if row.email and row.email in by_email and by_email[row.email] is not pupil:
            plan.conflicts.append(RejectedRow(row.line, row.to_dict(),
                                              ["Cette adresse e-mail est déjà celle d'un autre élève."]))
            continue
        if pupil is None:
            plan.create.append(row)
            continue
        if row.ine and pupil.get("ine") and pupil["ine"] != row.ine:
            plan.conflicts.append(RejectedRow(row.line, row.to_dict(),
                                              ["Un élève du même nom et de même date de naissance a un autre INE."]))
            continue
        changes = {}
        for f in UPDATABLE:
            new = getattr(row, f)
            if new is None:
                continue
            if new != pupil.get(f):
                changes[f] = new
        if changes:
            plan.update.append((pupil["id"], row, changes))
        else:
            plan.unchanged.append((pupil["id"], row))
    return plan
