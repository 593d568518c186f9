"""staff classes

Revision ID: 0003
Revises: 0002
The classes a member of staff follows (teachers of a pupil's class).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("classes", postgresql.JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "classes")
