"""employer spaces

Revision ID: 0012_spaces
Revises: 0014_moderation

Offers record the employer space they belong to (``space_id``, identity's spaces): every member of the space
manages them; ``employer_id``/``owner_id`` stay their creator. Back-filled with ``employer_id``: the id of an
employer's personal space is their user id (partner offers have none).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0012_spaces"
down_revision = "0014_moderation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("offers", sa.Column("space_id", UUID(as_uuid=False), nullable=True))
    op.execute("UPDATE offers SET space_id = employer_id WHERE employer_id IS NOT NULL")
    op.create_index("ix_offers_space_id", "offers", ["space_id"])


def downgrade() -> None:
    op.drop_index("ix_offers_space_id", table_name="offers")
    op.drop_column("offers", "space_id")
