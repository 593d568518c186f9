"""The Paris date, the one definition of a past week and the school-holiday calendar (issue 13 items 9-11).

Pure functions: no broker, no database."""
import datetime as dt
import pathlib
import re

import pytest

from common import holidays as H
from common import weeks as W
from common.clock import paris_date, to_paris

UTC = dt.timezone.utc
REPO = pathlib.Path(__file__).resolve().parents[3]


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


# -- the Paris date ------------------------------------------------------------------------------

def test_paris_date_in_summer_at_22_utc_is_already_the_next_day():
    # the old offers.today_of (UTC + 1 h) said 14 July here
    assert paris_date(utc(2026, 7, 14, 22, 30)) == dt.date(2026, 7, 15)
    assert paris_date(utc(2026, 7, 14, 21, 59)) == dt.date(2026, 7, 14)


def test_paris_date_in_winter():
    assert paris_date(utc(2026, 1, 14, 22, 59)) == dt.date(2026, 1, 14)
    assert paris_date(utc(2026, 1, 14, 23, 0)) == dt.date(2026, 1, 15)


def test_paris_date_across_the_spring_change():
    # Sunday 29 March 2026: 02:00 CET -> 03:00 CEST at 01:00 UTC
    assert paris_date(utc(2026, 3, 28, 22, 59)) == dt.date(2026, 3, 28)   # 23:59 CET
    assert paris_date(utc(2026, 3, 28, 23, 0)) == dt.date(2026, 3, 29)    # midnight CET
    assert to_paris(utc(2026, 3, 29, 1, 0)).hour == 3                       # the hour that does not exist
    assert paris_date(utc(2026, 3, 29, 21, 59)) == dt.date(2026, 3, 29)   # 23:59 CEST
    assert paris_date(utc(2026, 3, 29, 22, 0)) == dt.date(2026, 3, 30)    # midnight CEST


def test_paris_date_across_the_autumn_change():
    # Sunday 25 October 2026: 03:00 CEST -> 02:00 CET at 01:00 UTC
    assert paris_date(utc(2026, 10, 24, 21, 59)) == dt.date(2026, 10, 24)  # 23:59 CEST
    assert paris_date(utc(2026, 10, 24, 22, 0)) == dt.date(2026, 10, 25)   # midnight CEST
    assert to_paris(utc(2026, 10, 25, 0, 30)).hour == to_paris(utc(2026, 10, 25, 1, 30)).hour == 2  # twice 2 h
    assert paris_date(utc(2026, 10, 25, 22, 59)) == dt.date(2026, 10, 25)  # 23:59 CET
    assert paris_date(utc(2026, 10, 25, 23, 0)) == dt.date(2026, 10, 26)   # midnight CET


def test_paris_date_wants_an_aware_instant():
    with pytest.raises(ValueError):
        paris_date(dt.datetime(2026, 7, 14, 22, 30))


# -- one definition of a past week -----------------------------------------------------------------

def test_a_week_is_past_once_its_friday_is_over_in_paris():
    week = "2026-W48"  # Monday 23 to Friday 27 November 2026 (CET, UTC+1)
    assert not W.week_is_past(week, utc(2026, 11, 23, 8, 0))   # Monday
    assert not W.week_is_past(week, utc(2026, 11, 27, 22, 59))  # Friday 23:59 in Paris
    assert W.week_is_past(week, utc(2026, 11, 27, 23, 0))       # Saturday 00:00 in Paris
    assert W.week_is_past(week, utc(2026, 11, 28, 12, 0))       # Saturday
    assert W.week_is_past(week, utc(2026, 11, 29, 12, 0))       # Sunday
    # a date argument is the Paris date already
    assert not W.week_is_past(week, dt.date(2026, 11, 27))
    assert W.week_is_past(week, dt.date(2026, 11, 28))


def test_saturday_of_the_current_week_in_summer_time():
    week = "2027-W24"  # Monday 14 to Friday 18 June 2027 (CEST, UTC+2)
    assert not W.week_is_past(week, utc(2027, 6, 18, 21, 59))
    assert W.week_is_past(week, utc(2027, 6, 18, 22, 0))  # Saturday 00:00 in Paris, still Friday in UTC


