"""Applying: the form's validation and the eligibility checks against an offer snapshot.

``validate_form`` collects every field error (ValidationError, 422). ``refusals`` lists every reason why
the pupil may not apply (each with a code and a French sentence); ``check_eligibility`` raises the first
one (Forbidden for who the offer is for, Conflict for the offer's or the pupil's current situation).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from common import weeks as W
from common.errors import Conflict, FieldErrors, Forbidden
from common.validation import check_email, check_mobile_phone, check_text, normalize_email, normalize_phone

from . import conflicts

MOTIVATION_MAX = 1500
ADDRESS_MAX = 170
NAME_MAX = 100


@dataclass(frozen=True)
class OfferSnapshot:
    """What the applications service needs to know about an offer (from offers.get_offer)."""

    id: str
    state: str
    grades: tuple[str, ...]
    weeks: tuple[str, ...]
    seats_left: int
    employer_id: str | None
    title: str = ""
    space_id: str | None = None   # the offer's employer space (None: the creator's personal space)
    reserved_school_uais: tuple[str, ...] = ()
    reserved_rep: bool = False
    reserved_qpv: bool = False
    permalink: str | None = None
    is_partner: bool = False
    # weeks of the offer that are school holidays in some zones: {week: (zones)} (offers' calendar)
    holiday_weeks: dict = field(default_factory=dict)
    # the application date of each grade of the offer's school year: {grade: ISO datetime or None} (offers'
    # opening calendar; domain/opening.py)
    apply_from: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict) -> "OfferSnapshot":
        reserved = d.get("reservation") or {}
        return cls(
            id=str(d["id"]),
            state=d.get("state") or d.get("status") or "",
            grades=tuple(d.get("grades") or ()),
            weeks=tuple(d.get("offer_weeks") or d.get("weeks") or ()),
            seats_left=int(d.get("seats_left") if d.get("seats_left") is not None else 0),
            employer_id=d.get("employer_id") or d.get("owner_id"),
            space_id=d.get("space_id"),
            title=d.get("title") or "",
            reserved_school_uais=tuple(d.get("reserved_school_uais") or reserved.get("school_uais") or ()),
            reserved_rep=bool(d.get("reserved_rep", reserved.get("rep", False))),
            reserved_qpv=bool(d.get("reserved_qpv", reserved.get("qpv", False))),
            permalink=d.get("permalink"),
            is_partner=bool(d.get("is_partner") or d.get("permalink")),
            holiday_weeks={w: tuple(z) for w, z in (d.get("holiday_weeks") or {}).items()},
            apply_from=dict(d.get("apply_from") or {}),
        )


@dataclass(frozen=True)
class Pupil:
    """The applicant, from the verified claims."""

    user_id: str
    grade: str | None
    school_uai: str | None
    school_rep: str | None = None  # "REP", "REP+" or None
    school_qpv: bool = False

    @classmethod
    def from_actor(cls, actor: dict) -> "Pupil":
        return cls(user_id=actor.get("user_id"), grade=actor.get("grade"), school_uai=actor.get("school_uai"),
                   school_rep=rep_of(actor.get("school_rep")), school_qpv=bool(actor.get("school_qpv")))


def rep_of(value) -> str | None:
    """Normalise a REP claim: "REP+"/"rep_plus" -> "REP+", "REP"/True -> "REP", falsy -> None."""
    if not value:
        return None
    if isinstance(value, str):
        v = value.strip().upper().replace("_PLUS", "+").replace(" ", "")
        if v in ("REP+", "REPPLUS"):
            return "REP+"
        if v in ("REP", "TRUE", "1"):
            return "REP"
        return None
    return "REP"


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str
    forbidden: bool = False  # who the offer is for (403) rather than the situation (409)

    def error(self):
        cls = Forbidden if self.forbidden else Conflict
        return cls(self.detail, code=self.code)


@dataclass(frozen=True)
class ExistingApplication:
    """One of the pupil's applications, as far as eligibility is concerned."""

    id: str
    offer_id: str
    state: str
    weeks: tuple[str, ...] = field(default_factory=tuple)
    reapply_invited: bool = False  # rejected, and the employer invited the pupil to apply again


