"""Working hours of the pupil at the host, and the legal limits for minors.

A schedule is a JSON object::

    {"mode": "same",                      # same hours every worked day
     "weekdays": ["monday", ..., "friday"],
     "same": {"start": "09:00", "end": "16:30", "break_start": "12:00", "break_end": "13:00"}}

    {"mode": "per_day",
     "days": {"monday": {"start": ..., "end": ..., "break_start": ..., "break_end": ...},
              "tuesday": null, ...}}

Rules (code du travail, young workers, as applied to observation internships):
at least 4 complete days; at most 7 h of presence a day (breaks excluded) and
35 h a week; no uninterrupted period above 4 h 30 and a break of at least 30
consecutive minutes once the day exceeds 4 h 30; no work between 20:00 and 6:00 (the legal window and the
HH:MM syntax are the platform's: ``common.daytime``, shared with offers' hours).
"""
from __future__ import annotations

from common.daytime import fmt_minutes, parse_time, within_legal_day

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
WEEKDAY_LABELS = {"monday": "Lundi", "tuesday": "Mardi", "wednesday": "Mercredi", "thursday": "Jeudi",
                  "friday": "Vendredi", "saturday": "Samedi"}
DEFAULT_WEEKDAYS = WEEKDAYS[:5]

MIN_DAYS = 4
MAX_DAY_MINUTES = 7 * 60
MAX_WEEK_MINUTES = 35 * 60
MAX_STRETCH_MINUTES = 4 * 60 + 30
MIN_BREAK_MINUTES = 30


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def check_day(day, path: str, errors, *, required: bool = True) -> int | None:
    """Validate one day's slot; add errors under ``path``; return worked minutes, or None.

    A day is complete when it has a start and an end. ``required=False`` lets an
    empty day pass (per-day schedules may leave days off)."""
    if day is None or (isinstance(day, dict) and all(_blank(day.get(k)) for k in
                                                     ("start", "end", "break_start", "break_end"))):
        if required:
            errors.add(path, "Indiquez les horaires de la journée.")
        return None
    if not isinstance(day, dict):
        errors.add(path, "Horaires invalides.")
        return None
    unknown = set(day) - {"start", "end", "break_start", "break_end"}
    for k in sorted(unknown):
        errors.add(f"{path}.{k}", "Champ inconnu.")
    ok = True
    times = {}
    for key, label in (("start", "l'heure d'arrivée"), ("end", "l'heure de départ")):
        v = day.get(key)
        if _blank(v):
            errors.add(f"{path}.{key}", f"Indiquez {label}.")
            ok = False
        elif parse_time(v) is None:
            errors.add(f"{path}.{key}", "Heure invalide (format HH:MM, par exemple 09:00).")
            ok = False
        else:
            times[key] = parse_time(v)
    has_break = not (_blank(day.get("break_start")) and _blank(day.get("break_end")))
    if has_break:
        for key in ("break_start", "break_end"):
            v = day.get(key)
            if _blank(v):
                errors.add(f"{path}.{key}", "Indiquez le début et la fin de la pause.")
                ok = False
            elif parse_time(v) is None:
                errors.add(f"{path}.{key}", "Heure invalide (format HH:MM, par exemple 12:00).")
                ok = False
            else:
                times[key] = parse_time(v)
    if not ok:
        return None
    start, end = times["start"], times["end"]
    if end <= start:
        errors.add(f"{path}.end", "L'heure de départ doit être postérieure à l'heure d'arrivée.")
        return None
    if not (within_legal_day(start) and within_legal_day(end)):
        errors.add(path, "Le travail d'un élève mineur est interdit entre 20 h et 6 h.")
    stretches = [end - start]
    pause = 0
    if has_break:
        bs, be = times["break_start"], times["break_end"]
        if not (start < bs < be < end):
            errors.add(f"{path}.break_start", "La pause doit se situer entre l'heure d'arrivée et l'heure de départ.")
            return None
        pause = be - bs
        stretches = [bs - start, end - be]
    worked = end - start - pause
    if worked > MAX_DAY_MINUTES:
        errors.add(path, f"Un élève mineur ne peut pas être présent plus de 7 h par jour "
                         f"(pauses non comprises) : {fmt_minutes(worked)} prévues.")
    if worked > MAX_STRETCH_MINUTES and pause < MIN_BREAK_MINUTES:
        errors.add(path, "Au-delà de 4 h 30 de présence, une pause d'au moins 30 minutes consécutives est obligatoire.")
    elif max(stretches) > MAX_STRETCH_MINUTES:
        errors.add(path, "Aucune période de présence ininterrompue ne peut dépasser 4 h 30.")
    return worked


