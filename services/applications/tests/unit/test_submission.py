import datetime as dt

import pytest

from common.errors import Conflict, Forbidden, ValidationError

from applications.domain import conflicts
from applications.domain import states as S
from applications.domain.submission import (ExistingApplication, OfferSnapshot, Pupil, check_eligibility,
                                            refusals, rep_of, validate_form)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def offer(**kw):
    base = dict(id="o1", state="published", grades=("quatrieme", "troisieme"),
                weeks=("2027-W05", "2027-W06"), seats_left=2, employer_id="e1", title="Boulangerie")
    base.update(kw)
    return OfferSnapshot(**base)


def seconde_offer(**kw):
    base = dict(grades=("seconde",), weeks=("2027-W24", "2027-W25"))
    base.update(kw)
    return offer(**base)


def pupil(**kw):
    base = dict(user_id="p1", grade="troisieme", school_uai="0750001A", school_rep=None, school_qpv=False)
    base.update(kw)
    return Pupil(**base)


def form(**kw):
    base = {"motivation": "J'aime le pain.", "email": "Eleve@Example.fr", "phone": "06 12 34 56 78",
            "address": "1 rue de la Paix, 75002 Paris",
            "legal_representative": {"name": "Marie Dupont", "email": "marie@example.fr", "phone": "0712345678"},
            "week": "2027-W05"}
    base.update(kw)
    return base


# Form -----------------------------------------------------------------------------------------

def test_valid_form_is_cleaned():
    out = validate_form(form(), "troisieme", offer(), NOW)
    assert out["email"] == "eleve@example.fr"
    assert out["phone"] == "+33612345678"
    assert out["legal_representative"] == {"name": "Marie Dupont", "email": "marie@example.fr",
                                           "phone": "+33712345678"}
    assert out["weeks"] == ("2027-W05",)


def test_overseas_mobile_accepted():
    out = validate_form(form(phone="+262 692 12 34 56"), "troisieme", offer(), NOW)
    assert out["phone"] == "+262692123456"
    out = validate_form(form(phone="0696 12 34 56"), "troisieme", offer(), NOW)
    assert out["phone"] == "+596696123456"


def test_every_error_at_once():
    bad = {"motivation": "x" * 1501, "email": "nope", "phone": "01 23 45 67 89", "address": "y" * 171,
           "legal_representative": {"name": "", "email": "bad", "phone": "123"}, "week": "2027-W09"}
    with pytest.raises(ValidationError) as e:
        validate_form(bad, "troisieme", offer(), NOW)
    assert set(e.value.errors) == {"motivation", "email", "phone", "address", "legal_representative.name",
                                   "legal_representative.email", "legal_representative.phone", "week"}
    assert all(isinstance(m, str) and m for msgs in e.value.errors.values() for m in msgs)


def test_limits_are_inclusive():
    out = validate_form(form(motivation="x" * 1500, address="y" * 170), "troisieme", offer(), NOW)
    assert len(out["motivation"]) == 1500 and len(out["address"]) == 170


def test_required_fields():
    with pytest.raises(ValidationError) as e:
        validate_form({}, "troisieme", offer(), NOW)
    assert set(e.value.errors) == {"motivation", "email", "phone", "address", "legal_representative", "week"}
    assert e.value.errors["motivation"] == ["Ce champ est obligatoire."]


@pytest.mark.parametrize("week,msg", [("2027-5", "invalide"), ("2027-W53", "invalide"),
                                      ("2027-W10", "ne fait pas partie"), ("", "Choisissez")])
def test_college_week_must_be_one_of_the_offer(week, msg):
    with pytest.raises(ValidationError) as e:
        validate_form(form(week=week), "quatrieme", offer(), NOW)
    assert msg in e.value.errors["week"][0]


def test_college_week_not_past():
    with pytest.raises(ValidationError) as e:
        validate_form(form(week="2026-W40"), "troisieme", offer(weeks=("2026-W40", "2027-W05")), NOW)
    assert "passée" in e.value.errors["week"][0]


def test_college_week_past_from_its_saturday_in_paris():
    # W48: Monday 23 to Friday 27 November 2026; one definition with offers (common.weeks)
    o = offer(weeks=("2026-W48", "2027-W05"))
    friday_night = dt.datetime(2026, 11, 27, 22, 59, tzinfo=UTC)  # 23:59 in Paris
    assert validate_form(form(week="2026-W48"), "troisieme", o, friday_night)["weeks"] == ("2026-W48",)
    for saturday in (dt.datetime(2026, 11, 27, 23, 0, tzinfo=UTC), dt.datetime(2026, 11, 28, 12, 0, tzinfo=UTC)):
        with pytest.raises(ValidationError) as e:
            validate_form(form(week="2026-W48"), "troisieme", o, saturday)
        assert e.value.errors["week"] == ["Cette semaine est déjà passée."]


HOLIDAYS = {"2027-W06": ("C",), "2027-W07": ("A", "C")}


