"""Parser of the class lists exported by school software (SIECLE, Pronote, ENT...).

Input: the raw bytes of a CSV file. French headers with variants (``Nom``,
``NOM DE FAMILLE``, ``Prénom``, ``Date de naissance``, ``Né(e) le``, ``Classe``,
``Division``, ``Niveau``, ``MEF``, ``INE``, ``Email``/``Courriel``...), ``;``,
``,`` or tab separated, UTF-8 (with or without BOM), UTF-16 with BOM, or
Latin-1/Windows-1252.

Output: valid rows and rejected rows with French reasons. Each pupil has a
stable natural key (``pupil_records.pupil_key``) so that re-importing the same
file matches the same pupils; ``import_plan.plan_import`` compares rows with the
pupils already known and says what to create, update or leave alone.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field

from common.validation import check_email, fold

from .pupil_records import (INE_RE, MAX_AGE, MIN_AGE, PupilRow, RejectedRow, age, clean_name, grade_from_class,
                            normalize_ine, parse_birth_date, parse_grade, pupil_key, split_full_name)
from .roles import GRADE_LABELS, GRADES_BY_SCHOOL_KIND

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 3000

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
        elif not (MIN_AGE <= age(birth, today) <= MAX_AGE):
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
