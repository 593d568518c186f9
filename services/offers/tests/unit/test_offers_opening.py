"""The opening calendar (issue 21): its pure rules (offers/domain/opening.py, common.opening) at the edges,
and the use cases on the in-memory fakes (publication refused before the employers' date, the search behind
the pupils' browsing date, can_apply before the application date, an admin setting the dates)."""
import datetime as dt

import pytest

from common import opening as O
from common.clock import PARIS
from common.errors import Forbidden, ValidationError
from offers.domain import opening as op
from offers.use_cases import drafting, opening, publication, reading
from testkit.offers import TODAY, employer, offer_data
from testkit.offers.fakes import FakeOffers, FakeSearchReader, FakeUnitOfWork

UTC = dt.timezone.utc
NOW = dt.datetime.combine(TODAY, dt.time(9), tzinfo=UTC)
CAL_2025 = op.defaults("2024-2025")


def paris(*args):
    return dt.datetime(*args, tzinfo=PARIS)


def test_2025_dates_are_the_defaults_of_2024_2025_and_later_years_follow_the_same_pattern():
    for grade in op.GRADES:
        assert CAL_2025[grade]["publish_from"] == paris(2025, 1, 21, 14)
        assert CAL_2025[grade]["browse_from"] == CAL_2025[grade]["apply_from"] == paris(2025, 2, 13)
    later = op.defaults("2026-2027")["seconde"]
    assert later["publish_from"] == paris(2027, 1, 19, 14)   # third Tuesday of January 2027
    assert later["apply_from"] == paris(2027, 2, 11)         # second Thursday of February 2027
    assert later["publish_from"].astimezone(PARIS).weekday() == 1 and later["apply_from"].astimezone(PARIS).weekday() == 3


def test_publication_opens_at_14_00_paris_time_on_21_january():
    assert not op.may_publish(paris(2025, 1, 21, 13, 59), CAL_2025, ["troisieme"])
    assert op.may_publish(paris(2025, 1, 21, 14, 0), CAL_2025, ["troisieme"])
    # 14:00 in Paris is 13:00 UTC in winter
    assert op.may_publish(dt.datetime(2025, 1, 21, 13, 0, tzinfo=UTC), CAL_2025)
    assert not op.may_publish(dt.datetime(2025, 1, 21, 12, 59, 59, tzinfo=UTC), CAL_2025)
    # admins are not subject; no calendar set means no restriction
    assert op.may_publish(paris(2025, 1, 1), CAL_2025, actor={"role": "admin"})
    assert op.may_publish(paris(2025, 1, 1), {}, ["seconde"])
    with pytest.raises(Forbidden) as e:
        op.check_publish(paris(2025, 1, 21, 13, 59), CAL_2025, ["seconde"], {"role": "employer"})
    assert e.value.code == "publication_not_open"
    assert e.value.detail == "Les employeurs pourront publier leurs offres à partir du 21 janvier 2025 à 14 h."
    assert e.value.extra["opens_at"] == "2025-01-21T13:00:00+00:00"


def test_an_offer_for_several_grades_waits_for_the_latest_employers_date():
    cal = {**CAL_2025, "seconde": {**CAL_2025["seconde"], "publish_from": paris(2025, 3, 1, 9, 30)}}
    at = paris(2025, 2, 1)
    assert op.may_publish(at, cal, ["troisieme"]) and not op.may_publish(at, cal, ["troisieme", "seconde"])
    assert op.publish_opens_at(at, cal, ["troisieme", "seconde"]) == paris(2025, 3, 1, 9, 30)
    assert O.publish_message(paris(2025, 3, 1, 9, 30)).endswith("à partir du 1er mars 2025 à 9 h 30.")


def test_browsing_and_applying_per_grade():
    cal = {**CAL_2025, "quatrieme": {**CAL_2025["quatrieme"], "browse_from": paris(2025, 3, 3),
                                     "apply_from": paris(2025, 3, 10)}}
    day = paris(2025, 2, 13)
    before = day - dt.timedelta(seconds=1)
    assert not op.may_browse(before, "troisieme", cal) and op.may_browse(day, "troisieme", cal)
    assert not op.may_apply(before, "seconde", cal) and op.may_apply(day, "seconde", cal)
    assert op.may_browse(day, "troisieme", cal) and not op.may_browse(day, "quatrieme", cal)
    assert not op.may_apply(paris(2025, 3, 9, 23, 59), "quatrieme", cal)
    assert op.may_apply(paris(2025, 3, 10), "quatrieme", cal)
    # staff, employers and admins always browse; anonymous visitors wait for the first grade to open
    for role in ("employer", "admin", "school_staff", "operator", "statistician"):
        assert op.may_browse(before, "troisieme", cal, {"role": role})
    assert not op.may_browse(before, None, cal, None) and op.may_browse(day, None, cal, None)
    closed = op.browse_closed(before, "quatrieme", cal, {"role": "pupil"})
    assert closed["code"] == "browsing_not_open"
    assert closed["message"] == "Les élèves de 4e pourront consulter les offres à partir du 3 mars 2025."
    closed = op.apply_closed(before, "seconde", cal)
    assert closed["message"] == ("Les candidatures des élèves de seconde ouvriront le 13 février 2025. "
                                 "Vous pourrez postuler à partir de cette date.")


