"""personal-data lifecycle: the end-of-year rollover's runs (purge of agreements past their retention)

Revision ID: 0013_personal_data_lifecycle
Revises: 0012_spaces

``rollover_runs``: one row per school year, its progress per step (resumable: the last agreement id done;
idempotent: a finished run does nothing). docs/privacy.md.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013_personal_data_lifecycle"
down_revision = "0012_spaces"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rollover_runs",
        sa.Column("school_year", sa.String(9), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("progress", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def downgrade() -> None:
    op.drop_table("rollover_runs")
