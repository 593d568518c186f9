"""legal_rep_links: failed name attempts and lock (issue 13 item 4)

Revision ID: 0004_link_attempts
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_link_attempts"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("legal_rep_links", sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"))
    op.add_column("legal_rep_links", sa.Column("locked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("legal_rep_links", "locked_at")
    op.drop_column("legal_rep_links", "failed_attempts")
