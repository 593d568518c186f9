"""The national pupil register (SYGNE, read through the Omogen API) and the schools' internship weeks (pure).

- which register levels the platform imports and the grade each maps to (MEFSTAT4 codes);
- a register pupil (``eleve``) and their legal guardians (``responsables``) read from the API's payloads;
- the reconciliation of a school's register pupils with the accounts identity knows (create, update, move,
  unchanged), matched by INE (then, for pupils imported from a CSV without INE, by the natural key);
- the internship weeks a school declares for its 3e pupils, and which of them still restrict applications.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from common import weeks as W
from common.clock import PARIS, to_paris

from .pupil_records import INE_RE, clean_name, normalize_ine, pupil_key
from .roles import QUATRIEME, SECONDE, TROISIEME

# MEFSTAT4 level codes asked of the register, and the platform's grade of each. SEGPA classes (4e and 3e
# SEGPA, sections of the collège) do the same observation internship as their level: 4e SEGPA is
# "quatrieme", 3e SEGPA is "troisieme" (the class name, e.g. "3SEGPA", tells them apart).
MEFSTAT4_GRADES = {
    "2115": QUATRIEME,   # 4EME
    "2116": TROISIEME,   # 3EME
    "2211": SECONDE,     # 2NDE G-T
    "2433": QUATRIEME,   # 4E SEGPA
    "2434": TROISIEME,   # 3E SEGPA
}
MEFSTAT4_CODES = tuple(MEFSTAT4_GRADES)
LEGAL_GUARDIAN_LEVEL = "1"   # codeNiveauResponsabilite: 1 = legal guardian (2: person in charge, 3: contact)
MAX_GUARDIANS = 2            # the agreement prints one or two legal representatives

TRIGGERS = ("request", "nightly")
COUNTS = ("created", "updated", "moved", "unchanged", "errors")


def _s(v, n: int) -> str | None:
    v = clean_name(v if isinstance(v, str) else "")
    return v[:n] or None


@dataclass(frozen=True)
class RegisterPupil:
    ine: str
    last_name: str
    first_name: str
    birth_date: dt.date
    grade: str
    class_name: str
    school_uai: str

    @property
    def key(self) -> str:
        return pupil_key(self.last_name, self.first_name, self.birth_date)


def read_pupil(payload: dict, mefstat4: str, uai: str) -> tuple[RegisterPupil | None, str | None]:
    """A register ``eleve`` (``ine``, ``nom``, ``prenom``, ``dateNaissance``, ``codeUai``, ``niveau``,
    ``classe``/``division``...) of level ``mefstat4`` at ``uai``: (pupil, None) or (None, reason)."""
    if not isinstance(payload, dict):
        return None, "invalid_payload"
    ine = normalize_ine(payload.get("ine") if isinstance(payload.get("ine"), str) else "")
    if not INE_RE.match(ine):
        return None, "invalid_ine"
    level = str(payload.get("niveau") or mefstat4)   # the pupil's own level when the payload tells it
    grade = MEFSTAT4_GRADES.get(level)
    if grade is None:
        return None, "unknown_level"
    last, first = _s(payload.get("nom"), 100), _s(payload.get("prenom"), 100)
    if not last or not first:
        return None, "missing_name"
    try:
        birth = dt.date.fromisoformat(str(payload.get("dateNaissance") or "")[:10])
    except ValueError:
        return None, "invalid_birth_date"
    school = str(payload.get("codeUai") or uai).strip().upper()
    if school != uai:
        return None, "other_school"
    class_name = _s(payload.get("classe") or payload.get("libelleDivision") or payload.get("division"), 40) or ""
    return RegisterPupil(ine, last, first, birth, grade, class_name, uai), None


def _address(addr) -> str | None:
    if not isinstance(addr, dict):
        return None
    lines = [clean_name(str(addr.get(k) or "")) for k in ("adresseLigne1", "adresseLigne2", "adresseLigne3",
                                                          "adresseLigne4")]
    city = " ".join(x for x in (clean_name(str(addr.get("codePostal") or "")),
                                clean_name(str(addr.get("libelleCommune") or ""))) if x)
    text = ", ".join(x for x in (*lines, city) if x)
    return text[:300] or None


def read_guardians(payload) -> list[dict]:
    """The legal guardians among a pupil's ``responsables`` (by ``codeNiveauResponsabilite``), at most two, in
    the register's order: [{"rank", "last_name", "first_name", "relationship", "email", "phone", "address"}]."""
    if not isinstance(payload, list):
        return []
    legal = [r for r in payload if isinstance(r, dict) and str(r.get("codeNiveauResponsabilite") or "")
             == LEGAL_GUARDIAN_LEVEL and _s(r.get("nomFamille") or r.get("nom"), 100)]
    out = []
    for i, r in enumerate(legal[:MAX_GUARDIANS], 1):
        out.append({"rank": i, "last_name": _s(r.get("nomFamille") or r.get("nom"), 100),
                    "first_name": _s(r.get("prenom"), 100),
                    "relationship": _s(r.get("libelleLienEleveResponsable") or r.get("codeLienEleveResponsable"), 60),
                    "email": _s(r.get("email"), 254),
                    "phone": _s(r.get("telephonePortable") or r.get("telephonePersonnel"), 30),
                    "address": _address(r.get("adrResidenceResp"))})
    return out


