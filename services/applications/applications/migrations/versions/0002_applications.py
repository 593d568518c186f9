"""applications, their history and transfer tokens

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("offer_id", sa.String(36), nullable=False),
        sa.Column("employer_id", sa.String(36), nullable=False),
        sa.Column("pupil_id", sa.String(36), nullable=False),
        sa.Column("school_uai", sa.String(10)),
        sa.Column("academie", sa.String(60)),
        sa.Column("school_category", sa.String(10), nullable=False, server_default="other"),
        sa.Column("grade", sa.String(12), nullable=False),
        sa.Column("weeks", postgresql.ARRAY(sa.String(8)), nullable=False),
        sa.Column("offer_title", sa.String(300)),
        sa.Column("pupil_name", sa.String(200)),
        sa.Column("school_name", sa.String(300)),
        sa.Column("class_name", sa.String(60)),
        sa.Column("motivation", sa.Text, nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(20)),
        sa.Column("address", sa.String(170)),
        sa.Column("legal_representative", postgresql.JSONB),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("accepted_at", TS),
        sa.Column("transferred_at", TS),
        sa.Column("restored_at", TS),
        sa.Column("nudged_at", TS),
        sa.Column("restore_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deadline_at", TS),
        sa.Column("deadline_action", sa.String(20)),
        sa.Column("reminder_at", TS),
        sa.Column("reminder_to", sa.String(10)),
        sa.Column("seat_held", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("idempotency_key", sa.String(100)),
        sa.UniqueConstraint("pupil_id", "offer_id", name="uq_applications_pupil_offer"),
    )
    # Only submissions that came with a key are indexed.
    op.create_index("uq_applications_pupil_idempotency_key", "applications", ["pupil_id", "idempotency_key"],
                    unique=True, postgresql_where=sa.text("idempotency_key IS NOT NULL"))
    # The timer scans overdue rows through this partial index only (settled applications have no deadline).
    op.create_index("ix_applications_deadline_at", "applications", ["deadline_at"],
                    postgresql_where=sa.text("deadline_at IS NOT NULL"))
    op.create_index("ix_applications_employer_state", "applications", ["employer_id", "state"])
    op.create_index("ix_applications_offer_id", "applications", ["offer_id"])
    op.create_index("ix_applications_school_uai", "applications", ["school_uai"])
    op.create_index("ix_applications_academie", "applications", ["academie"])
    op.create_index("ix_applications_seat_release", "applications", ["id"],
                    postgresql_where=sa.text("seat_held AND state <> 'confirmed'"))
    op.create_table(
        "application_transitions",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("application_id", sa.String(36), nullable=False),  # no FK: see models.py
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(40)),
        sa.Column("to_state", sa.String(40), nullable=False),
        sa.Column("actor_role", sa.String(30), nullable=False),
        sa.Column("actor_id", sa.String(36)),
        sa.Column("at", TS, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_application_transitions_application", "application_transitions", ["application_id", "id"])
    op.create_table(
        "transfer_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("application_id", sa.String(36), sa.ForeignKey("applications.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
    )
    op.create_index("ix_transfer_tokens_application", "transfer_tokens", ["application_id"])


def downgrade() -> None:
    op.drop_table("transfer_tokens")
    op.drop_table("application_transitions")
    op.drop_table("applications")
