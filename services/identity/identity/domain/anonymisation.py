"""Retention: pupils are anonymised one year after their last activity, every
other account two years after."""
from __future__ import annotations

import datetime as dt

from .roles import ADMIN, PUPIL

PUPIL_RETENTION_YEARS = 1
OTHER_RETENTION_YEARS = 2
NEVER_ANONYMISED = (ADMIN,)        # the platform's administrators are not anonymised for inactivity
IMPORT_REPORT_RETENTION = dt.timedelta(days=30)   # rejected rows of a pupils import hold names and birth dates


def add_years(d: dt.datetime, years: int) -> dt.datetime:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February -> 28 February
        return d.replace(year=d.year + years, day=28)


def retention_years(role: str) -> int:
    return PUPIL_RETENTION_YEARS if role == PUPIL else OTHER_RETENTION_YEARS


def anonymisation_due_at(role: str, last_activity_at: dt.datetime) -> dt.datetime:
    return add_years(last_activity_at, retention_years(role))


def is_due(role: str, last_activity_at: dt.datetime, now: dt.datetime) -> bool:
    return role not in NEVER_ANONYMISED and now >= anonymisation_due_at(role, last_activity_at)


def inactivity_cutoffs(now: dt.datetime) -> dict[str, dt.datetime]:
    """Accounts whose last activity is at or before the cutoff are due (the batch query,
    ``queries.inactive_accounts``, with NEVER_ANONYMISED left out)."""
    return {"pupil": add_years(now, -PUPIL_RETENTION_YEARS), "other": add_years(now, -OTHER_RETENTION_YEARS)}


def anonymised_fields(user_id: str) -> dict:
    """Replacement values for personal fields; the row and its id stay so that
    other services' references remain valid."""
    return {
        "first_name": "Anonyme",
        "last_name": "Anonyme",
        "email": f"anonyme-{user_id}@anonyme.invalid",
        "phone": None,
        "password_hash": None,
        "job_title": None,
        "birth_date": None,
        "ine": None,
        "totp_secret": None,
    }
