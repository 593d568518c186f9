"""Who fills what, and the checks of each party's fields (messages in French).

Fields are grouped by top-level key; each key belongs to exactly one party.
``validate_party(party, values, now, complete=...)``: with ``complete=False``
(draft save) only the values given are checked; with ``complete=True`` every
required field must be there and every error is listed at once.
"""
from __future__ import annotations

import datetime as dt
import re

from common.clock import paris_date
from common.errors import FieldErrors
from common.validation import check_email, check_text

from .hours import check_schedule

EMPLOYER = "employer"
SCHOOL = "school"
PARTIES = (EMPLOYER, SCHOOL)

# top-level key -> French label (for messages)
EMPLOYER_FIELDS = {
    "representative": "représentant de l'organisme d'accueil",
    "tutor": "tuteur",
    "activities": "activités prévues",
    "hours": "horaires",
    "lunch_break": "pause déjeuner",
}
SCHOOL_FIELDS = {
    "school_representative": "représentant de l'établissement",
    "pupil_address": "adresse de l'élève",
    "pupil_phone": "téléphone de l'élève",
    "referent_teacher": "professeur référent",
    "legal_representatives": "représentants légaux",
    "pai": "projet d'accueil individualisé (PAI)",
    "emergency_kit_by": "trousse d'urgence",
    "board_deliberation_date": "date de délibération du conseil d'administration",
    "school_address": "adresse de l'établissement",
}
OWNED = {EMPLOYER: EMPLOYER_FIELDS, SCHOOL: SCHOOL_FIELDS}
EMERGENCY_KIT_BY = {"pupil": "l'élève", "legal_representative": "le représentant légal", "school": "l'établissement"}

_POSTAL_CODE = re.compile(r"^\d{5}$")
_PHONE_FR = re.compile(r"^(?:(?:\+|00)33|0)[1-9]\d{8}$")
_PHONE_OVERSEAS = re.compile(r"^(?:\+|00)(?:262|590|594|596|508|687|689|681)\d{6,9}$")


def normalize_any_phone(value) -> str | None:
    """A French landline or mobile (or overseas) number in E.164, or None."""
    if not isinstance(value, str):
        return None
    compact = re.sub(r"[\s.\-()]", "", value)
    if _PHONE_FR.match(compact):
        digits = compact[-9:]
        return "+33" + digits
    if _PHONE_OVERSEAS.match(compact):
        return "+" + compact.lstrip("+").removeprefix("00")
    return None


def check_phone(value) -> str | None:
    if normalize_any_phone(value) is None:
        return "Numéro de téléphone invalide (exemple : 01 23 45 67 89 ou 06 12 34 56 78)."
    return None


def owner_of(field: str) -> str | None:
    for party, fields in OWNED.items():
        if field in fields:
            return party
    return None


def check_ownership(party: str, changes: dict) -> tuple[dict, dict]:
    """Split the keys a party may not write: (foreign {field: msg}, unknown {field: msg})."""
    foreign, unknown = {}, {}
    for key in changes:
        owner = owner_of(key)
        if owner is None:
            unknown[key] = ["Champ inconnu."]
        elif owner != party:
            who = "l'établissement scolaire" if owner == SCHOOL else "l'organisme d'accueil"
            foreign[key] = [f"Ce champ est rempli par {who} : vous ne pouvez pas le modifier."]
    return foreign, unknown


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or v == {} or v == []


class _Checker:
    def __init__(self, values: dict, complete: bool):
        self.values = values
        self.complete = complete
        self.errors = FieldErrors()

    def wanted(self, key: str) -> bool:
        """Check this top-level key? always on completion; on a draft only when given."""
        return self.complete or key in self.values

    def text(self, path: str, value, *, min_len=0, max_len=None, required=True):
        if _blank(value) and not self.complete:
            return
        msg = check_text(value, min_len=min_len, max_len=max_len, required=required)
        if msg:
            self.errors.add(path, msg)

    def email(self, path, value):
        if _blank(value):
            if self.complete:
                self.errors.add(path, "Ce champ est obligatoire.")
            return
        msg = check_email(value)
        if msg:
            self.errors.add(path, msg)

    def phone(self, path, value):
        if _blank(value):
            if self.complete:
                self.errors.add(path, "Ce champ est obligatoire.")
            return
        msg = check_phone(value)
        if msg:
            self.errors.add(path, msg)

    def obj(self, key) -> dict | None:
        v = self.values.get(key)
        if v is None:
            if self.complete:
                self.errors.add(key, "Ce champ est obligatoire.")
            return None
        if not isinstance(v, dict):
            self.errors.add(key, "Format invalide.")
            return None
        return v

    def person(self, key: str, v: dict, spec: dict, prefix: str | None = None):
        prefix = prefix or key
        for k in sorted(set(v) - set(spec)):
            self.errors.add(f"{prefix}.{k}", "Champ inconnu.")
        for sub, kind in spec.items():
            path = f"{prefix}.{sub}"
            val = v.get(sub)
            if kind == "email":
                self.email(path, val)
            elif kind == "phone":
                self.phone(path, val)
            else:
                lo, hi = kind
                self.text(path, val, min_len=lo, max_len=hi)


NAME = (5, 100)
FUNCTION = (3, 150)
PERSON_NAME = (3, 100)


