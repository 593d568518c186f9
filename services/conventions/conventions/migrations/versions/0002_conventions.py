"""conventions, signatures, signature codes, legal representative links, school signatures

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "conventions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("offer_id", sa.String(36)),
        sa.Column("organisation_id", sa.String(36)),
        sa.Column("school_uai", sa.String(8), nullable=False),
        sa.Column("academie", sa.String(80)),
        sa.Column("pupil_user_id", sa.String(36), nullable=False),
        sa.Column("employer_user_id", sa.String(36), nullable=False),
        sa.Column("grade", sa.String(20), nullable=False),
        sa.Column("class_name", sa.String(60)),
        sa.Column("pupil_name", sa.String(210)),
        sa.Column("weeks", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("prefill", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("employer_fields", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("school_fields", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("frozen", postgresql.JSONB),
        sa.Column("document_hash", sa.String(64)),
        sa.Column("employer_completed_at", TZ),
        sa.Column("school_completed_at", TZ),
        sa.Column("validated_at", TZ),
        sa.Column("signed_by_all_at", TZ),
        sa.Column("cancelled_at", TZ),
        sa.Column("cancel_reason", sa.String(200)),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("application_id", name="uq_conventions_application_id"),
    )
    op.create_index("ix_conventions_school_uai", "conventions", ["school_uai"])
    op.create_index("ix_conventions_pupil_user_id", "conventions", ["pupil_user_id"])
    op.create_index("ix_conventions_employer_user_id", "conventions", ["employer_user_id"])
    op.create_index("ix_conventions_state", "conventions", ["state"])

    op.create_table(
        "signatures",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("convention_id", sa.String(36),
                  sa.ForeignKey("conventions.id", ondelete="CASCADE", name="fk_signatures_convention_id_conventions"),
                  nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("signer_key", sa.String(80), nullable=False),
        sa.Column("signer_user_id", sa.String(36)),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("signed_at", TZ, nullable=False),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(300)),
        sa.Column("document_hash", sa.String(64), nullable=False),
        sa.Column("discarded_at", TZ),
    )
    op.create_index("ix_signatures_convention_id", "signatures", ["convention_id"])
    op.create_index("uq_signatures_role_in_force", "signatures", ["convention_id", "role"], unique=True,
                    postgresql_where=sa.text("discarded_at IS NULL"))
    op.create_index("uq_signatures_signer_in_force", "signatures", ["convention_id", "signer_key"], unique=True,
                    postgresql_where=sa.text("discarded_at IS NULL"))

    op.create_table(
        "signature_codes",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("code_hash", sa.String(128), nullable=False),
        sa.Column("issued_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    )

    op.create_table(
        "legal_rep_links",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("convention_id", sa.String(36),
                  sa.ForeignKey("conventions.id", ondelete="CASCADE",
                                name="fk_legal_rep_links_convention_id_conventions"), nullable=False),
        sa.Column("rep_index", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("used_at", TZ),
        sa.Column("revoked_at", TZ),
        sa.UniqueConstraint("token_hash", name="uq_legal_rep_links_token_hash"),
    )
    op.create_index("ix_legal_rep_links_convention_id", "legal_rep_links", ["convention_id"])

    op.create_table(
        "school_signatures",
        sa.Column("school_uai", sa.String(8), primary_key=True),
        sa.Column("image", sa.LargeBinary, nullable=False),
        sa.Column("mime", sa.String(20), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(36)),
        sa.Column("uploaded_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("school_signatures")
    op.drop_table("legal_rep_links")
    op.drop_table("signature_codes")
    op.drop_table("signatures")
    op.drop_table("conventions")
