"""documents: the last rendered PDF of each convention

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("convention_id", sa.String(36),
                  sa.ForeignKey("conventions.id", ondelete="CASCADE", name="fk_documents_convention_id_conventions"),
                  primary_key=True),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("documents")
