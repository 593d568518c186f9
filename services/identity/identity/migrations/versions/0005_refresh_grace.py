"""refresh grace

Revision ID: 0005_refresh_grace
Revises: 0004_staff_confirmation
A used refresh token keeps the answer of its rotation, sealed with a key derived from the token,
so that a second use within a few seconds (two tabs) gets the same new pair (domain.refresh).
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_refresh_grace"
down_revision = "0004_staff_confirmation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("refresh_tokens", sa.Column("successor", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("refresh_tokens", "successor")
