"""The end-of-year rollover's transitions of grades (identity.domain.rollover)."""
import datetime as dt

import pytest

from common.errors import ValidationError
from identity.domain import rollover


def test_grades_move_up_or_leave():
    assert rollover.pupil_changes({"role": "pupil", "grade": "quatrieme", "class_name": "4B"}) == \
        {"grade": "troisieme", "class_name": None}
    for grade in ("troisieme", "seconde"):
        assert rollover.pupil_changes({"role": "pupil", "grade": grade, "class_name": "X"}) == \
            {"grade": None, "class_name": None, "school_uai": None}
    assert rollover.pupil_changes({"role": "pupil", "grade": None, "class_name": None}) == {}
    assert rollover.pupil_changes({"role": "employer", "grade": "quatrieme"}) == {}
    assert rollover.staff_changes({"classes": ["4A"]}) == {"classes": None} and rollover.staff_changes({}) == {}


def test_a_year_rolls_over_once_it_is_over():
    assert rollover.year_end("2026-2027") == dt.date(2027, 7, 1)
    rollover.check_ended("2026-2027", dt.date(2027, 7, 1))
    with pytest.raises(ValidationError) as e:
        rollover.check_ended("2026-2027", dt.date(2027, 6, 30))
    assert "à partir du 01/07/2027" in e.value.errors["school_year"][0]
    for bad in ("2026", "2026-2028", None, "abcd-efgh"):
        with pytest.raises(ValidationError):
            rollover.year_end(bad)