def check_schedule(schedule, errors, path: str = "hours") -> dict | None:
    """Validate a whole schedule. Returns a summary {days: {weekday: minutes}, week_minutes} or None."""
    if not isinstance(schedule, dict):
        errors.add(path, "Indiquez les horaires de l'élève.")
        return None
    mode = schedule.get("mode")
    unknown = set(schedule) - {"mode", "weekdays", "same", "days"}
    for k in sorted(unknown):
        errors.add(f"{path}.{k}", "Champ inconnu.")
    days: dict[str, int] = {}
    before = sum(len(v) for v in errors.errors.values())
    if mode == "same":
        weekdays = schedule.get("weekdays") or list(DEFAULT_WEEKDAYS)
        if not isinstance(weekdays, list) or any(d not in WEEKDAYS for d in weekdays) \
                or len(set(weekdays)) != len(weekdays):
            errors.add(f"{path}.weekdays", "Jours invalides : choisissez parmi lundi à samedi, sans doublon.")
            return None
        minutes = check_day(schedule.get("same"), f"{path}.same", errors)
        if minutes is None:
            return None
        days = {d: minutes for d in WEEKDAYS if d in weekdays}
    elif mode == "per_day":
        per_day = schedule.get("days")
        if not isinstance(per_day, dict):
            errors.add(f"{path}.days", "Indiquez les horaires de chaque jour.")
            return None
        for k in sorted(set(per_day) - set(WEEKDAYS)):
            errors.add(f"{path}.days.{k}", "Jour inconnu.")
        for d in WEEKDAYS:
            minutes = check_day(per_day.get(d), f"{path}.days.{d}", errors, required=False)
            if minutes is not None:
                days[d] = minutes
    else:
        errors.add(f"{path}.mode", "Choisissez des horaires identiques chaque jour ou jour par jour.")
        return None
    if len(days) < MIN_DAYS and sum(len(v) for v in errors.errors.values()) == before:
        errors.add(path, f"Le stage doit comporter au moins {MIN_DAYS} journées complètes "
                         f"({len(days)} renseignée(s)).")
    week = sum(days.values())
    if week > MAX_WEEK_MINUTES:
        errors.add(path, f"Un élève mineur ne peut pas être présent plus de 35 h par semaine : "
                         f"{fmt_minutes(week)} prévues.")
    return {"days": days, "week_minutes": week}


def schedule_rows(schedule) -> list[dict]:
    """Rows for the hours table of the pedagogical annex (French labels), tolerant of partial data."""
    rows = []
    if not isinstance(schedule, dict):
        return rows
    if schedule.get("mode") == "same":
        weekdays = schedule.get("weekdays") or list(DEFAULT_WEEKDAYS)
        slot = schedule.get("same") or {}
        per_day = {d: (slot if d in weekdays else None) for d in WEEKDAYS}
    else:
        per_day = {d: (schedule.get("days") or {}).get(d) for d in WEEKDAYS}
    for d in WEEKDAYS:
        slot = per_day.get(d)
        if not slot or _blank(slot.get("start")):
            if d == "saturday":
                continue
            rows.append({"day": WEEKDAY_LABELS[d], "start": "—", "end": "—", "pause": "—", "total": "Repos"})
            continue
        s, e = parse_time(slot.get("start")), parse_time(slot.get("end"))
        bs, be = parse_time(slot.get("break_start")), parse_time(slot.get("break_end"))
        pause = (be - bs) if (bs is not None and be is not None) else 0
        total = (e - s - pause) if (s is not None and e is not None) else None
        rows.append({"day": WEEKDAY_LABELS[d], "start": slot.get("start"), "end": slot.get("end"),
                     "pause": f"{slot.get('break_start')} – {slot.get('break_end')}" if pause else "—",
                     "total": fmt_minutes(total) if total is not None else "—"})
    return rows
