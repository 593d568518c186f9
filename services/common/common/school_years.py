"""School years (« 2026-2027 », turning on 1 July): when one is over, for the end-of-year rollover of every
service (docs/privacy.md). Side-effect free; messages in French."""
from __future__ import annotations

import datetime as dt
import re

from .errors import ValidationError

SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")


def year_end(school_year) -> dt.date:
    """1 July of the year's second calendar year; ValidationError on ``school_year`` when malformed."""
    m = SCHOOL_YEAR.match(school_year) if isinstance(school_year, str) else None
    if not m or int(m.group(2)) != int(m.group(1)) + 1:
        raise ValidationError(errors={"school_year": ["Année scolaire invalide (exemple : 2026-2027)."]})
    return dt.date(int(m.group(2)), 7, 1)


def check_ended(school_year, today: dt.date) -> None:
    """ValidationError on ``school_year`` unless it is over on ``today``."""
    end = year_end(school_year)
    if today < end:
        raise ValidationError(errors={"school_year": [
            f"L'année scolaire {school_year} n'est pas terminée : le passage à l'année suivante est possible à "
            f"partir du {end.strftime('%d/%m/%Y')}."]})
