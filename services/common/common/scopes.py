"""Statistics scopes: which part of the country a figure covers, and which scope a caller may read.

One definition for every service that computes figures (applications, conventions, ...). A scope is a kind
and a code, always a code, never a name:

| kind | code | example |
| --- | --- | --- |
| ``school`` | the school's UAI | ``0130001A`` |
| ``departement`` | the département code (INSEE) | ``13``, ``2A``, ``971`` |
| ``academie`` | the académie code (ministry) | ``02`` (Aix-Marseille) |
| ``region`` | the région code (INSEE) | ``93`` (Provence-Alpes-Côte d'Azur) |
| ``national`` | none | |

A record that figures count (an application, an agreement) stores its school's location as codes
(:func:`location`): ``school_uai``, ``departement_code``, ``academie_code``, ``region_code``. A scope is then a
filter ``column == code`` on one of them (:func:`Scope.filters`).

Who reads what (:func:`of_actor`):
- school staff: their school;
- a statistician: the scope of their account (token claims ``stat_scope`` and ``stat_scope_code``); a token
  without them (issued before they existed) reads its ``academie`` claim if any, else nothing (403): never the
  national figures by default;
- an admin: national;
- anyone of them may narrow their figures to a smaller scope inside theirs (``?departement=13``,
  ``?school_uai=...``); a scope outside theirs is refused (403).

The département -> académie -> région table comes from ``data/reference/departements.csv`` (read once, on first
use; importing this module reads nothing).
"""
from __future__ import annotations

import dataclasses
import functools

from .errors import Forbidden, ValidationError

SCHOOL = "school"
DEPARTEMENT = "departement"
ACADEMIE = "academie"
REGION = "region"
NATIONAL = "national"
KINDS = (SCHOOL, DEPARTEMENT, ACADEMIE, REGION, NATIONAL)
GEOGRAPHIC = (DEPARTEMENT, ACADEMIE, REGION)   # the kinds a statistician account can have, besides national

# The column of a record that holds each kind's code (the same name in every service).
COLUMNS = {SCHOOL: "school_uai", DEPARTEMENT: "departement_code", ACADEMIE: "academie_code",
           REGION: "region_code"}
# The query parameter that narrows figures to a kind.
PARAMS = {"school_uai": SCHOOL, "departement": DEPARTEMENT, "academie": ACADEMIE, "region": REGION}

LABELS = {SCHOOL: "établissement", DEPARTEMENT: "département", ACADEMIE: "académie", REGION: "région",
          NATIONAL: "national"}


@functools.lru_cache(maxsize=1)
def _departements() -> dict[str, dict]:
    from .refdata import read_csv

    return {r["dep_code"]: {DEPARTEMENT: r["dep_code"], ACADEMIE: r.get("academie_code") or None,
                            REGION: r.get("region_code") or None,
                            "academie_name": r.get("academie_name") or None}
            for r in read_csv("departements.csv")}


def departement_table(table: dict[str, dict] | None = None) -> dict[str, dict]:
    """dep_code -> {"departement", "academie", "region", "academie_name"} (the reference table unless given)."""
    return table if table is not None else _departements()


def academie_codes(table: dict[str, dict] | None = None) -> dict[str, str]:
    """Académie name -> code (also code -> code), to convert records that stored a name."""
    out: dict[str, str] = {}
    for d in departement_table(table).values():
        if d[ACADEMIE]:
            out[d[ACADEMIE]] = d[ACADEMIE]
            if d["academie_name"]:
                out[d["academie_name"]] = d[ACADEMIE]
    return out


def location(school: dict | None, table: dict[str, dict] | None = None) -> dict:
    """The codes a record stores for its school: {"school_uai", "departement_code", "academie_code",
    "region_code"} from a school of the directory ({"uai", "dep_code", "academie_code"}). Unknown parts are None."""
    school = school or {}
    dep = school.get("dep_code") or None
    ref = departement_table(table).get(dep) if dep else None
    return {"school_uai": school.get("uai") or None,
            "departement_code": dep,
            "academie_code": school.get("academie_code") or (ref or {}).get(ACADEMIE),
            "region_code": (ref or {}).get(REGION)}


