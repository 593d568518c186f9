"""employer spaces

Revision ID: 0012_spaces
Revises: 0005_scope_codes

Agreements record their offer's employer space (``space_id``, identity's spaces): every member of the space fills
and signs the employer's part; ``employer_user_id`` stays the offer's creator. Back-filled with
``employer_user_id``: the id of an employer's personal space is their user id.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_spaces"
down_revision = "0005_scope_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("conventions", sa.Column("space_id", sa.String(36), nullable=True))
    op.execute("UPDATE conventions SET space_id = employer_user_id")
    op.alter_column("conventions", "space_id", nullable=False)
    op.create_index("ix_conventions_space_id", "conventions", ["space_id"])


def downgrade() -> None:
    op.drop_index("ix_conventions_space_id", table_name="conventions")
    op.drop_column("conventions", "space_id")