def _check_employer(c: _Checker):
    if c.wanted("representative") and (v := c.obj("representative")) is not None:
        c.person("representative", v, {"name": NAME, "function": FUNCTION})
    if c.wanted("tutor") and (v := c.obj("tutor")) is not None:
        c.person("tutor", v, {"name": PERSON_NAME, "function": FUNCTION, "email": "email", "phone": "phone"})
    if c.wanted("activities"):
        c.text("activities", c.values.get("activities"), min_len=10, max_len=1500)
    if c.wanted("hours"):
        if _blank(c.values.get("hours")):
            if c.complete:
                c.errors.add("hours", "Indiquez les horaires de l'élève.")
        else:
            check_schedule(c.values.get("hours"), c.errors)
    if c.wanted("lunch_break"):
        c.text("lunch_break", c.values.get("lunch_break"), min_len=3, max_len=500)


def _check_school(c: _Checker, now: dt.datetime):
    if c.wanted("school_representative") and (v := c.obj("school_representative")) is not None:
        c.person("school_representative", v,
                 {"name": NAME, "function": FUNCTION, "email": "email", "phone": "phone"})
    if c.wanted("pupil_address"):
        c.text("pupil_address", c.values.get("pupil_address"), min_len=5, max_len=170)
    if c.wanted("pupil_phone"):
        c.phone("pupil_phone", c.values.get("pupil_phone"))
    if c.wanted("referent_teacher") and (v := c.obj("referent_teacher")) is not None:
        c.person("referent_teacher", v, {"name": PERSON_NAME, "email": "email", "phone": "phone"})
    if c.wanted("legal_representatives"):
        reps = c.values.get("legal_representatives")
        if _blank(reps):
            if c.complete:
                c.errors.add("legal_representatives", "Indiquez au moins un représentant légal.")
        elif not isinstance(reps, list):
            c.errors.add("legal_representatives", "Format invalide.")
        elif len(reps) > 2:
            c.errors.add("legal_representatives", "Indiquez un ou deux représentants légaux, pas davantage.")
        else:
            for i, rep in enumerate(reps):
                if not isinstance(rep, dict):
                    c.errors.add(f"legal_representatives.{i}", "Format invalide.")
                    continue
                complete, c.complete = c.complete, True  # a listed representative is always complete
                c.person("legal_representatives", rep, {"name": PERSON_NAME, "email": "email", "phone": "phone"},
                         prefix=f"legal_representatives.{i}")
                c.complete = complete
            emails = [str(r.get("email", "")).strip().lower() for r in reps if isinstance(r, dict)]
            if len(reps) == 2 and emails[0] and emails[0] == emails[1]:
                c.errors.add("legal_representatives.1.email",
                             "Les deux représentants légaux doivent avoir des adresses e-mail différentes.")
    # a correction of the directory's address, printed instead of it (optional: see domain.printed)
    if "school_address" in c.values and c.values.get("school_address") is not None:
        v = c.values["school_address"]
        if not isinstance(v, dict):
            c.errors.add("school_address", "Format invalide.")
        else:
            for k in sorted(set(v) - {"street", "complement", "postal_code", "city"}):
                c.errors.add(f"school_address.{k}", "Champ inconnu.")
            for sub, lo, hi in (("street", 3, 200), ("city", 2, 100)):
                msg = check_text(v.get(sub), min_len=lo, max_len=hi)
                if msg:
                    c.errors.add(f"school_address.{sub}", msg)
            msg = check_text(v.get("complement"), max_len=200, required=False)
            if msg:
                c.errors.add("school_address.complement", msg)
            pc = v.get("postal_code")
            if _blank(pc):
                c.errors.add("school_address.postal_code", "Ce champ est obligatoire.")
            elif not isinstance(pc, str) or not _POSTAL_CODE.match(pc.strip()):
                c.errors.add("school_address.postal_code", "Code postal invalide (5 chiffres).")
    pai = c.values.get("pai")
    if c.wanted("pai"):
        if pai is None:
            if c.complete:
                c.errors.add("pai", "Indiquez si l'élève bénéficie d'un projet d'accueil individualisé (PAI).")
        elif not isinstance(pai, bool):
            c.errors.add("pai", "Répondez par oui ou par non.")
    if c.wanted("emergency_kit_by") or (c.complete and pai is True):
        kit = c.values.get("emergency_kit_by")
        if kit is None:
            if pai is True and c.complete:
                c.errors.add("emergency_kit_by", "Avec un PAI, indiquez qui apporte la trousse d'urgence.")
        elif kit not in EMERGENCY_KIT_BY:
            c.errors.add("emergency_kit_by", "Choix invalide : l'élève, le représentant légal ou l'établissement.")
    if c.wanted("board_deliberation_date"):
        v = c.values.get("board_deliberation_date")
        if _blank(v):
            if c.complete:
                c.errors.add("board_deliberation_date", "Ce champ est obligatoire.")
        else:
            try:
                d = dt.date.fromisoformat(v) if isinstance(v, str) else None
            except ValueError:
                d = None
            if d is None:
                c.errors.add("board_deliberation_date", "Date invalide (format AAAA-MM-JJ).")
            elif d > paris_date(now):
                c.errors.add("board_deliberation_date", "La délibération ne peut pas être dans le futur.")
            elif d < paris_date(now) - dt.timedelta(days=366 * 5):
                c.errors.add("board_deliberation_date", "Cette date de délibération est trop ancienne.")


def validate_party(party: str, values: dict, now: dt.datetime, *, complete: bool) -> dict:
    """Return {field path: [French messages]} (empty when valid)."""
    c = _Checker(values or {}, complete)
    if party == EMPLOYER:
        _check_employer(c)
    elif party == SCHOOL:
        _check_school(c, now)
    else:
        raise ValueError(party)
    return c.errors.errors


def normalize(values: dict) -> dict:
    """Strip strings recursively (what is stored and hashed)."""
    def norm(v):
        if isinstance(v, str):
            return v.strip()
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    return norm(values)
