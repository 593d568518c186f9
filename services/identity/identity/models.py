"""Tables of the identity service (its own database: no other service reads them)."""
from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB

from common.db import service_metadata

metadata, outbox, inbox = service_metadata()

TS = DateTime(timezone=True)

# The schools directory (reference data, loaded by identity.reference).
schools = Table(
    "schools", metadata,
    Column("uai", String(8), primary_key=True),
    Column("kind", String(10), nullable=False),            # college | lycee
    Column("name", String(200), nullable=False),
    Column("sector", String(10), nullable=False),          # public | private
    Column("private_contract", String(100)),
    Column("status", String(20), nullable=False),          # OUVERT | A OUVRIR | A FERMER
    Column("postal_code", String(5)),
    Column("commune_insee", String(5)),
    Column("commune_name", String(100), nullable=False),
    Column("dep_code", String(3)),
    Column("academie_code", String(2)),
    Column("academie_name", String(50)),
    Column("lat", Float),
    Column("lon", Float),
    Column("education_prioritaire", String(5)),            # REP | REP+ | null
    Column("qpv", Boolean),
    Column("qpv_situation", String(40)),
    # postal address (ministry directory): printed on agreements
    Column("street_address", String(200)),
    Column("address_complement", String(200)),
    Column("address_postal_code", String(5)),
    Column("address_city", String(100)),
    Column("name_key", String(250), nullable=False),       # folded, for search
    Column("commune_key", String(150), nullable=False),
    Index("ix_schools_lat_lon", "lat", "lon"),
    Index("ix_schools_dep_code", "dep_code"),
)

users = Table(
    "users", metadata,
    Column("id", String(36), primary_key=True),
    Column("role", String(20), nullable=False),
    # pending_activation | invited | pending_validation | active | disabled | anonymized
    Column("status", String(20), nullable=False),
    Column("email", String(254), unique=True),
    Column("phone", String(20), unique=True),
    Column("password_hash", Text),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("function", String(20)),                        # school staff function
    Column("job_title", String(100)),                      # employers, operators, statisticians
    Column("organisation_name", String(200)),
    Column("school_uai", String(8), ForeignKey("schools.uai"), index=True),
    # pupils
    Column("grade", String(12)),
    Column("class_name", String(40)),
    Column("birth_date", Date),
    Column("ine", String(11), unique=True),
    Column("pupil_key", String(300)),
    # statisticians
    Column("stat_scope", String(20)),
    Column("stat_scope_code", String(10)),
    # admins (TOTP)
    Column("totp_secret", String(64)),
    Column("totp_last_step", BigInteger),
    Column("invited_by", String(36)),
    # school staff: the classes they follow (teachers told about "their" pupils)
    Column("classes", JSONB),
    # school staff: confirmed by someone accountable (docs/school-staff.md); null = can only read
    Column("staff_confirmed_at", TS),
    Column("staff_confirmed_by", String(36)),              # the confirming account (admin or head)
    Column("staff_confirmed_how", String(20)),             # admin | head | invitation | migration | demo
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("activated_at", TS),
    Column("last_login_at", TS),
    Column("last_activity_at", TS, nullable=False),
    Column("anonymized_at", TS),
    Column("warned_at", TS),                               # idle account warned of its anonymisation (privacy)
    UniqueConstraint("school_uai", "pupil_key", name="uq_users_school_pupil_key"),
    Index("ix_users_role_status_activity", "role", "status", "last_activity_at"),
)

# The designated head of each school (at most one; a change is explicit and audited).
school_heads = Table(
    "school_heads", metadata,
    Column("school_uai", String(8), ForeignKey("schools.uai"), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("designated_at", TS, nullable=False),
    Column("designated_by", String(36)),
)

# Audit trail of school-staff confirmations and head designations (kept; identifiers only).
staff_audit = Table(
    "staff_audit", metadata,
    Column("id", String(36), primary_key=True),
    Column("school_uai", String(8), nullable=False),
    Column("user_id", String(36), nullable=False),          # the staff member concerned
    Column("action", String(20), nullable=False),           # confirmed | head_designated
    Column("how", String(20)),                              # admin | head | invitation | migration | demo
    Column("actor_id", String(36)),
    Column("actor_role", String(20)),
    Column("previous_user_id", String(36)),                 # head_designated: the former head
    Column("at", TS, nullable=False),
    Index("ix_staff_audit_school_at", "school_uai", "at"),
)

# Single-use tokens (activation, password reset, invitation): only the SHA-256 is stored.
one_time_tokens = Table(
    "one_time_tokens", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS),
)

# One-time activation codes of imported pupils (hashed).
pupil_codes = Table(
    "pupil_codes", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("import_id", String(36)),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS),
)

pupil_imports = Table(
    "pupil_imports", metadata,
    Column("id", String(36), primary_key=True),
    Column("school_uai", String(8), ForeignKey("schools.uai"), nullable=False, index=True),
    Column("imported_by", String(36), nullable=False),
    Column("filename", String(255)),
    Column("file_sha256", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("summary", JSONB, nullable=False),
    Column("report", JSONB, nullable=False),
)

refresh_families = Table(
    "refresh_families", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("started_at", TS, nullable=False),
    Column("last_used_at", TS, nullable=False),
    Column("revoked_at", TS),
    Column("revoked_reason", String(30)),
    Column("ip", String(64)),
    Column("user_agent", String(300)),
)

refresh_tokens = Table(
    "refresh_tokens", metadata,
    Column("id", String(36), primary_key=True),
    Column("family_id", String(36), ForeignKey("refresh_families.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("issued_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS),
    Column("revoked_at", TS),
    # the answer of the rotation that used this token, sealed with it (domain.refresh.REUSE_GRACE)
    Column("successor", Text),
)

signing_keys = Table(
    "signing_keys", metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("public_pem", Text, nullable=False),
    Column("created_at", TS, nullable=False),
    Column("activated_at", TS, nullable=False),
    Column("retired_at", TS),
)

# Login lockout state, keyed by account ("user:<id>") or, for unknown identifiers,
# by the identifier itself, so that locked and unknown accounts look the same.
login_locks = Table(
    "login_locks", metadata,
    Column("key", String(300), primary_key=True),
    Column("failed_count", Integer, nullable=False, server_default="0"),
    Column("locked_until", TS),
    Column("updated_at", TS, nullable=False),
)

# Sliding-window rate limits: one row per counted event.
rate_events = Table(
    "rate_events", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("bucket", String(300), nullable=False),
    Column("at", TS, nullable=False),
    Index("ix_rate_events_bucket_at", "bucket", "at"),
)

# The end-of-year rollover of each school year (domain/rollover.py): progress per step, resumable.
rollover_runs = Table(
    "rollover_runs", metadata,
    Column("school_year", String(9), primary_key=True),
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS),
    Column("progress", JSONB, nullable=False, server_default=text("'{}'::jsonb")),  # {step: {done, last_id, finished}}
)

__all__ = ["metadata", "rollover_runs", "schools", "school_heads", "staff_audit", "users",
           "one_time_tokens", "pupil_codes", "pupil_imports", "refresh_families",
           "refresh_tokens", "signing_keys", "login_locks", "rate_events", "outbox", "inbox", "text"]