GUARDIAN_FIELDS = ("rank", "last_name", "first_name", "relationship", "email", "phone", "address")


def same_guardians(known: list[dict], new: list[dict]) -> bool:
    def norm(rows):
        return sorted(tuple(r.get(f) for f in GUARDIAN_FIELDS) for r in rows)
    return norm(known) == norm(new)


NIGHTLY_HOUR = 2   # connected schools are imported every night after 02:00, Paris time


def nightly_cutoff(now: dt.datetime) -> dt.datetime:
    """The latest 02:00 (Paris) at or before ``now``, in UTC: a connected school with no import started since
    then is due for its nightly import."""
    local = to_paris(now)
    cut = local.replace(hour=NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    if cut > local:
        cut = (local - dt.timedelta(days=1)).replace(hour=NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    return dt.datetime.combine(cut.date(), cut.time(), tzinfo=PARIS).astimezone(dt.timezone.utc)


# -- reconciliation ---------------------------------------------------------------------------------------

PUPIL_FIELDS = ("last_name", "first_name", "birth_date", "grade", "class_name", "ine")


@dataclass
class RegisterPlan:
    create: list[RegisterPupil] = field(default_factory=list)
    update: list[tuple[str, RegisterPupil, dict]] = field(default_factory=list)   # (pupil id, pupil, changes)
    move: list[tuple[str, RegisterPupil, str]] = field(default_factory=list)      # (pupil id, pupil, old uai)
    unchanged: list[tuple[str, RegisterPupil]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)                              # {"ine", "reason"}


def plan_register_import(pupils: list[RegisterPupil], known: list[dict]) -> RegisterPlan:
    """``known``: identity's pupils that may be these (same INE anywhere, or same natural key at this school):
    [{"id", "ine", "key", "school_uai", "last_name", "first_name", "birth_date", "grade", "class_name"}].
    A pupil known at another school moves here; one known here is updated if the register says otherwise.
    Pupils of the school absent from the register are left alone (their account stays)."""
    by_ine = {k["ine"]: k for k in known if k.get("ine")}
    keys_here = {(k["school_uai"], k.get("key")): k for k in known}
    plan = RegisterPlan()
    seen: set[str] = set()
    for p in pupils:
        if p.ine in seen:
            plan.errors.append({"ine": p.ine, "reason": "duplicate_ine"})
            continue
        seen.add(p.ine)
        k = by_ine.get(p.ine)
        if k is None:
            k = next((x for x in known if x["school_uai"] == p.school_uai and x.get("key") == p.key
                      and not x.get("ine")), None)
        twin = keys_here.get((p.school_uai, p.key))
        if twin is not None and twin is not k:   # another pupil of the school, same names and birth date
            plan.errors.append({"ine": p.ine, "reason": "same_pupil_other_ine"})
        elif k is None:
            plan.create.append(p)
        elif k["school_uai"] != p.school_uai:
            plan.move.append((k["id"], p, k["school_uai"]))
        else:
            changes = {f: getattr(p, f) for f in PUPIL_FIELDS if getattr(p, f) != k.get(f)}
            if changes:
                plan.update.append((k["id"], p, changes))
            else:
                plan.unchanged.append((k["id"], p))
    return plan


# -- internship weeks of 3e -------------------------------------------------------------------------------

MAX_DECLARED_WEEKS = 20


MAX_YEARS_AHEAD = 2


def check_declared_weeks(weeks, now: dt.datetime | dt.date) -> tuple[list[str], list[str]]:
    """(the weeks, sorted and unique; French messages). A school declares 0 to 20 ISO weeks ("YYYY-Www"), none
    more than two years ahead (past ones are kept and restrict nothing)."""
    if not isinstance(weeks, list):
        return [], ["Indiquez une liste de semaines (format AAAA-Sss, par exemple 2027-W05)."]
    bad = [w for w in weeks if not W.is_week(w)]
    if bad:
        return [], [f"Semaine invalide : {str(bad[0])[:20]} (format attendu : AAAA-Sss, par exemple 2027-W05)."]
    today = now.date() if isinstance(now, dt.datetime) else now
    far = [w for w in weeks if W.week_monday(w) > today + dt.timedelta(days=366 * MAX_YEARS_AHEAD)]
    if far:
        return [], [f"Semaine trop lointaine : {far[0]} (deux ans au plus)."]
    out = sorted(set(weeks))
    if len(out) > MAX_DECLARED_WEEKS:
        return [], [f"Indiquez au plus {MAX_DECLARED_WEEKS} semaines."]
    return out, []


def restricting_weeks(declared: list[str], now: dt.datetime | dt.date) -> list[str]:
    """The declared weeks that still restrict the school's 3e pupils: those not past. A school whose declared
    weeks are all past (last year's) restricts nothing, like one that declared none."""
    return [w for w in sorted(declared) if not W.week_is_past(w, now)]


def week_counts(rows: list[tuple[str, str]], now) -> list[dict]:
    """[(uai, week)] of schools near a place -> [{"week", "schools"}] of the weeks not past, in order."""
    counts: dict[str, set] = {}
    for uai, week in rows:
        if not W.week_is_past(week, now):
            counts.setdefault(week, set()).add(uai)
    return [{"week": w, "schools": len(counts[w])} for w in sorted(counts)]