def refusals(offer: OfferSnapshot, pupil: Pupil, existing: Iterable[ExistingApplication],
             weeks: Iterable[str] | None = None) -> list[Refusal]:
    """Every reason why ``pupil`` may not apply to ``offer`` (empty: they may).

    ``weeks``: the weeks the application would cover (default: every week of the offer).
    """
    out: list[Refusal] = []
    if not pupil.user_id or pupil.grade not in conflicts.GRADES:
        out.append(Refusal("not_a_pupil", "Seuls les élèves de 4e, de 3e et de 2nde peuvent candidater.", True))
        return out
    if offer.is_partner:
        out.append(Refusal("partner_offer",
                           f"Cette offre est proposée par un partenaire : candidatez sur son site ({offer.permalink})."))
    full = offer.seats_left <= 0
    # A full offer leaves "published" for "need_to_be_updated": say it is full, not unpublished.
    if offer.state != "published" and not (full and offer.state == "need_to_be_updated"):
        out.append(Refusal("not_published", "Cette offre n'est pas publiée : il n'est pas possible d'y candidater."))
    if pupil.grade not in offer.grades:
        out.append(Refusal("not_for_grade",
                           f"Cette offre n'est pas ouverte aux élèves de {conflicts.GRADE_LABELS[pupil.grade]}.", True))
    if offer.reserved_school_uais and pupil.school_uai not in offer.reserved_school_uais:
        out.append(Refusal("reserved_to_other_school",
                           "Cette offre est réservée aux élèves d'un autre établissement.", True))
    if offer.reserved_rep or offer.reserved_qpv:
        qualifies = (offer.reserved_rep and pupil.school_rep is not None) or (offer.reserved_qpv and pupil.school_qpv)
        if not qualifies:
            if offer.reserved_rep and offer.reserved_qpv:
                detail = ("Cette offre est réservée aux élèves des établissements REP, REP+ ou situés en quartier "
                          "prioritaire (QPV) : votre établissement n'en fait pas partie.")
            elif offer.reserved_rep:
                detail = ("Cette offre est réservée aux élèves des établissements REP ou REP+ : votre établissement "
                          "n'en fait pas partie.")
            else:
                detail = ("Cette offre est réservée aux élèves des établissements situés en quartier prioritaire "
                          "(QPV) : votre établissement n'en fait pas partie.")
            out.append(Refusal("reserved_to_priority_schools", detail, True))
    if full:
        out.append(Refusal("no_seat_left", "Il n'y a plus de place disponible pour cette offre."))
    existing = list(existing)
    if any(e.offer_id == offer.id and not e.reapply_invited for e in existing):
        out.append(Refusal("already_applied", "Vous avez déjà candidaté à cette offre."))
    target_weeks = tuple(weeks) if weeks is not None else offer.weeks
    confirmed = [(e.id, e.weeks) for e in existing if e.state == "confirmed"]
    if conflicts.conflicting_confirmed(pupil.grade, target_weeks, confirmed):
        out.append(Refusal("conflicts_with_confirmed", conflicts.conflict_reason(pupil.grade)))
    return out


def check_eligibility(offer: OfferSnapshot, pupil: Pupil, existing: Iterable[ExistingApplication],
                      weeks: Iterable[str] | None = None) -> None:
    found = refusals(offer, pupil, existing, weeks)
    if found:
        raise found[0].error()


def _text(errors: FieldErrors, field_name: str, value, *, max_len: int, min_len: int = 0) -> str | None:
    msg = check_text(value, min_len=min_len, max_len=max_len)
    if msg:
        errors.add(field_name, msg)
        return None
    return value.strip()


def _email(errors: FieldErrors, field_name: str, value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(field_name, "Ce champ est obligatoire.")
        return None
    msg = check_email(value)
    if msg:
        errors.add(field_name, msg)
        return None
    return normalize_email(value)


def _phone(errors: FieldErrors, field_name: str, value) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors.add(field_name, "Ce champ est obligatoire.")
        return None
    msg = check_mobile_phone(value)
    if msg:
        errors.add(field_name, msg)
        return None
    return normalize_phone(value)


def validate_form(payload: dict, grade: str | None, offer: OfferSnapshot, now: dt.datetime,
                  zone: str | None = None) -> dict:
    """Validate the application form; return the cleaned values (with ``weeks``) or raise every error.

    A 4e/3e pupil picks one of the offer's weeks (``week``), not past (common.weeks) and not a school
    holiday in ``zone``, the school-holiday zone of their school (A, B, C; None outside them); a 2nde
    pupil gets the offer's period (every week of the offer; a ``week`` sent by a 2nde pupil is ignored).
    """
    payload = payload or {}
    errors = FieldErrors()
    out = {
        "motivation": _text(errors, "motivation", payload.get("motivation"), max_len=MOTIVATION_MAX),
        "email": _email(errors, "email", payload.get("email")),
        "phone": _phone(errors, "phone", payload.get("phone")),
        "address": _text(errors, "address", payload.get("address"), max_len=ADDRESS_MAX),
    }
    rep = payload.get("legal_representative")
    if not isinstance(rep, dict):
        errors.add("legal_representative", "Indiquez le nom, l'e-mail et le téléphone de votre représentant légal.")
        rep_out = None
    else:
        rep_out = {
            "name": _text(errors, "legal_representative.name", rep.get("name"), max_len=NAME_MAX, min_len=2),
            "email": _email(errors, "legal_representative.email", rep.get("email")),
            "phone": _phone(errors, "legal_representative.phone", rep.get("phone")),
        }
    out["legal_representative"] = rep_out
    if grade == "seconde":
        out["weeks"] = tuple(sorted(offer.weeks))
        if not out["weeks"]:
            errors.add("week", "Cette offre n'a pas de période de stage.")
    else:
        week = payload.get("week")
        if week in (None, ""):
            errors.add("week", "Choisissez une semaine de stage parmi celles de l'offre.")
        elif not W.is_week(week):
            errors.add("week", "Semaine invalide (format attendu : AAAA-Sss, par exemple 2027-W05).")
        elif week not in offer.weeks:
            errors.add("week", "Cette semaine ne fait pas partie des semaines proposées par l'offre.")
        elif W.week_is_past(week, now):
            errors.add("week", "Cette semaine est déjà passée.")
        elif zone and zone in offer.holiday_weeks.get(week, ()):
            errors.add("week", f"Cette semaine tombe pendant les vacances scolaires de votre établissement "
                               f"(zone {zone}) : choisissez une autre semaine.")
        out["weeks"] = (week,) if isinstance(week, str) else ()
    errors.raise_if_any()
    return out
