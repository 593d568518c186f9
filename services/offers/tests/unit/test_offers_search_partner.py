import datetime as dt

import pytest
from common.errors import ValidationError

from offers.domain import ranking
from offers.domain import search as sr
from offers.domain.partner import MSG_MIXED, MSG_PERIOD_MISSING, validate_partner_offer
from testkit.offers import TODAY


def parse(**kw):
    return sr.parse_search_params(kw, TODAY)


def errors_of(**kw):
    with pytest.raises(ValidationError) as e:
        parse(**kw)
    return e.value.errors


def test_defaults():
    p = parse()
    assert p["radius_km"] == 20 and p["page"] == 1 and p["page_size"] == 30 and p["sector"] == []


def test_place_params():
    assert parse(commune="2a004")["commune"] == "2A004"
    assert parse(postal_code="71000")["postal_code"] == "71000"
    p = parse(lat="46.30", lon="4.83", radius_km="5")
    assert (p["lat"], p["lon"], p["radius_km"]) == (46.30, 4.83, 5)
    assert "commune" in errors_of(commune="75056", postal_code="75001")
    assert "lon" in errors_of(lat="46.3")
    assert set(errors_of(lat="91", lon="200")) == {"lat", "lon"}
    assert "commune" in errors_of(commune="7505")
    assert "postal_code" in errors_of(postal_code="7500A")


@pytest.mark.parametrize("r,ok", [("4", False), ("5", True), ("60", True), ("61", False), ("abc", False)])
def test_radius_5_to_60(r, ok):
    if ok:
        assert parse(radius_km=r)["radius_km"] == float(r)
    else:
        assert errors_of(radius_km=r) == {"radius_km": [sr.MSG_RADIUS]}


def test_sectors_grade_week_period_page_q():
    assert parse(sector=["s3", "s12,s1"])["sector"] == ["s1", "s3", "s12"]
    assert "sector" in errors_of(sector=["s52"])
    assert parse(grade="seconde")["grade"] == "seconde"
    assert "grade" in errors_of(grade="sixieme")
    assert parse(week="2026-W50")["weeks"] == ["2026-W50"]
    assert parse(period="week1")["weeks"] == ["2027-W24"]
    assert "week" in errors_of(week="2026-W50", period="both")
    assert "period" in errors_of(period="week3")
    assert "page" in errors_of(page="0")
    assert parse(page="3")["page"] == 3
    assert parse(q="  boulanger   pâtissier ")["q"] == "boulanger pâtissier"
    assert "q" in errors_of(q="x" * 201)


def test_every_search_error_at_once():
    errs = errors_of(commune="x", radius_km="100", sector="s0", grade="cm2", page="-1")
    assert set(errs) == {"commune", "radius_km", "sector", "grade", "page"}


def test_period_in_late_june_moves_to_next_year():
    assert sr.period_weeks("both", dt.date(2026, 6, 28)) == ["2027-W24", "2027-W25"]
    assert sr.period_weeks("both", dt.date(2026, 6, 1)) == ["2026-W25", "2026-W26"]


def test_relaxed_params():
    p = parse(q="boulanger", sector="s26", grade="troisieme")
    r = sr.relaxed_params(p)
    assert r["q"] is None and r["sector"] == [] and r["grade"] == "troisieme"
    assert sr.relaxed_params(parse(grade="troisieme")) is None


PUPIL = {"role": "pupil", "grade": "troisieme", "school_uai": "0710012A", "school_rep": False, "school_qpv": False}
REP_PUPIL = dict(PUPIL, school_uai="0930001A", school_rep=True)
QPV_PUPIL = dict(PUPIL, school_uai="0930002B", school_qpv=True)
OPEN = {"id": "a", "grades": ["troisieme"], "reserved_school_uais": [], "reserved_rep": False, "reserved_qpv": False}
REP = dict(OPEN, id="b", reserved_rep=True)
QPV = dict(OPEN, id="c", reserved_qpv=True)
SCHOOL = dict(OPEN, id="d", reserved_school_uais=["0710012A"])
SECONDE = dict(OPEN, id="e", grades=["seconde"])


def test_visibility_for_pupils():
    v = sr.viewer_from_actor
    assert [o["id"] for o in (OPEN, REP, QPV, SCHOOL, SECONDE) if sr.visible_to(o, v(PUPIL))] == ["a", "d"]
    assert [o["id"] for o in (OPEN, REP, QPV, SCHOOL, SECONDE) if sr.visible_to(o, v(REP_PUPIL))] == ["a", "b"]
    assert [o["id"] for o in (OPEN, REP, QPV, SCHOOL, SECONDE) if sr.visible_to(o, v(QPV_PUPIL))] == ["a", "c"]


def test_visibility_for_others():
    anon = sr.viewer_from_actor(None)
    assert [o["id"] for o in (OPEN, REP, QPV, SCHOOL, SECONDE) if sr.visible_to(o, anon)] == ["a", "e"]
    admin = sr.viewer_from_actor({"role": "admin"})
    assert all(sr.visible_to(o, admin) for o in (OPEN, REP, QPV, SCHOOL, SECONDE))
    staff = sr.viewer_from_actor({"role": "school_staff", "school_uai": "0930001A", "school_rep": True})
    assert [o["id"] for o in (OPEN, REP, QPV, SCHOOL, SECONDE) if sr.visible_to(o, staff)] == ["a", "b", "e"]