@pytest.mark.parametrize("zone, week", [("A", "2027-W07"), ("C", "2027-W06"), ("C", "2027-W07")])
def test_a_pupil_cannot_pick_a_holiday_week_of_their_zone(zone, week):
    o = offer(weeks=("2027-W05", "2027-W06", "2027-W07"), holiday_weeks=HOLIDAYS)
    with pytest.raises(ValidationError) as e:
        validate_form(form(week=week), "troisieme", o, NOW, zone)
    assert e.value.errors["week"] == [f"Cette semaine tombe pendant les vacances scolaires de votre établissement "
                                      f"(zone {zone}) : choisissez une autre semaine."]


@pytest.mark.parametrize("zone, week", [("B", "2027-W06"), ("B", "2027-W07"), ("A", "2027-W06"),
                                        (None, "2027-W07"), ("C", "2027-W05")])
def test_a_holiday_week_of_other_zones_may_be_picked(zone, week):
    o = offer(weeks=("2027-W05", "2027-W06", "2027-W07"), holiday_weeks=HOLIDAYS)
    assert validate_form(form(week=week), "troisieme", o, NOW, zone)["weeks"] == (week,)


def test_offer_snapshot_reads_the_holiday_weeks():
    snap = OfferSnapshot.from_dict({"id": "o1", "state": "published", "grades": ["troisieme"],
                                    "offer_weeks": ["2027-W06"], "seats_left": 1, "employer_id": "e1",
                                    "holiday_weeks": {"2027-W06": ["C"]}})
    assert snap.holiday_weeks == {"2027-W06": ("C",)}


def test_seconde_gets_the_offer_period():
    out = validate_form(form(week=None), "seconde", seconde_offer(), NOW)
    assert out["weeks"] == ("2027-W24", "2027-W25")
    out = validate_form(form(week="2027-W01"), "seconde", seconde_offer(weeks=("2027-W25",)), NOW)
    assert out["weeks"] == ("2027-W25",)


# Eligibility ----------------------------------------------------------------------------------

def codes(o, p, existing=(), weeks=None):
    return [r.code for r in refusals(o, p, existing, weeks)]


def test_eligible():
    assert codes(offer(), pupil()) == []
    check_eligibility(offer(), pupil(), [])


def test_not_for_grade():
    with pytest.raises(Forbidden) as e:
        check_eligibility(seconde_offer(), pupil(grade="troisieme"), [])
    assert e.value.code == "not_for_grade"
    assert "3e" in e.value.detail


def test_not_a_pupil():
    assert codes(offer(), pupil(grade=None)) == ["not_a_pupil"]


def test_reserved_to_another_school():
    o = offer(reserved_school_uais=("0930001B",))
    with pytest.raises(Forbidden) as e:
        check_eligibility(o, pupil(), [])
    assert e.value.code == "reserved_to_other_school"
    assert codes(o, pupil(school_uai="0930001B")) == []


@pytest.mark.parametrize("rep,qpv,reserved_rep,reserved_qpv,ok", [
    (None, False, True, False, False),
    ("REP", False, True, False, True),
    ("REP+", False, True, False, True),
    (None, True, True, False, False),
    (None, True, False, True, True),
    ("REP", False, False, True, False),
    (None, False, False, True, False),
    (None, True, True, True, True),
    ("REP+", False, True, True, True),
    (None, False, True, True, False),
])
def test_reserved_to_priority_schools(rep, qpv, reserved_rep, reserved_qpv, ok):
    c = codes(offer(reserved_rep=reserved_rep, reserved_qpv=reserved_qpv), pupil(school_rep=rep, school_qpv=qpv))
    assert (c == []) is ok
    if not ok:
        assert c == ["reserved_to_priority_schools"]


def test_reserved_messages_name_the_reservation():
    r = refusals(offer(reserved_rep=True), pupil(), [])[0]
    assert "REP ou REP+" in r.detail and r.forbidden
    r = refusals(offer(reserved_qpv=True), pupil(), [])[0]
    assert "QPV" in r.detail


def test_no_seat_left():
    with pytest.raises(Conflict) as e:
        check_eligibility(offer(seats_left=0), pupil(), [])
    assert e.value.code == "no_seat_left"
    assert e.value.detail == "Il n'y a plus de place disponible pour cette offre."


@pytest.mark.parametrize("state", ["draft", "unpublished", "need_to_be_updated", "removed"])
def test_not_published(state):
    assert codes(offer(state=state), pupil()) == ["not_published"]


def test_partner_offer_points_to_permalink():
    with pytest.raises(Conflict) as e:
        check_eligibility(offer(is_partner=True, permalink="https://partner.example/o/1"), pupil(), [])
    assert e.value.code == "partner_offer"
    assert "https://partner.example/o/1" in e.value.detail


def test_already_applied_whatever_the_state():
    for state in S.STATES:
        ex = [ExistingApplication("a1", "o1", state, ("2027-W05",))]
        assert "already_applied" in codes(offer(), pupil(), ex)


