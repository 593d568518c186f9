"""Issue 13 item 5: the activation-code sheet prints Paris time, like agreements (never UTC)."""
import datetime as dt

from common.paris_time import format_paris_date, format_paris_datetime, paris
from identity.domain import sheet

UTC = dt.timezone.utc
ENTRY = [{"last_name": "A", "first_name": "a", "class_name": "3A", "grade": "troisieme", "code": "CCCC-DDDD"}]


def test_sheet_prints_paris_time_in_winter_and_summer():
    winter = sheet.codes_sheet_html({"uai": "0130001A", "name": "C"}, ENTRY, "u",
                                    dt.datetime(2026, 12, 5, 0, 20, tzinfo=UTC))
    assert "05/12/2026 à 01:20" in winter
    assert "UTC" not in winter and "00:20" not in winter
    summer = sheet.codes_sheet_html({"uai": "0130001A", "name": "C"}, ENTRY, "u",
                                    dt.datetime(2027, 6, 1, 22, 30, tzinfo=UTC))
    assert "02/06/2027 à 00:30" in summer   # the Paris day has already turned


def test_sheet_expiry_is_the_paris_date():
    html = sheet.codes_sheet_html({"uai": "0130001A", "name": "C"}, ENTRY, "u",
                                  dt.datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
                                  dt.datetime(2027, 3, 31, 23, 30, tzinfo=UTC))
    assert "jusqu'au 01/04/2027" in html


def test_paris_helpers_on_both_dst_changes():
    # 2027-03-28: 01:00 UTC is 03:00 CEST (the clocks jump); 2027-10-31: 01:00 UTC is 02:00 CET.
    assert format_paris_datetime(dt.datetime(2027, 3, 28, 0, 59, tzinfo=UTC)) == "28/03/2027 à 01:59"
    assert format_paris_datetime(dt.datetime(2027, 3, 28, 1, 0, tzinfo=UTC)) == "28/03/2027 à 03:00"
    assert format_paris_datetime(dt.datetime(2027, 10, 31, 0, 59, tzinfo=UTC)) == "31/10/2027 à 02:59"
    assert format_paris_datetime(dt.datetime(2027, 10, 31, 1, 0, tzinfo=UTC)) == "31/10/2027 à 02:00"
    assert format_paris_date(dt.datetime(2027, 7, 14, 22, 0, tzinfo=UTC)) == "15/07/2027"
    assert paris(dt.datetime(2027, 1, 1, 12, 0)).utcoffset() == dt.timedelta(hours=1)   # naive = UTC