def test_week_helpers():
    assert W.parse_week("2026-W53") == (2026, 53)
    assert W.parse_week("2025-W53") is None
    assert W.parse_week(None) is None and W.parse_week("2026-W5") is None
    assert W.week_key(dt.date(2027, 1, 1)) == "2026-W53"
    assert W.week_days("2026-W53")[0] == dt.date(2026, 12, 28) and W.week_friday("2026-W53") == dt.date(2027, 1, 1)
    assert W.period_of_weeks(["2027-W06", "2027-W05", "bad"]) == {"start": "2027-02-01", "end": "2027-02-12"}
    assert W.period_of_weeks([]) is None


def test_weeks_and_paris_date_have_one_home():
    """No service keeps its own copy of parse_week, of "is this week past?" or of the Paris date."""
    found = []
    for path in (REPO / "services").glob("*/*/**/*.py"):
        if "/common/common/" in str(path) or "/tests/" in str(path) or ".venv" in str(path):
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"def parse_week\b", r"def (week_)?is_past\b", r"def today_of\b", r"ZoneInfo\(\"Europe/Paris\"\)",
                        r"timedelta\(hours=[12]\)\)\.date\(\)"):
            if re.search(pattern, text):
                found.append(f"{path.relative_to(REPO)}: {pattern}")
    assert found == []


# -- school holidays -------------------------------------------------------------------------------

def test_holiday_week_in_every_zone():
    assert H.holiday_zones("2026-W53") == ("A", "B", "C")  # 28 Dec 2026 - 1 Jan 2027 (Christmas)
    assert H.is_holiday_everywhere("2026-W44")  # Toussaint
    assert not H.is_holiday_everywhere("2026-W50")


@pytest.mark.parametrize("zone, week", [("A", "2027-W08"), ("B", "2027-W09"), ("C", "2027-W06")])
def test_a_winter_holiday_week_per_zone(zone, week):
    zones = H.holiday_zones(week)
    assert zone in zones and zones != H.ZONES


def test_public_holidays_count_as_days_off():
    assert H.is_public_holiday(dt.date(2027, 5, 6))  # Ascension 2027
    assert H.is_day_off(dt.date(2027, 5, 6), "A")
    assert not H.is_day_off(dt.date(2027, 5, 4), "A")


def test_beyond_the_package_the_calendar_is_unknown_loudly():
    with pytest.raises(H.HolidayCalendarUnknown) as e:
        H.holiday_zones("2029-W02")
    assert e.value.year == 2029 and "n'est pas encore connu" in str(e.value)
    assert H.holiday_zones("2029-W02", {"A": ["2029-W02"], "C": ["2029-W02"]}) == ("A", "C")


def test_zone_of_academie_by_code_or_name():
    assert H.zone_of_academie("01") == "C" and H.zone_of_academie("Paris") == "C"
    assert H.zone_of_academie("Orléans-Tours") == "B" and H.zone_of_academie("orleans-tours") == "B"
    assert H.zone_of_academie("10") == "A"
    assert H.zone_of_academie("Corse") is None and H.zone_of_academie("La Réunion") is None
    assert H.zone_of_academie(None) is None and H.zone_of_academie("Atlantide") is None


def test_one_syntax_and_one_legal_window_for_times_of_day():
    from common import daytime
    assert daytime.parse_time("09:30") == 570 and daytime.parse_time(" 8:05 ") == 485
    assert daytime.parse_time("24:00") is None and daytime.parse_time("9h30") is None and daytime.parse_time(930) is None
    assert daytime.within_legal_day(6 * 60) and daytime.within_legal_day(20 * 60)
    assert not daytime.within_legal_day(5 * 60 + 59) and not daytime.within_legal_day(20 * 60 + 1)
    assert daytime.fmt_minutes(570) == "9 h 30" and daytime.fmt_minutes(540) == "9 h"
