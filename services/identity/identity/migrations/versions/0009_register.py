"""the national pupil register (connected schools, import runs, guardians) and the schools' internship weeks

Revision ID: 0009_register
Revises: 0008_federation
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0009_register"
down_revision = "0008_federation"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "register_schools",
        sa.Column("school_uai", sa.String(8), sa.ForeignKey("schools.uai"), primary_key=True),
        sa.Column("connected_at", TS, nullable=False),
        sa.Column("connected_by", sa.String(36)),
    )
    op.create_table(
        "register_imports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("school_uai", sa.String(8), sa.ForeignKey("schools.uai"), nullable=False),
        sa.Column("trigger", sa.String(10), nullable=False),
        sa.Column("requested_by", sa.String(36)),
        sa.Column("idempotency_key", sa.String(100)),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("counts", JSONB, nullable=False),
        sa.Column("errors", JSONB, nullable=False),
        sa.UniqueConstraint("school_uai", "idempotency_key", name="uq_register_imports_key"),
    )
    op.create_index("ix_register_imports_school_started", "register_imports", ["school_uai", "started_at"])
    op.create_index("ix_register_imports_queued", "register_imports", ["started_at"],
                    postgresql_where=sa.text("status = 'queued'"))
    op.create_table(
        "pupil_guardians",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pupil_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("first_name", sa.String(100)),
        sa.Column("relationship", sa.String(60)),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(30)),
        sa.Column("address", sa.String(300)),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("pupil_id", "rank", name="uq_pupil_guardians_rank"),
    )
    op.create_index("ix_pupil_guardians_pupil_id", "pupil_guardians", ["pupil_id"])
    op.create_table(
        "school_internship_weeks",
        sa.Column("school_uai", sa.String(8), sa.ForeignKey("schools.uai"), primary_key=True),
        sa.Column("week", sa.String(8), primary_key=True),
        sa.Column("declared_at", TS, nullable=False),
        sa.Column("declared_by", sa.String(36)),
    )
    op.create_index("ix_school_internship_weeks_week", "school_internship_weeks", ["week"])


def downgrade():
    op.drop_table("school_internship_weeks")
    op.drop_table("pupil_guardians")
    op.drop_table("register_imports")
    op.drop_table("register_schools")
