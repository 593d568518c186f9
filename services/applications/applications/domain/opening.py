"""Applying before the grade's application date (opening calendar of issue 21): refused with the date.

The offers service owns the calendar; the offer snapshot it answers (``offers.get_offer``, asked at every
submission anyway) carries ``apply_from`` {grade: ISO datetime or null} for the offer's school year, so
this service keeps no copy and makes no extra call. The time rule and its sentence: ``common.opening``."""
from __future__ import annotations

import datetime as dt

from common import opening as O
from common.errors import Forbidden


def check_opening(apply_from: dict, grade: str | None, now: dt.datetime) -> None:
    """Forbidden (403 ``applications_not_open``) before ``grade``'s application date (None: no restriction)."""
    at = (apply_from or {}).get(grade)
    if not O.is_open(now, at):
        at = O.parse_moment(at)
        raise Forbidden(O.apply_message(grade, at), code="applications_not_open",
                        extra={"opens_at": at.isoformat()})
