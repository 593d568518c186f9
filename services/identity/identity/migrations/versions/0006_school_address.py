"""schools: postal address from the ministry's directory (issue 13 item 3)

Revision ID: 0006_school_address
Revises: 0005_refresh_grace
Filled by the reference load (`python -m common.manage load-reference identity`, run by `setup`).
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_school_address"
down_revision = "0005_refresh_grace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schools", sa.Column("street_address", sa.String(200)))
    op.add_column("schools", sa.Column("address_complement", sa.String(200)))
    op.add_column("schools", sa.Column("address_postal_code", sa.String(5)))
    op.add_column("schools", sa.Column("address_city", sa.String(100)))


def downgrade() -> None:
    for name in ("address_city", "address_postal_code", "address_complement", "street_address"):
        op.drop_column("schools", name)
