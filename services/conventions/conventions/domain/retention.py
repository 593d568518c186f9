"""Personal data on agreements: what an anonymised person's agreements keep, when a deletion is held, and
when signed agreements are purged (docs/privacy.md). Pure: ``today`` / ``now`` are given.

- An agreement signed by all is a legal document: it is kept whole (names, signatures, the sealed PDF) for
  SIGNED_RETENTION_YEARS after the end of the internship, then purged (``purge_due``), whoever asked.
- Any other agreement (in progress, cancelled) of an anonymised person has that person's identifying fields
  replaced (``erase_party``); identifiers, dates, weeks and states stay (statistics).
- A deletion request is held while an agreement of the person is in progress: not cancelled, and either not
  signed by all or its internship not finished (``deletion_held_until``).
"""
from __future__ import annotations

import copy
import datetime as dt

from common.weeks import week_friday

from . import states as S

SIGNED_RETENTION_YEARS = 5     # civil limitation period (Code civil, art. 2224) after the internship's end
ANONYMOUS = "Anonyme"
PUPIL, EMPLOYER, OTHER = "pupil", "employer", "other"
PUPIL_SIGNATURE_ROLES = ("pupil", "legal_representative")   # the pupil's side of the signatures
# the fields of each side that identify a person (everything else is about the internship)
PUPIL_SCHOOL_FIELDS = ("pupil_address", "pupil_phone", "legal_representatives", "pai")
EMPLOYER_FIELDS = ("representative", "tutor")
SCHOOL_PEOPLE_FIELDS = ("school_representative", "referent_teacher")   # purged with the agreement


def last_day(weeks) -> dt.date | None:
    """The last working day of the internship (the Friday of its last week), None without weeks."""
    days = []
    for w in weeks or []:
        try:
            days.append(week_friday(w))
        except (TypeError, ValueError):
            continue
    return max(days) if days else None


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:   # 29 February
        return d.replace(year=d.year + years, day=28)


def is_signed(state: str) -> bool:
    return state == S.SIGNED_BY_ALL


def in_progress(state: str, weeks, today: dt.date) -> bool:
    """Holds a deletion: not cancelled, and not signed by all or its internship not over."""
    if state == S.CANCELLED:
        return False
    end = last_day(weeks)
    if not is_signed(state):
        return end is None or today <= end
    return end is not None and today <= end


def deletion_held_until(agreements: list[dict], today: dt.date) -> tuple[bool, dt.date | None]:
    """(held, first day the deletion will be possible) for a person's agreements ({state, weeks});
    None as date when an agreement in progress has no weeks (the date cannot be told)."""
    holding = [a for a in agreements if in_progress(a["state"], a.get("weeks"), today)]
    if not holding:
        return False, None
    ends = [last_day(a.get("weeks")) for a in holding]
    if any(e is None for e in ends):
        return True, None
    return True, max(ends) + dt.timedelta(days=1)


def purge_after(weeks, signed_by_all_at: dt.datetime | None) -> dt.date | None:
    """The day a signed agreement's retention ends (SIGNED_RETENTION_YEARS after the internship's last day,
    or after its signature when it has no weeks)."""
    end = last_day(weeks) or (signed_by_all_at.date() if signed_by_all_at else None)
    return _add_years(end, SIGNED_RETENTION_YEARS) if end else None


def purge_due(state: str, weeks, signed_by_all_at: dt.datetime | None, today: dt.date) -> bool:
    until = purge_after(weeks, signed_by_all_at)
    return is_signed(state) and until is not None and today >= until


def side_of(conv, user_id: str) -> str:
    if conv.pupil_user_id == user_id:
        return PUPIL
    if conv.employer_user_id == user_id:
        return EMPLOYER
    return OTHER


def _scrub(content: dict, side: str, user_id: str) -> dict:
    """``content``: {prefill, employer, school} (the live fields or the frozen copy) without the side's
    identifying fields."""
    out = copy.deepcopy(content or {})
    prefill, employer, school = out.get("prefill") or {}, out.get("employer") or {}, out.get("school") or {}
    if side == PUPIL:
        pupil = prefill.get("pupil") or {}
        pupil.update(first_name=ANONYMOUS, last_name=ANONYMOUS, birth_date=None)
        for key in PUPIL_SCHOOL_FIELDS:
            school.pop(key, None)
    elif side == EMPLOYER:
        for key in EMPLOYER_FIELDS:
            employer.pop(key, None)
    school_prefill = prefill.get("school") or {}
    if school_prefill.get("head_user_id") == user_id:
        school_prefill["head_name"] = ANONYMOUS
    return out


def erase_party(conv, user_id: str) -> bool:
    """Replace what identifies ``user_id`` on an agreement not signed by all (in place); False (nothing changed)
    for an agreement signed by all: it is kept whole until ``purge_due``."""
    if is_signed(conv.state):
        return False
    side = side_of(conv, user_id)
    live = _scrub({"prefill": conv.prefill, "employer": conv.employer, "school": conv.school}, side, user_id)
    conv.prefill, conv.employer, conv.school = live["prefill"], live["employer"], live["school"]
    if conv.frozen:
        conv.frozen = {**conv.frozen, **_scrub(conv.frozen, side, user_id)}
    return True


def signature_roles_of(side: str) -> tuple[str, ...]:
    """Signature roles whose signer names and traces go with the side (beyond the person's own signatures)."""
    return PUPIL_SIGNATURE_ROLES if side == PUPIL else ("employer",) if side == EMPLOYER else ()


def purge(conv) -> bool:
    """An agreement signed by all whose retention is over (``purge_due``) loses every party's identifying fields
    (in place): pupil, employer, the school's people; ids, dates, weeks and state stay (statistics).
    False when there was nothing left to erase (a second purge)."""
    before = conv.content(), conv.frozen
    for side in (PUPIL, EMPLOYER):
        live = _scrub({"prefill": conv.prefill, "employer": conv.employer, "school": conv.school}, side, "")
        conv.prefill, conv.employer, conv.school = live["prefill"], live["employer"], live["school"]
    for key in SCHOOL_PEOPLE_FIELDS:
        conv.school.pop(key, None)
    school = conv.prefill.get("school") or {}
    if school.get("head_name"):
        school["head_name"] = ANONYMOUS
    conv.frozen = None if conv.frozen is None else {**conv.frozen, "prefill": conv.prefill, "employer": conv.employer,
                                                    "school": conv.school}
    return (conv.content(), conv.frozen) != before
