"""reports and moderation of offers

Revision ID: 0014_moderation
Revises: 0010_opening_calendar

``offer_reports``: one open report per reporter and offer (a signed-in user ``user:<id>``, a visitor
``visitor:<sha256>``); closed by the admin's decision. ``offer_moderations``: every decision with its author
and reason. ``offers.moderation_hold``: hidden from the search until reviewed (``domain/moderation.py``);
``offers.moderation_status``: changes_requested / changes_made after a request for changes.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0014_moderation"
down_revision = "0010_opening_calendar"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("offers", sa.Column("moderation_hold", sa.Boolean, nullable=False, server_default="false"))
    op.add_column("offers", sa.Column("moderation_status", sa.String(20)))
    op.create_table(
        "offer_reports",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("offer_id", UUID(as_uuid=False), nullable=False),
        sa.Column("reporter_key", sa.Text, nullable=False),
        sa.Column("reporter_id", UUID(as_uuid=False)),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("text", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("moderation_id", UUID(as_uuid=False)),
    )
    op.create_index("offer_reports_open_once", "offer_reports", ["offer_id", "reporter_key"], unique=True,
                    postgresql_where=sa.text("closed_at IS NULL"))
    op.create_index("offer_reports_open_by_age", "offer_reports", ["created_at"],
                    postgresql_where=sa.text("closed_at IS NULL"))
    op.create_index("offer_reports_reporter", "offer_reports", ["reporter_id"])
    op.create_table(
        "offer_moderations",
        sa.Column("id", UUID(as_uuid=False), primary_key=True),
        sa.Column("offer_id", UUID(as_uuid=False), nullable=False, index=True),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("author_id", UUID(as_uuid=False), nullable=False),
        sa.Column("report_counts", JSONB, nullable=False),
        sa.Column("idempotency_key", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("offer_moderations_key", "offer_moderations", ["author_id", "idempotency_key"], unique=True,
                    postgresql_where=sa.text("idempotency_key IS NOT NULL"))


def downgrade() -> None:
    op.drop_table("offer_moderations")
    op.drop_table("offer_reports")
    op.drop_column("offers", "moderation_status")
    op.drop_column("offers", "moderation_hold")