def test_college_one_confirmed_internship():
    ex = [ExistingApplication("a1", "o9", S.CONFIRMED, ("2027-W20",))]
    with pytest.raises(Conflict) as e:
        check_eligibility(offer(), pupil(), ex)
    assert e.value.code == "conflicts_with_confirmed"
    assert "4e et en 3e" in e.value.detail
    # pending applications elsewhere do not block
    ex = [ExistingApplication("a1", "o9", S.ACCEPTED_BY_EMPLOYER, ("2027-W05",))]
    assert codes(offer(), pupil(), ex) == []


def test_seconde_one_internship_per_week():
    p = pupil(grade="seconde")
    week1 = [ExistingApplication("a1", "o9", S.CONFIRMED, ("2027-W24",))]
    both = [ExistingApplication("a1", "o9", S.CONFIRMED, ("2027-W24", "2027-W25"))]
    # confirmed on week 1: a week-2 offer is fine, a week-1 or two-week offer is not
    assert codes(seconde_offer(weeks=("2027-W25",)), p, week1) == []
    assert codes(seconde_offer(weeks=("2027-W24",)), p, week1) == ["conflicts_with_confirmed"]
    assert codes(seconde_offer(), p, week1) == ["conflicts_with_confirmed"]
    # confirmed two-week internship: nothing more
    assert codes(seconde_offer(weeks=("2027-W25",)), p, both) == ["conflicts_with_confirmed"]
    assert "2nde" in refusals(seconde_offer(), p, both)[0].detail


def test_all_refusals_listed():
    o = offer(state="draft", seats_left=0, grades=("seconde",), reserved_school_uais=("X",))
    assert codes(o, pupil()) == ["not_published", "not_for_grade", "reserved_to_other_school", "no_seat_left"]


def test_snapshot_from_dict():
    o = OfferSnapshot.from_dict({"id": "o1", "state": "published", "grades": ["troisieme"],
                                 "weeks": ["2027-W05"], "seats_left": 3, "employer_id": "e1",
                                 "reservation": {"school_uais": ["0750001A"], "rep": True}})
    assert o.reserved_school_uais == ("0750001A",) and o.reserved_rep and not o.reserved_qpv
    assert not o.is_partner
    assert OfferSnapshot.from_dict({"id": "o2", "permalink": "https://x"}).is_partner


@pytest.mark.parametrize("value,expected", [(None, None), ("", None), ("REP", "REP"), ("rep", "REP"),
                                            ("REP+", "REP+"), ("rep_plus", "REP+"), (True, "REP"),
                                            (False, None), ("hors", None)])
def test_rep_claim_normalised(value, expected):
    assert rep_of(value) == expected


def test_pupil_from_actor():
    p = Pupil.from_actor({"user_id": "p1", "role": "pupil", "grade": "seconde", "school_uai": "U",
                          "school_rep": "REP+", "school_qpv": True})
    assert (p.grade, p.school_rep, p.school_qpv) == ("seconde", "REP+", True)


# Cascade after a confirmation -----------------------------------------------------------------

OTHERS = [
    ("a1", S.ACCEPTED_BY_EMPLOYER, ("2027-W24",)),  # the confirmed one
    ("a2", S.SUBMITTED, ("2027-W24",)),
    ("a3", S.READ_BY_EMPLOYER, ("2027-W25",)),
    ("a4", S.TRANSFERRED, ("2027-W24", "2027-W25")),
    ("a5", S.RESTORED, ("2027-W25",)),
    ("a6", S.ACCEPTED_BY_EMPLOYER, ("2027-W24",)),
    ("a7", S.REJECTED, ("2027-W24",)),
    ("a8", S.CANCELLED_BY_PUPIL, ("2027-W24",)),
    ("a9", S.EXPIRED, ("2027-W24",)),
]


def test_college_confirmation_cancels_every_pending():
    assert conflicts.cancelled_by_confirmation("troisieme", "a1", ("2027-W24",), OTHERS) == \
        ["a2", "a3", "a4", "a5", "a6"]


def test_seconde_confirmation_cancels_same_week_only():
    assert conflicts.cancelled_by_confirmation("seconde", "a1", ("2027-W24",), OTHERS) == ["a2", "a4", "a6"]
    assert conflicts.cancelled_by_confirmation("seconde", "a1", ("2027-W24", "2027-W25"), OTHERS) == \
        ["a2", "a3", "a4", "a5", "a6"]


def test_full_offer_says_full_not_unpublished():
    # offers moves a full offer to need_to_be_updated: the pupil is told there is no seat left
    assert codes(offer(state="need_to_be_updated", seats_left=0), pupil()) == ["no_seat_left"]
    assert codes(offer(state="need_to_be_updated", seats_left=2), pupil()) == ["not_published"]


def test_snapshot_prefers_expanded_weeks():
    o = OfferSnapshot.from_dict({"id": "o1", "state": "published", "grades": ["troisieme"], "weeks": [],
                                 "all_year": True, "offer_weeks": ["2027-W05", "2027-W06"], "seats_left": 1,
                                 "employer_id": "e1", "is_partner": False, "permalink": None})
    assert o.weeks == ("2027-W05", "2027-W06") and not o.is_partner