def test_merge_keeps_what_is_left_out_and_refuses_bad_dates_field_by_field():
    cal, errors = op.merge("2024-2025", {}, {"seconde": {"apply_from": "2025-03-01T08:00", "browse_from": None}})
    assert errors == {}
    assert cal["seconde"]["apply_from"] == paris(2025, 3, 1, 8)          # no offset: Paris time
    assert cal["seconde"]["browse_from"] is None                          # null: no restriction
    assert cal["troisieme"] == CAL_2025["troisieme"]                      # left out: the proposed dates
    again, _ = op.merge("2024-2025", cal, {"troisieme": {"publish_from": "2025-01-02T10:00:00+00:00"}})
    assert again["seconde"]["apply_from"] == paris(2025, 3, 1, 8)        # kept
    _, errors = op.merge("2024-2025", {}, {"cinquieme": {}, "seconde": {"apply_from": "demain", "when": "x"},
                                           "troisieme": {"apply_from": "2025-02-01T00:00"}})
    assert set(errors) == {"grades.cinquieme", "grades.seconde.apply_from", "grades.seconde.when",
                           "grades.troisieme.apply_from"}
    assert errors["grades.troisieme.apply_from"] == [op.MSG_ORDER]
    _, errors = op.merge("2024-2025", {}, {"seconde": {"apply_from": "0001-01-01T00:00",
                                                       "browse_from": "9999-12-31T23:59+00:00"}, "troisieme": "x"})
    assert set(errors) == {"grades.seconde.apply_from", "grades.seconde.browse_from", "grades.troisieme"}


# -- use cases on the fakes ----------------------------------------------------------------------------
ADMIN = {"user_id": "00000000-0000-0000-0000-000000000001", "role": "admin"}


@pytest.fixture
def uow():
    return FakeUnitOfWork(FakeOffers())


def _later(days=30):
    return (NOW + dt.timedelta(days=days)).isoformat()


def test_publication_refused_before_the_employers_date_then_allowed(uow):
    emp = employer()
    made = drafting.create_offer(uow, emp, offer_data(day=TODAY), None, NOW)
    year = made["school_year"]
    view = opening.set_opening(uow, ADMIN, year, {"troisieme": {"publish_from": _later(1)}}, NOW)
    assert view["set"] and view["open"]["troisieme"]["publish"] is False
    kind, data = uow.events[-1]
    assert kind == "calendar.changed" and data["school_year"] == year
    assert data["grades"]["troisieme"]["publish_from"] == _later(1) and data["grades"]["seconde"]["browse_from"]
    with pytest.raises(Forbidden) as e:
        publication.publish_offer(uow, emp, made["id"], NOW)
    assert e.value.code == "publication_not_open" and "pourront publier" in e.value.detail
    [offer] = publication.publish_offer(uow, emp, made["id"], NOW + dt.timedelta(days=1))["offers"]
    assert offer["state"] == "published"
    with pytest.raises(Forbidden):
        opening.set_opening(uow, emp, year, {}, NOW)
    with pytest.raises(ValidationError):
        opening.set_opening(uow, ADMIN, "2026", {}, NOW)


def test_a_pupil_sees_the_application_date_and_searches_nothing_before_browsing(uow):
    emp = employer()
    made = drafting.create_offer(uow, emp, offer_data(day=TODAY), None, NOW)
    publication.publish_offer(uow, emp, made["id"], NOW)
    year = made["school_year"]
    opening.set_opening(uow, ADMIN, year, {"troisieme": {"browse_from": None, "apply_from": _later(3)}}, NOW)
    pupil = {"user_id": "p1", "role": "pupil", "grade": "troisieme", "school_uai": "0710001A"}
    seen = reading.view_offer(uow, pupil, made["id"], NOW)
    assert seen["can_apply"] is False and seen["applications_open"]["code"] == "applications_not_open"
    assert reading.get_offer(uow, made["id"])["apply_from"] == {"troisieme": seen["applications_open"]["opens_at"]}
    assert reading.view_offer(uow, pupil, made["id"], NOW + dt.timedelta(days=4))["can_apply"] is True
    # the search works, its cards say « no application yet »
    reader = FakeSearchReader([{**uow.offers.rows[made["id"]], "distance_km": 1.0}])
    cards = opening.search(uow, reader, pupil, {"commune": "71270"}, NOW)["items"]
    assert [c["can_apply"] for c in cards] == [False]
    cards = opening.search(uow, reader, pupil, {"commune": "71270"}, NOW + dt.timedelta(days=4))["items"]
    assert [c["can_apply"] for c in cards] == [True]
    # browsing: the calendar of the running school year
    opening.set_opening(uow, ADMIN, "2026-2027", {"troisieme": {"browse_from": _later(2)}}, NOW)
    reader = FakeSearchReader([])
    closed = opening.search(uow, reader, pupil, {}, NOW)
    assert closed["items"] == [] and closed["closed"]["code"] == "browsing_not_open"
    assert "closed" not in opening.search(uow, reader, {"role": "employer", "user_id": "e"}, {}, NOW)
