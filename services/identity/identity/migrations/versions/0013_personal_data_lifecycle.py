"""personal-data lifecycle: idle accounts warned before their anonymisation

Revision ID: 0013_personal_data_lifecycle
Revises: 0007_stat_scope_codes

``users.warned_at``: when the idle timer warned the account that it would be anonymised (docs/privacy.md);
null once the person signs in again.
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_personal_data_lifecycle"
down_revision = "0007_stat_scope_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "warned_at")