def test_effective_grade_is_the_pupils():
    assert sr.effective_grade({"grade": "seconde"}, sr.viewer_from_actor(PUPIL)) == "troisieme"
    assert sr.effective_grade({"grade": "seconde"}, sr.viewer_from_actor({"role": "employer"})) == "seconde"


def test_can_apply():
    v = sr.viewer_from_actor(PUPIL)
    assert sr.can_apply(OPEN, v, 1)
    assert not sr.can_apply(OPEN, v, 0)
    assert not sr.can_apply(REP, v, 1)
    assert not sr.can_apply(OPEN, sr.viewer_from_actor({"role": "employer"}), 1)


def test_ranking_rep_first_then_distance():
    offers = [dict(OPEN, id="near", distance_km=1.0), dict(REP, id="rep-far", distance_km=30.0),
              dict(QPV, id="qpv-mid", distance_km=10.0), dict(OPEN, id="mid", distance_km=5.0)]
    rank = ranking.rank
    assert [o["id"] for o in rank(offers, sr.viewer_from_actor(REP_PUPIL))] == ["rep-far", "near", "mid", "qpv-mid"]
    assert [o["id"] for o in rank(offers, sr.viewer_from_actor(QPV_PUPIL))] == ["qpv-mid", "near", "mid", "rep-far"]
    assert [o["id"] for o in rank(offers, sr.viewer_from_actor(PUPIL))] == ["near", "mid", "qpv-mid", "rep-far"]
    both = sr.viewer_from_actor(dict(REP_PUPIL, school_qpv=True))
    assert [o["id"] for o in rank(offers, both)] == ["qpv-mid", "rep-far", "near", "mid"]
    # school staff and anonymous viewers get no priority offers: distance only
    staff = sr.viewer_from_actor({"role": "school_staff", "school_rep": True})
    assert [o["id"] for o in rank(offers, staff)] == ["near", "mid", "qpv-mid", "rep-far"]


def test_ranking_without_distance_keeps_the_search_order_inside_each_group():
    offers = [dict(OPEN, id="recent"), dict(REP, id="rep-old"), dict(OPEN, id="old"), dict(REP, id="rep-older")]
    assert [o["id"] for o in ranking.rank(offers, sr.viewer_from_actor(REP_PUPIL))] == [
        "rep-old", "rep-older", "recent", "old"]
    assert ranking.priority_columns(sr.viewer_from_actor(dict(REP_PUPIL, school_qpv=True))) == [
        "reserved_rep", "reserved_qpv"]
    assert ranking.priority_columns(sr.viewer_from_actor(PUPIL)) == []


def test_haversine():
    # Mâcon -> Lyon: about 60 km
    assert 55 < sr.haversine_km(46.30354, 4.83375, 45.7578, 4.8320) < 65


def partner(**kw):
    d = {"remote_id": "op-123", "title": "Développeur web", "description": "Découverte du métier de développeur.",
         "employer_name": "ACME", "sector": "s31", "permalink": "https://partner.example/offres/123",
         "address": {"street": "1 rue de Lyon", "postal_code": "71000", "city": "Mâcon"},
         "grades": ["troisieme"], "weeks": ["2027-W02", "2027-W03"], "seats": 3}
    d.update(kw)
    return d


def test_partner_valid_college():
    errs, out = validate_partner_offer(partner(), TODAY)
    assert errs == {}
    assert out["school_year"] == "2026-2027" and out["weeks"] == ["2027-W02", "2027-W03"]
    assert out["is_partner"] and out["remote_id"] == "op-123" and out["organisation"]["name"] == "ACME"


def test_partner_mixed_grades_refused():
    errs, _ = validate_partner_offer(partner(grades=["troisieme", "seconde"], period="both"), TODAY)
    assert errs == {"grades": [MSG_MIXED]}


def test_partner_seconde_needs_period():
    errs, _ = validate_partner_offer(partner(grades=["seconde"], weeks=None), TODAY)
    assert errs == {"period": [MSG_PERIOD_MISSING]}
    errs, out = validate_partner_offer(partner(grades=["seconde"], weeks=None, period="week2"), TODAY)
    assert errs == {} and out["seconde_period"] == "week2" and out["school_year"] == "2026-2027"


def test_partner_field_errors_at_once():
    errs, _ = validate_partner_offer(partner(remote_id="", sector="33", permalink="http://x", weeks=["2027-03"],
                                             seats=0, colour="red"), TODAY)
    assert set(errs) == {"remote_id", "sector", "permalink", "weeks", "seats", "colour"}


def test_partner_weeks_must_be_open():
    errs, _ = validate_partner_offer(partner(weeks=["2027-W30"]), TODAY)
    assert "weeks" in errs
    errs, _ = validate_partner_offer(partner(weeks=["2026-W50", "2027-W50"]), TODAY)
    assert "weeks" in errs
