"""employer spaces

Revision ID: 0012_spaces
Revises: 0005_scope_codes

Applications record their offer's employer space (``space_id``, identity's spaces): every member of the space
answers them; ``employer_id`` stays the offer's creator. Back-filled with ``employer_id``: the id of an
employer's personal space is their user id.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_spaces"
down_revision = "0005_scope_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("space_id", sa.String(36), nullable=True))
    op.execute("UPDATE applications SET space_id = employer_id")
    op.alter_column("applications", "space_id", nullable=False)
    op.create_index("ix_applications_space_id", "applications", ["space_id"])


def downgrade() -> None:
    op.drop_index("ix_applications_space_id", table_name="applications")
    op.drop_column("applications", "space_id")
