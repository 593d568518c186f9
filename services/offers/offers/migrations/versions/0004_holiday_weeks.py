"""an admin's override of a year's school-holiday weeks by zone

Revision ID: 0004_holiday_weeks
Revises: 0003

``calendar_overrides.holiday_weeks`` ({"A": [weeks], "B": [...], "C": [...]}) replaces the official
school-holiday calendar (package vacances-scolaires-france) for one school year: for years the package
does not cover yet, or to correct it. NULL keeps the official calendar.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004_holiday_weeks"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("calendar_overrides", sa.Column("holiday_weeks", JSONB))


def downgrade() -> None:
    op.drop_column("calendar_overrides", "holiday_weeks")