@dataclasses.dataclass(frozen=True)
class Scope:
    kind: str
    code: str | None = None
    # narrower scopes asked for inside this one (kind, code), all applied
    narrowed: tuple[tuple[str, str], ...] = ()

    def filters(self) -> list[tuple[str, str]]:
        """(column, code) pairs a record must match (none for national)."""
        own = [] if self.kind == NATIONAL else [(COLUMNS[self.kind], self.code)]
        return own + [(COLUMNS[k], c) for k, c in self.narrowed]

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "code": self.code}
        for k, c in self.narrowed:
            out[k] = c
        return out


def _contains(kind: str, code: str | None, sub_kind: str, sub_code: str, table: dict) -> bool:
    """Whether the geographic scope (sub_kind, sub_code) lies inside (kind, code)."""
    if kind == NATIONAL:
        return True
    if kind == SCHOOL:
        return sub_kind == SCHOOL and sub_code == code
    if sub_kind == SCHOOL:
        return True            # checked by the filters: a school elsewhere simply matches nothing
    if sub_kind == kind:
        return sub_code == code
    # every département of the asked scope lies in the actor's (a département in its académie, an académie in
    # its région, the région Corse in the académie of Corse)
    deps = [d for d in table.values() if d[sub_kind] == sub_code]
    return bool(deps) and all(d[kind] == code for d in deps)


def own_scope(actor: dict | None) -> Scope:
    """The widest scope ``actor`` may read (403 if none)."""
    actor = actor or {}
    role = actor.get("role")
    if role == "admin":
        return Scope(NATIONAL)
    if role == "school_staff":
        if not actor.get("school_uai"):
            raise Forbidden("Votre compte n'est rattaché à aucun établissement.")
        return Scope(SCHOOL, actor["school_uai"])
    if role == "statistician":
        kind, code = actor.get("stat_scope"), actor.get("stat_scope_code")
        if kind is None and actor.get("academie"):   # a token issued before the scope claims
            kind, code = ACADEMIE, actor["academie"]
        if kind == NATIONAL:
            return Scope(NATIONAL)
        if kind in GEOGRAPHIC and code:
            return Scope(kind, str(code))
        raise Forbidden("Votre compte de statisticien n'a pas de périmètre : reconnectez-vous ou contactez "
                        "un administrateur.")
    raise Forbidden("Vous n'avez pas accès à ces statistiques.")


def of_actor(actor: dict | None, requested: dict | None = None, table: dict[str, dict] | None = None) -> Scope:
    """The scope of the figures ``actor`` reads, narrowed by ``requested`` ({"departement": "13", ...}, keys of
    PARAMS; empty values ignored). A narrowing outside the actor's own scope is refused (403)."""
    scope = own_scope(actor)
    asked = [(PARAMS[k], str(v).strip()) for k, v in (requested or {}).items()
             if k in PARAMS and v not in (None, "")]
    if not asked:
        return scope
    tab = departement_table(table)
    errors = {}
    for param, v in (requested or {}).items():
        kind = PARAMS.get(param)
        if kind in GEOGRAPHIC and v not in (None, "") and not any(d[kind] == str(v).strip() for d in tab.values()):
            errors[param] = [f"Code de {LABELS[kind]} inconnu."]
    if errors:
        raise ValidationError(errors=errors)
    for kind, code in asked:
        if not _contains(scope.kind, scope.code, kind, code, tab):
            raise Forbidden(f"Vous n'avez accès qu'aux statistiques de votre périmètre "
                            f"({LABELS[scope.kind]}{' ' + scope.code if scope.code else ''}).")
    narrowed = tuple((k, c) for k, c in asked if (k, c) != (scope.kind, scope.code))
    return dataclasses.replace(scope, narrowed=narrowed)
