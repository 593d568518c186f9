"""Retention: pupils are anonymised one year after their last activity, every
other account two years after; each is warned WARNING_NOTICE (14 days) before, and anonymised only once
warned that long ago and still idle (a sign-in clears the warning)."""
from __future__ import annotations

import datetime as dt

from .roles import ADMIN, PUPIL

PUPIL_RETENTION_YEARS = 1
OTHER_RETENTION_YEARS = 2
NEVER_ANONYMISED = (ADMIN,)        # the platform's administrators are not anonymised for inactivity
IMPORT_REPORT_RETENTION = dt.timedelta(days=30)   # rejected rows of a pupils import hold names and birth dates
WARNING_NOTICE = dt.timedelta(days=14)   # an idle account is warned this long before its anonymisation
WARN, ANONYMISE = "warn", "anonymise"


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


def warning_due_at(role: str, last_activity_at: dt.datetime) -> dt.datetime:
    return anonymisation_due_at(role, last_activity_at) - WARNING_NOTICE


def in_warning_window(role: str, last_activity_at: dt.datetime, now: dt.datetime) -> bool:
    """Within WARNING_NOTICE of the retention threshold, or past it: the idle timer looks at the account."""
    return role not in NEVER_ANONYMISED and now >= warning_due_at(role, last_activity_at)


def is_warned(last_activity_at: dt.datetime, warned_at: dt.datetime | None) -> bool:
    """Warned since the last activity (a warning older than the last activity no longer counts)."""
    return warned_at is not None and warned_at >= last_activity_at


def anonymised_on(role: str, last_activity_at: dt.datetime, warned_at: dt.datetime) -> dt.datetime:
    """When a warned account will be anonymised if it stays idle (the date told in the warning)."""
    return max(anonymisation_due_at(role, last_activity_at), warned_at + WARNING_NOTICE)


def idle_step(role: str, last_activity_at: dt.datetime, warned_at: dt.datetime | None,
              now: dt.datetime) -> str | None:
    """What the idle timer does to an account now: WARN (not yet warned, within WARNING_NOTICE of its
    threshold), ANONYMISE (warned at least WARNING_NOTICE ago and still idle, threshold reached), or None."""
    if not in_warning_window(role, last_activity_at, now):
        return None
    if not is_warned(last_activity_at, warned_at):
        return WARN
    return ANONYMISE if now >= anonymised_on(role, last_activity_at, warned_at) else None


def inactivity_cutoffs(now: dt.datetime) -> dict[str, dt.datetime]:
    """Accounts whose last activity is at or before the cutoff are in the warning window (the batch query,
    ``queries.inactive_accounts``, with NEVER_ANONYMISED left out): ``in_warning_window``."""
    return {"pupil": add_years(now + WARNING_NOTICE, -PUPIL_RETENTION_YEARS),
            "other": add_years(now + WARNING_NOTICE, -OTHER_RETENTION_YEARS)}


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


# -- deleting one's own account (on request) ------------------------------------------------------------
DELETION_CONFIRM_WITH = "password"   # the confirmation: the account's password entered again (docs/privacy.md)
DELETION_PER_ACCOUNT_ATTEMPTS = 5    # wrong passwords per DELETION_ATTEMPTS_WINDOW before a pause
DELETION_ATTEMPTS_WINDOW = dt.timedelta(minutes=15)


def may_delete_own_account(role: str) -> bool:
    """Administrators are closed by another administrator, never by themselves (nor for idleness)."""
    return role not in NEVER_ANONYMISED


def deletion_held_message(held_until: dt.date | None) -> str:
    """What a person is told when an agreement in progress holds the deletion of their account
    (``held_until``: the first day it will be possible, as the conventions service says)."""
    if held_until is None:
        return ("Votre compte ne peut pas être supprimé pour l'instant : une convention de stage vous concernant "
                "est en cours. Il pourra l'être une fois la convention signée et le stage terminé.")
    return ("Votre compte ne peut pas être supprimé pour l'instant : une convention de stage vous concernant "
            f"est en cours. Vous pourrez le supprimer à partir du {held_until.strftime('%d/%m/%Y')}.")
