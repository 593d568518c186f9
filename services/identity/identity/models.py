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
    # pending_activation | invited | pending_validation | active | locked (by an admin) | disabled | anonymized
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

# National sign-in: an account's identities at ÉduConnect / FIM (one per provider and account; one
# account per identity). ``subject`` is the provider's ``sub`` claim.
federated_identities = Table(
    "federated_identities", metadata,
    Column("provider", String(20), primary_key=True),      # educonnect | fim
    Column("subject", String(255), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("linked_at", TS, nullable=False),
    UniqueConstraint("user_id", "provider", name="uq_federated_identities_user_provider"),
)

# School staff in several schools: one row per (person, school). The current school's function and
# confirmation are those of ``users`` (school_uai, function, staff_confirmed_*); a switch saves them here
# and loads the other school's (domain.federation).
school_memberships = Table(
    "school_memberships", metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("school_uai", String(8), ForeignKey("schools.uai"), primary_key=True, index=True),
    Column("function", String(20), nullable=False),
    Column("source", String(10), nullable=False),           # fim | platform
    Column("confirmed_at", TS),
    Column("confirmed_by", String(36)),
    Column("confirmed_how", String(20)),                    # admin | head | invitation | federation | ...
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
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

# The administration journal: every admin action, written in the same transaction as the action
# (domain.audit: identifiers and facts in ``details``, never a secret).
admin_actions = Table(
    "admin_actions", metadata,
    Column("id", String(36), primary_key=True),
    Column("actor_id", String(36)),                        # the admin (null: the platform itself)
    Column("action", String(40), nullable=False),          # domain.audit.ACTIONS
    Column("target_kind", String(20), nullable=False),     # user | school | signing_key
    Column("target_id", String(64), nullable=False),
    Column("reason", Text),
    Column("details", JSONB, nullable=False),
    Column("at", TS, nullable=False),
    Index("ix_admin_actions_at", "at"),
    Index("ix_admin_actions_target_at", "target_id", "at"),
    Index("ix_admin_actions_actor_at", "actor_id", "at"),
)

# A school's classes, managed by its staff (domain.classes). Pupils keep their class by name
# (users.class_name), staff the classes they follow (users.classes): a rename updates both.
classes = Table(
    "classes", metadata,
    Column("id", String(36), primary_key=True),
    Column("school_uai", String(8), ForeignKey("schools.uai"), nullable=False),
    Column("name", String(40), nullable=False),
    Column("grade", String(12)),
    Column("created_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False),
    Column("archived_at", TS),                             # deleted (the name may be used again)
    Index("uq_classes_school_name_live", "school_uai", "name", unique=True,
          postgresql_where=text("archived_at IS NULL")),
)

# -- the national pupil register (SYGNE through Omogen) and the schools' internship weeks (identity.use_cases.register)
# Schools that use the register (set by admins); the CSV import stays for the others.
register_schools = Table(
    "register_schools", metadata,
    Column("school_uai", String(8), ForeignKey("schools.uai"), primary_key=True),
    Column("connected_at", TS, nullable=False),
    Column("connected_by", String(36)),
)

# One row per import of a school from the register: its progress report.
register_imports = Table(
    "register_imports", metadata,
    Column("id", String(36), primary_key=True),
    Column("school_uai", String(8), ForeignKey("schools.uai"), nullable=False),
    Column("trigger", String(10), nullable=False),          # request | nightly
    Column("requested_by", String(36)),
    Column("idempotency_key", String(100)),
    Column("status", String(10), nullable=False),           # queued | running | done | failed
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS),
    Column("counts", JSONB, nullable=False),                # created, updated, moved, unchanged, errors
    Column("errors", JSONB, nullable=False),                # [{"ine", "reason"}] (no names)
    Index("ix_register_imports_school_started", "school_uai", "started_at"),
    Index("ix_register_imports_queued", "started_at", postgresql_where=text("status = 'queued'")),
    UniqueConstraint("school_uai", "idempotency_key", name="uq_register_imports_key"),
)

# A pupil's legal guardians as the register tells them (replaced at each import of the pupil's school).
pupil_guardians = Table(
    "pupil_guardians", metadata,
    Column("id", String(36), primary_key=True),
    Column("pupil_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("rank", Integer, nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("first_name", String(100)),
    Column("relationship", String(60)),
    Column("email", String(254)),
    Column("phone", String(30)),
    Column("address", String(300)),
    Column("updated_at", TS, nullable=False),
    UniqueConstraint("pupil_id", "rank", name="uq_pupil_guardians_rank"),
)

# The weeks (ISO "YYYY-Www") during which a school's 3e pupils do their internship.
school_internship_weeks = Table(
    "school_internship_weeks", metadata,
    Column("school_uai", String(8), ForeignKey("schools.uai"), primary_key=True),
    Column("week", String(8), primary_key=True),
    Column("declared_at", TS, nullable=False),
    Column("declared_by", String(36)),
    Index("ix_school_internship_weeks_week", "week"),
)

# A new e-mail address or mobile number waiting for its confirmation (domain/profile.py): the hash of the
# link's token (e-mail) or of the code (phone, hashed with the account), until used or expired.
identifier_changes = Table(
    "identifier_changes", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(10), nullable=False),             # email | phone
    Column("new_value", String(254), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS),
)

# Employers' spaces (domain/spaces.py): a team sharing offers, applications and agreements. Every employer
# has a personal space whose id is the employer's user id (so existing records need no rewrite).
spaces = Table(
    "spaces", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
)

space_members = Table(
    "space_members", metadata,
    Column("space_id", String(36), ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(10), nullable=False),             # owner | member
    Column("joined_at", TS, nullable=False),
    Index("ix_space_members_user", "user_id"),
)

# The space an employer currently works in (carried in the access token as ``space_id``).
current_spaces = Table(
    "current_spaces", metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("space_id", String(36), ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False),
)

space_invitations = Table(
    "space_invitations", metadata,
    Column("id", String(36), primary_key=True),
    Column("space_id", String(36), ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("email", String(254), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("invited_by", String(36), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("accepted_at", TS),
    Column("accepted_by", String(36)),
)

# The end-of-year rollover of each school year (domain/rollover.py): progress per step, resumable.
rollover_runs = Table(
    "rollover_runs", metadata,
    Column("school_year", String(9), primary_key=True),
    Column("started_at", TS, nullable=False),
    Column("finished_at", TS),
    Column("progress", JSONB, nullable=False, server_default=text("'{}'::jsonb")),  # {step: {done, last_id, finished}}
)

__all__ = ["metadata", "schools", "school_heads", "staff_audit", "users", "federated_identities",
           "school_memberships", "one_time_tokens", "pupil_codes", "pupil_imports", "refresh_families",
           "refresh_tokens", "signing_keys", "login_locks", "rate_events", "admin_actions", "classes",
           "register_schools", "register_imports", "pupil_guardians", "school_internship_weeks",
           "identifier_changes", "spaces", "space_members", "current_spaces", "space_invitations",
           "rollover_runs", "outbox", "inbox", "text"]
