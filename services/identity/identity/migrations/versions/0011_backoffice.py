"""back-office: the administration journal and the schools' classes

Revision ID: 0011_backoffice
Revises: 0009_register

``admin_actions``: every admin action (who, when, what, on what, why), written in the same transaction as the
action. ``classes``: a school's classes, managed by its staff; filled here from the class names its pupils
already carry (the grade most of the class's pupils have). Accounts an admin locks take the status ``locked``
(a string column: no change).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_backoffice"
down_revision = "0009_register"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_actions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_actions")),
    )
    op.create_index("ix_admin_actions_at", "admin_actions", ["at"])
    op.create_index("ix_admin_actions_target_at", "admin_actions", ["target_id", "at"])
    op.create_index("ix_admin_actions_actor_at", "admin_actions", ["actor_id", "at"])
    op.create_table(
        "classes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("school_uai", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("grade", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["school_uai"], ["schools.uai"], name=op.f("fk_classes_school_uai_schools")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classes")),
    )
    op.create_index("uq_classes_school_name_live", "classes", ["school_uai", "name"], unique=True,
                    postgresql_where=sa.text("archived_at IS NULL"))
    op.execute("""
        INSERT INTO classes (id, school_uai, name, grade, created_at, updated_at)
        SELECT gen_random_uuid()::text, school_uai, class_name, mode() WITHIN GROUP (ORDER BY grade), now(), now()
        FROM users
        WHERE role = 'pupil' AND status <> 'anonymized' AND school_uai IS NOT NULL
          AND class_name IS NOT NULL AND btrim(class_name) <> ''
        GROUP BY school_uai, class_name
    """)


def downgrade() -> None:
    op.drop_index("uq_classes_school_name_live", table_name="classes")
    op.drop_table("classes")
    op.drop_index("ix_admin_actions_actor_at", table_name="admin_actions")
    op.drop_index("ix_admin_actions_target_at", table_name="admin_actions")
    op.drop_index("ix_admin_actions_at", table_name="admin_actions")
    op.drop_table("admin_actions")
