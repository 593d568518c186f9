"""Applying before the grade's application date (issue 21): refused with the date, from the offer snapshot's
``apply_from`` (offers' opening calendar), at the edge of the minute; no date means no restriction."""
import datetime as dt

import pytest

from applications.domain.opening import check_opening
from applications.domain.submission import OfferSnapshot
from common.errors import Forbidden

PARIS_14H = "2025-02-13T13:00:00+00:00"   # 13 February 2025 at 14:00 in Paris


def test_refused_until_the_grade_s_date_then_allowed():
    snap = OfferSnapshot.from_dict({"id": "o1", "state": "published", "grades": ["troisieme", "seconde"],
                                    "apply_from": {"troisieme": PARIS_14H, "seconde": None}})
    before = dt.datetime(2025, 2, 13, 12, 59, 59, tzinfo=dt.timezone.utc)
    with pytest.raises(Forbidden) as e:
        check_opening(snap.apply_from, "troisieme", before)
    assert e.value.code == "applications_not_open" and e.value.status == 403
    assert e.value.detail == ("Les candidatures des élèves de 3e ouvriront le 13 février 2025 à 14 h. "
                              "Vous pourrez postuler à partir de cette date.")
    assert e.value.extra == {"opens_at": PARIS_14H}
    check_opening(snap.apply_from, "troisieme", before + dt.timedelta(seconds=1))
    check_opening(snap.apply_from, "seconde", before)      # null: no restriction
    check_opening({}, "quatrieme", before)                 # an offers service that says nothing: no restriction
