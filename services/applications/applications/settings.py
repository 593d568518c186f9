"""Settings of the applications service (environment variables, read once at import; common.settings)."""
from common import settings

# How often the timer expires overdue applications (seconds). A deadline is never passed by more.
TIMER_SECONDS = settings.env_float("APPLICATIONS_EXPIRY_INTERVAL", 60.0)
# Each expiry batch is one short transaction; concurrent loops share PostgreSQL's cores (more loops than
# cores only added lock and buffer contention: 200,000 expiries took 10.4 s with 3 loops, 8.7 s with 2)
EXPIRY_BATCH = int(settings.env_float("APPLICATIONS_EXPIRY_BATCH", 5_000))
EXPIRY_WORKERS = int(settings.env_float("APPLICATIONS_EXPIRY_WORKERS", 2))
# identity answers display snapshots only: a short deadline, the application does not depend on them
IDENTITY_TIMEOUT = settings.env_float("APPLICATIONS_IDENTITY_TIMEOUT", 3.0)
# a pupil applying to several offers in a row: one identity lookup per pupil per few minutes
PROFILE_TTL = 300.0
# seat reconciliation: offers being down never holds the timer (and the expiries behind it) for long
RECONCILE_TIMEOUT = 3.0
RECONCILE_LIMIT = 50

MAX_BULK = 200
EXPORT_LIMIT = 20_000
