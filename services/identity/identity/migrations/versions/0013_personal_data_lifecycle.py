"""personal-data lifecycle: idle accounts warned before their anonymisation

Revision ID: 0013_personal_data_lifecycle
Revises: 0012_accounts

``users.warned_at``: when the idle timer warned the account that it would be anonymised (docs/privacy.md);
null once the person signs in again. ``rollover_runs``: the end-of-year rollover of each school year and its
progress per step (resumable: the last user id done; idempotent: a finished run does nothing).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013_personal_data_lifecycle"
down_revision = "0012_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "rollover_runs",
        sa.Column("school_year", sa.String(9), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("progress", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )


def downgrade() -> None:
    op.drop_table("rollover_runs")
    op.drop_column("users", "warned_at")
