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
    assert len(weeks) == len(set(weeks)) == 38
    assert "2026-W53" in weeks  # 2026 has 53 ISO weeks (28 Dec 2026 - 3 Jan 2027)


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


def test_week_is_past_after_its_saturday():
    assert not cal.week_is_past("2026-W48", D(2026, 11, 28))
    assert cal.week_is_past("2026-W48", D(2026, 11, 29))


def test_school_year_format():
    assert cal.check_school_year("2026-2027") is None
    assert cal.check_school_year("2026-2028") == cal.MSG_YEAR_FORMAT
    assert cal.offerable_school_years(D(2026, 11, 23)) == ["2026-2027", "2027-2028"]


def test_calendar_view():
    v = cal.calendar_view("2025-2026")
    assert v["seconde"]["both"]["start"] == "2026-06-15" and v["seconde"]["both"]["end"] == "2026-06-26"
    assert v["college"]["start"] == "2025-09-01"
