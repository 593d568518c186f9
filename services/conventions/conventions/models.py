"""Tables of the conventions service (its own database: no other service reads them)."""
from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, LargeBinary, String,
                        Table, func, text)
from sqlalchemy.dialects.postgresql import JSONB

from common.db import service_metadata

metadata, outbox, inbox = service_metadata()

# One convention per confirmed application (unique application_id).
conventions = Table(
    "conventions", metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), nullable=False, unique=True),
    Column("offer_id", String(36)),
    Column("organisation_id", String(36)),
    Column("school_uai", String(8), nullable=False, index=True),
    # where the pupil's school is, as codes (common.scopes): what statistics scopes filter on
    Column("academie_code", String(3), index=True),
    Column("departement_code", String(3), index=True),
    Column("region_code", String(3), index=True),
    Column("pupil_user_id", String(36), nullable=False, index=True),
    Column("employer_user_id", String(36), nullable=False, index=True),
    Column("space_id", String(36), nullable=False, index=True),   # the offer's employer space
    Column("grade", String(20), nullable=False),
    Column("class_name", String(60)),
    Column("pupil_name", String(210)),  # for the school's and employer's lists (sorted, searched)
    Column("weeks", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("state", String(30), nullable=False, index=True),
    Column("prefill", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("employer_fields", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("school_fields", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("frozen", JSONB),
    Column("document_hash", String(64)),
    Column("employer_completed_at", DateTime(timezone=True)),
    Column("school_completed_at", DateTime(timezone=True)),
    Column("validated_at", DateTime(timezone=True)),
    Column("signed_by_all_at", DateTime(timezone=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("cancel_reason", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Every signature given. Reopening marks them discarded (kept for the record); among the
# signatures still in force, one per role and one per signer (partial unique indexes).
signatures = Table(
    "signatures", metadata,
    Column("id", String(36), primary_key=True),
    Column("convention_id", String(36), ForeignKey("conventions.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("role", String(30), nullable=False),
    Column("signer_key", String(80), nullable=False),
    Column("signer_user_id", String(36)),
    Column("signer_name", String(200), nullable=False),
    Column("method", String(20), nullable=False),
    Column("signed_at", DateTime(timezone=True), nullable=False),
    Column("ip", String(64)),
    Column("user_agent", String(300)),
    Column("document_hash", String(64), nullable=False),
    Column("discarded_at", DateTime(timezone=True)),
    Index("uq_signatures_role_in_force", "convention_id", "role", unique=True,
          postgresql_where=text("discarded_at IS NULL")),
    Index("uq_signatures_signer_in_force", "convention_id", "signer_key", unique=True,
          postgresql_where=text("discarded_at IS NULL")),
)

# The employer's current signature code (one per user; only its salted hash).
signature_codes = Table(
    "signature_codes", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("salt", String(64), nullable=False),
    Column("code_hash", String(128), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
)

# Single-use links of the legal representatives (only the SHA-256 of the token).
legal_rep_links = Table(
    "legal_rep_links", metadata,
    Column("id", String(36), primary_key=True),
    Column("convention_id", String(36), ForeignKey("conventions.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("rep_index", Integer, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    # wrong names typed through this link; locked after links.MAX_NAME_ATTEMPTS (the school sends a new one)
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_at", DateTime(timezone=True)),
)

# The school's registered signature image (PNG/JPEG checked by content, <= 2 MB).
school_signatures = Table(
    "school_signatures", metadata,
    Column("school_uai", String(8), primary_key=True),
    Column("image", LargeBinary, nullable=False),
    Column("mime", String(20), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("uploaded_by", String(36)),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
)



# The last PDF rendered for each convention, reused while nothing it shows has changed (cache_key):
# the final document (signed by all) is then one fixed, sealed file.
documents = Table(
    "documents", metadata,
    Column("convention_id", String(36), ForeignKey("conventions.id", ondelete="CASCADE"), primary_key=True),
    Column("cache_key", String(64), nullable=False),
    Column("pdf", LargeBinary, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The end-of-year rollover of each school year (use_cases/rollover.py): progress per step, resumable.
rollover_runs = Table(
    "rollover_runs", metadata,
    Column("school_year", String(9), primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("progress", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)
