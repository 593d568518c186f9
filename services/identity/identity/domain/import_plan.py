"""Reconciliation of an imported class list with the school's pupils already known."""
from __future__ import annotations

from dataclasses import dataclass, field

from .pupil_records import PupilRow, RejectedRow

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
