from common.errors import FieldErrors

from common.daytime import parse_time
from conventions.domain.hours import check_schedule, schedule_rows


def check(schedule):
    errors = FieldErrors()
    summary = check_schedule(schedule, errors)
    return summary, errors.errors


def same(start="09:00", end="16:30", bs="12:00", be="13:00", weekdays=None):
    s = {"mode": "same", "same": {"start": start, "end": end, "break_start": bs, "break_end": be}}
    if weekdays is not None:
        s["weekdays"] = weekdays
    return s


def test_parse_time():
    assert parse_time("09:30") == 570
    assert parse_time("9:05") == 545
    for bad in ("24:00", "9h30", "", None, "12:60"):
        assert parse_time(bad) is None


def test_same_hours_every_day_is_valid_and_summed():
    summary, errors = check(same())
    assert errors == {}
    assert summary["days"] == {d: 390 for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    assert summary["week_minutes"] == 5 * 390  # 32 h 30


def test_more_than_seven_hours_a_day_is_refused():
    _, errors = check(same(start="08:00", end="17:00", bs="12:00", be="13:00"))  # 8 h
    assert any("7 h par jour" in m for m in errors["hours.same"])


def test_break_of_thirty_minutes_required_beyond_four_hours_thirty():
    _, errors = check(same(start="09:00", end="14:00", bs=None, be=None))  # 5 h without a break
    assert any("30 minutes" in m for m in errors["hours.same"])
    _, errors = check(same(start="09:00", end="14:20", bs="12:00", be="12:20"))  # 20-minute break is too short
    assert any("30 minutes" in m for m in errors["hours.same"])
    summary, errors = check(same(start="09:00", end="13:30", bs=None, be=None))  # exactly 4 h 30: fine
    assert errors == {} and summary["days"]["monday"] == 270


def test_uninterrupted_stretch_above_four_hours_thirty_refused_even_with_a_break():
    _, errors = check(same(start="08:00", end="15:00", bs="13:00", be="13:30"))  # 5 h then 1 h 30
    assert any("4 h 30" in m for m in errors["hours.same"])


def test_more_than_35_hours_a_week_is_refused():
    per_day = {"mode": "per_day", "days": {d: {"start": "08:30", "end": "16:30", "break_start": "12:00",
                                               "break_end": "13:00"}
                                           for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")}}
    summary, errors = check(per_day)  # 6 x 7 h = 42 h
    assert summary["week_minutes"] == 42 * 60
    assert any("35 h par semaine" in m for m in errors["hours"])


def test_at_least_four_complete_days():
    _, errors = check(same(weekdays=["monday", "tuesday", "wednesday"]))
    assert any("au moins 4 journées complètes" in m for m in errors["hours"])
    per_day = {"mode": "per_day", "days": {"monday": {"start": "09:00", "end": "12:00"},
                                           "tuesday": {"start": "09:00", "end": "12:00"},
                                           "wednesday": {"start": "09:00", "end": "12:00"},
                                           "thursday": None, "friday": {}}}
    _, errors = check(per_day)
    assert any("(3 renseignée(s))" in m for m in errors["hours"])


def test_incomplete_day_lists_every_error():
    per_day = {"mode": "per_day", "days": {"monday": {"start": "09:00"}, "tuesday": {"start": "25:00", "end": "12:00"},
                                           "wednesday": {"start": "14:00", "end": "10:00"},
                                           "thursday": {"start": "09:00", "end": "12:00", "break_start": "11:00"},
                                           "sunday": {"start": "09:00", "end": "12:00"}}}
    _, errors = check(per_day)
    assert errors["hours.days.monday.end"] == ["Indiquez l'heure de départ."]
    assert "Heure invalide" in errors["hours.days.tuesday.start"][0]
    assert "postérieure" in errors["hours.days.wednesday.end"][0]
    assert "pause" in errors["hours.days.thursday.break_end"][0]
    assert errors["hours.days.sunday"] == ["Jour inconnu."]


def test_night_work_is_refused():
    _, errors = check(same(start="14:00", end="21:00", bs="17:00", be="17:30"))
    assert any("20 h et 6 h" in m for m in errors["hours.same"])


def test_break_outside_the_day_and_bad_mode():
    _, errors = check(same(bs="08:00", be="08:30"))
    assert "entre l'heure d'arrivée" in errors["hours.same.break_start"][0]
    _, errors = check({"mode": "weekly"})
    assert "hours.mode" in errors
    _, errors = check("9h-17h")
    assert errors["hours"] == ["Indiquez les horaires de l'élève."]


def test_rows_for_the_annex():
    rows = schedule_rows(same())
    assert [r["day"] for r in rows] == ["Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi"]
    assert rows[0] == {"day": "Lundi", "start": "09:00", "end": "16:30", "pause": "12:00 – 13:00", "total": "6 h 30"}
    rows = schedule_rows({"mode": "per_day", "days": {"monday": {"start": "09:00", "end": "12:00"}}})
    assert rows[0]["total"] == "3 h" and rows[1]["total"] == "Repos"
