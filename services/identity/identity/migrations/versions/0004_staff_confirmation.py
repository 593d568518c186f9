"""staff confirmation

Revision ID: 0004_staff_confirmation
Revises: 0003
School-staff accounts are confirmed by someone accountable before they act for their school; each
school has at most one designated head; confirmations and head changes are audited.

Existing school-staff accounts were never confirmed by anyone (only their e-mail domain was checked):
they stay unconfirmed (read only) until an admin confirms the first head of each school, who then
confirms colleagues (docs/school-staff.md, "Migration"). No school has a designated head yet.
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_staff_confirmation"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("staff_confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("staff_confirmed_by", sa.String(length=36), nullable=True))
    op.add_column("users", sa.Column("staff_confirmed_how", sa.String(length=20), nullable=True))
    op.create_table(
        "school_heads",
        sa.Column("school_uai", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("designated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("designated_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["school_uai"], ["schools.uai"], name=op.f("fk_school_heads_school_uai_schools")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_school_heads_user_id_users")),
        sa.PrimaryKeyConstraint("school_uai", name=op.f("pk_school_heads")),
    )
    op.create_index(op.f("ix_school_heads_user_id"), "school_heads", ["user_id"], unique=False)
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("school_uai", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("how", sa.String(length=20), nullable=True),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("previous_user_id", sa.String(length=36), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_audit")),
    )
    op.create_index("ix_staff_audit_school_at", "staff_audit", ["school_uai", "at"], unique=False)
    # Existing school staff: unconfirmed (staff_confirmed_at stays NULL). Admins list them with
    # GET /api/v1/admin/school-staff?confirmed=false and confirm each school's first head.


def downgrade() -> None:
    op.drop_index("ix_staff_audit_school_at", table_name="staff_audit")
    op.drop_table("staff_audit")
    op.drop_index(op.f("ix_school_heads_user_id"), table_name="school_heads")
    op.drop_table("school_heads")
    op.drop_column("users", "staff_confirmed_how")
    op.drop_column("users", "staff_confirmed_by")
    op.drop_column("users", "staff_confirmed_at")
