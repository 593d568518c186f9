"""Tables of the applications service (its own database: no other service reads them)."""
from sqlalchemy import (BigInteger, Boolean, Column, Computed, DateTime, ForeignKey, Index, Integer, String,
                        Table, Text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from common.db import service_metadata

metadata, outbox, inbox = service_metadata()

TS = DateTime(timezone=True)

applications = Table(
    "applications", metadata,
    Column("id", String(36), primary_key=True),
    Column("offer_id", String(36), nullable=False),
    Column("employer_id", String(36), nullable=False),     # the offer's creator
    Column("space_id", String(36), nullable=False),        # the offer's employer space (identity's spaces)
    Column("pupil_id", String(36), nullable=False),
    Column("school_uai", String(10)),
    # where the pupil's school is, as codes (common.scopes): what statistics scopes filter on
    Column("academie_code", String(3)),
    Column("departement_code", String(3)),
    Column("region_code", String(3)),
    Column("school_category", String(10), nullable=False, server_default="other"),
    Column("grade", String(12), nullable=False),
    Column("weeks", ARRAY(String(8)), nullable=False),
    # snapshots for display (taken at submission)
    Column("offer_title", String(300)),
    Column("pupil_name", String(200)),
    Column("school_name", String(300)),
    Column("class_name", String(60)),
    # the form
    Column("motivation", Text, nullable=False),
    Column("email", String(254)),
    Column("phone", String(20)),
    Column("address", String(170)),
    Column("legal_representative", JSONB),
    # state and dates
    Column("state", String(40), nullable=False),
    Column("submitted_at", TS, nullable=False),
    Column("accepted_at", TS),
    Column("transferred_at", TS),
    Column("restored_at", TS),
    Column("nudged_at", TS),
    # the employer invited the pupil to apply again after a (final) rejection: a new application is allowed
    Column("reapply_invited_at", TS),
    Column("restore_count", Integer, nullable=False, server_default="0"),
    Column("updated_at", TS, nullable=False),
    # the timer's columns (see domain/deadlines.py)
    Column("deadline_at", TS),
    Column("deadline_action", String(20)),
    Column("reminder_at", TS),
    Column("reminder_to", String(10)),
    # a seat is held in offers for this application (reconciled by the timer)
    Column("seat_held", Boolean, nullable=False, server_default="false"),
    Column("idempotency_key", String(100)),
    # a seat still held by an application that is no longer confirmed (a release to retry): computed, so
    # that the index the timer's reconciliation reads depends on this flag only, not on the state
    Column("seat_release_due", Boolean, Computed("seat_held AND state <> 'confirmed'", persisted=True)),
)
# One live application per pupil and offer; a rejected one whose pupil was invited to apply again no longer counts.
Index("uq_applications_pupil_offer", applications.c.pupil_id, applications.c.offer_id, unique=True,
      postgresql_where=applications.c.reapply_invited_at.is_(None))
# Only submissions that came with a key are indexed (ON CONFLICT infers this partial unique index).
Index("uq_applications_pupil_idempotency_key", applications.c.pupil_id, applications.c.idempotency_key,
      unique=True, postgresql_where=applications.c.idempotency_key.isnot(None))
# No index of applications depends on the state or on the clock's columns, which most transitions write:
# such a transition then rewrites its row in place (a HOT update, in the room the table's fillfactor of 60
# leaves in each page, migration 0003) instead of adding an entry to each of the table's six indexes.
# Expiring 200,000 applications cost PostgreSQL 12-13 CPU-s with the state and the deadline indexed, 7-8
# without (bench/README.md); test_a_transition_rewrites_its_row_in_place checks it.
Index("ix_applications_employer_id", applications.c.employer_id)
Index("ix_applications_space_id", applications.c.space_id)
Index("ix_applications_offer_id", applications.c.offer_id)
Index("ix_applications_school_uai", applications.c.school_uai)
Index("ix_applications_academie_code", applications.c.academie_code)
Index("ix_applications_departement_code", applications.c.departement_code)
Index("ix_applications_region_code", applications.c.region_code)
Index("ix_applications_seat_release", applications.c.id, postgresql_where=applications.c.seat_release_due)

# The timer's queue: one row per application whose clock runs, due when its deadline is. Kept by triggers
# on applications.deadline_at (migration 0003): a new or moved deadline is queued (upsert); a cleared one
# leaves its row, which the timer drops when it comes due (the application's own deadline_at decides).
deadlines = Table(
    "application_deadlines", metadata,
    Column("application_id", String(36), ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True),
    Column("due_at", TS, nullable=False),
)
Index("ix_application_deadlines_due_at", deadlines.c.due_at)

transitions = Table(
    "application_transitions", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    # no foreign key: the timer writes thousands of rows per statement and a FK trigger per row costs more
    # than it protects (history rows are only ever written beside their application, in its transaction)
    Column("application_id", String(36), nullable=False),
    Column("action", String(40), nullable=False),
    Column("from_state", String(40)),
    Column("to_state", String(40), nullable=False),
    Column("actor_role", String(30), nullable=False),
    Column("actor_id", String(36)),
    Column("at", TS, nullable=False),
    Column("reason", Text),
    Column("message", Text),
)
Index("ix_application_transitions_application", transitions.c.application_id, transitions.c.id)

transfer_tokens = Table(
    "transfer_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("used_at", TS),
)
Index("ix_transfer_tokens_application", transfer_tokens.c.application_id)
