import datetime as dt

import pytest

from offers.domain import calendar as cal

D = dt.date


def test_school_year_turns_on_1_july():
    assert cal.school_year_of(D(2026, 6, 30)) == "2025-2026"
    assert cal.school_year_of(D(2026, 7, 1)) == "2026-2027"
    assert cal.school_year_of(D(2027, 1, 15)) == "2026-2027"


def test_seconde_2026_is_15_to_26_june():
    d = cal.year_dates("2025-2026")
    assert (d["seconde_week1_start"], d["seconde_week1_end"]) == (D(2026, 6, 15), D(2026, 6, 19))
    assert (d["seconde_week2_start"], d["seconde_week2_end"]) == (D(2026, 6, 22), D(2026, 6, 26))
    assert cal.seconde_weeks("2025-2026", "both") == ["2026-W25", "2026-W26"]
    assert cal.seconde_weeks("2025-2026", "week1") == ["2026-W25"]
    assert cal.seconde_weeks("2025-2026", "week2") == ["2026-W26"]
    assert cal.seconde_period_dates("2025-2026", "both") == (D(2026, 6, 15), D(2026, 6, 26))


@pytest.mark.parametrize("year,last_friday", [("2026-2027", D(2027, 6, 25)), ("2027-2028", D(2028, 6, 30)),
                                              ("2028-2029", D(2029, 6, 29))])
def test_seconde_ends_on_last_friday_of_june(year, last_friday):
    d = cal.year_dates(year)
    assert d["seconde_week2_end"] == last_friday
    assert d["seconde_week1_start"] == last_friday - dt.timedelta(days=11)
    assert d["seconde_week1_start"].weekday() == 0


def test_college_weeks_2026_2027():
    weeks = cal.college_weeks("2026-2027")
    # 1 Sep 2026 is a Tuesday: first Monday is 7 Sep (W37); last Friday before 1 June 2027 is 28 May (W21)
    assert weeks[0] == "2026-W37" and cal.week_monday(weeks[0]) == D(2026, 9, 7)
    assert weeks[-1] == "2027-W21" and cal.week_friday(weeks[-1]) == D(2027, 5, 28)
    # 38 weeks from W37 to W21, less the 4 weeks of holidays in every zone (Toussaint W43-W44, Christmas W52-W53)
    assert len(weeks) == len(set(weeks)) == 34
    assert {"2026-W43", "2026-W44", "2026-W52", "2026-W53"}.isdisjoint(weeks)
    assert {"2027-W07", "2027-W08"} <= set(weeks)  # winter holidays: some zones only, the week stays


def test_college_starts_on_1_september_when_it_is_a_monday():
    assert cal.year_dates("2025-2026")["college_start"] == D(2025, 9, 1)


def test_admin_override():
    o = {"college_start": D(2026, 9, 14), "college_end": "2027-05-21", "seconde_week1_start": D(2027, 6, 7)}
    weeks = cal.college_weeks("2026-2027", o)
    assert weeks[0] == "2026-W38" and weeks[-1] == "2027-W20"
    assert cal.seconde_weeks("2026-2027", "both", o) == ["2027-W23", "2027-W24"]
    assert cal.check_override(o) == {}
    errs = cal.check_override({"college_start": "2027-05-01", "college_end": "2026-09-01",
                               "seconde_week1_start": "2027-06-08"})
    assert set(errs) == {"college_end", "seconde_week1_start"}


def test_week_parsing():
    assert cal.parse_week("2026-W53") == (2026, 53)
    assert cal.parse_week("2025-W53") is None  # 2025 has 52 ISO weeks
    assert cal.parse_week("2026-W5") is None
    assert cal.check_week("2026-37") == cal.MSG_WEEK_FORMAT
    assert cal.week_key(D(2027, 1, 1)) == "2026-W53"


def test_week_is_past_once_its_friday_is_over():
    # the one definition (common.weeks): W48 runs from Monday 23 to Friday 27 November 2026
    assert not cal.week_is_past("2026-W48", D(2026, 11, 27))
    assert cal.week_is_past("2026-W48", D(2026, 11, 28))  # Saturday
    assert cal.week_is_past("2026-W48", D(2026, 11, 29))  # Sunday


def test_holiday_weeks_by_zone():
    assert cal.holiday_zones("2026-W53") == ("A", "B", "C")  # 28 Dec 2026 - 1 Jan 2027
    assert cal.holiday_zones("2027-W07") == ("A", "C")
    assert cal.holiday_zones("2027-W09") == ("B",)
    assert cal.holiday_zones("2026-W50") == ()
    assert cal.holiday_weeks(["2026-W50", "2027-W06", "2027-W53x"]) == {"2027-W06": ["C"]}


def test_holiday_calendar_unknown_beyond_the_package_unless_overridden():
    with pytest.raises(cal.HolidayCalendarUnknown) as e:
        cal.holiday_zones("2029-W07")
    assert "2029" in str(e.value) and "administrateur" in str(e.value)
    assert cal.college_calendar_problem("2028-2029")
    over = {"holiday_weeks": {"A": ["2029-W07"], "B": [], "C": ["2029-W07", "2029-W08"]}}
    assert cal.holiday_zones("2029-W07", over) == ("A", "C")
    assert cal.college_calendar_problem("2028-2029", over) is None
    # a week the override makes a holiday everywhere leaves the 4e/3e weeks
    everywhere = {"holiday_weeks": {z: ["2027-W10"] for z in "ABC"}}
    assert "2027-W10" not in cal.college_weeks("2026-2027", everywhere)
    assert "2026-W53" in cal.college_weeks("2026-2027", everywhere)  # the override replaces the official one


def test_calendar_view_lists_holiday_weeks():
    v = cal.calendar_view("2026-2027")["college"]
    assert v["holiday_calendar"] == "official"
    assert v["holiday_weeks"]["2027-W08"] == ["A", "B"]
    assert "2026-W53" not in v["holiday_weeks"]  # not a 4e/3e week at all
    assert cal.calendar_view("2028-2029")["college"]["holiday_calendar"] == "unknown"


def test_check_override_holiday_weeks():
    assert cal.check_override({"holiday_weeks": {"A": ["2029-W07"]}}) == {}
    assert set(cal.check_override({"holiday_weeks": {"D": []}})) == {"holiday_weeks"}
    assert set(cal.check_override({"holiday_weeks": {"A": ["2029-7"]}})) == {"holiday_weeks.A"}
    assert cal.clean_holiday_weeks({"A": ["2029-W08", "2029-W07", "2029-W07"]}) == {
        "A": ["2029-W07", "2029-W08"], "B": [], "C": []}


def test_school_year_format():
    assert cal.check_school_year("2026-2027") is None
    assert cal.check_school_year("2026-2028") == cal.MSG_YEAR_FORMAT
    assert cal.offerable_school_years(D(2026, 11, 23)) == ["2026-2027", "2027-2028"]


def test_calendar_view():
    v = cal.calendar_view("2025-2026")
    assert v["seconde"]["both"]["start"] == "2026-06-15" and v["seconde"]["both"]["end"] == "2026-06-26"
    assert v["college"]["start"] == "2025-09-01"
