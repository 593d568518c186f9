"""the opening calendar: per school year and grade, from when employers publish, pupils browse and apply

Revision ID: 0010_opening_calendar
Revises: 0004_holiday_weeks

One row per (school_year, grade) an admin set (``PUT /api/v1/admin/calendar/<school_year>``); a NULL date,
or a year without rows, means no restriction (``offers/domain/opening.py``).
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_opening_calendar"
down_revision = "0004_holiday_weeks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opening_calendar",
        sa.Column("school_year", sa.String(9), primary_key=True),
        sa.Column("grade", sa.String(12), primary_key=True),
        sa.Column("publish_from", sa.DateTime(timezone=True)),
        sa.Column("browse_from", sa.DateTime(timezone=True)),
        sa.Column("apply_from", sa.DateTime(timezone=True)),
        sa.Column("updated_by", sa.String(36)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("opening_calendar")
