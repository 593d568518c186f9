"""national sign-in: federated identities and staff in several schools

Revision ID: 0008_federation
Revises: 0007_stat_scope_codes

ÉduConnect (pupils) and FIM (school staff) identities linked to accounts (``federated_identities``: one
account per identity, one identity per provider and account), and the schools a staff member belongs to
(``school_memberships``). Existing staff keep their one school in ``users.school_uai``; no membership row
is needed for it (the row is written the first time they switch school or sign in through FIM).
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_federation"
down_revision = "0007_stat_scope_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "federated_identities",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_federated_identities_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("provider", "subject", name=op.f("pk_federated_identities")),
        sa.UniqueConstraint("user_id", "provider", name="uq_federated_identities_user_provider"),
    )
    op.create_table(
        "school_memberships",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("school_uai", sa.String(length=8), nullable=False),
        sa.Column("function", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.String(length=36), nullable=True),
        sa.Column("confirmed_how", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_school_memberships_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["school_uai"], ["schools.uai"],
                                name=op.f("fk_school_memberships_school_uai_schools")),
        sa.PrimaryKeyConstraint("user_id", "school_uai", name=op.f("pk_school_memberships")),
    )
    op.create_index(op.f("ix_school_memberships_school_uai"), "school_memberships", ["school_uai"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_school_memberships_school_uai"), table_name="school_memberships")
    op.drop_table("school_memberships")
    op.drop_table("federated_identities")
