"""a rejection is final; the employer may invite the pupil to apply again

Revision ID: 0004_reapply_invitation
Revises: 0003

``reapply_invited_at`` records the employer's invitation on a rejected application. The pupil may then
submit a new application to the same offer: the one-application-per-pupil-and-offer rule becomes a partial
unique index that leaves out rejected applications with an invitation. Existing rows have no invitation,
so the index holds exactly what the constraint held.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_reapply_invitation"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("reapply_invited_at", sa.DateTime(timezone=True)))
    op.drop_constraint("uq_applications_pupil_offer", "applications", type_="unique")
    op.create_index("uq_applications_pupil_offer", "applications", ["pupil_id", "offer_id"], unique=True,
                    postgresql_where=sa.text("reapply_invited_at IS NULL"))


def downgrade() -> None:
    op.drop_index("uq_applications_pupil_offer", table_name="applications")
    op.create_unique_constraint("uq_applications_pupil_offer", "applications", ["pupil_id", "offer_id"])
    op.drop_column("applications", "reapply_invited_at")
