"""accounts: identifier changes and employers' spaces

Revision ID: 0012_accounts
Revises: 0011_backoffice

- ``identifier_changes``: a new e-mail address or mobile number waiting for its confirmation (hashed secret).
- ``spaces``, ``space_members``, ``current_spaces``, ``space_invitations``: employers' teams. Every existing
  employer gets a personal space whose id is their own user id (named after their organisation or their
  name), with them as its owner and as their current space: the records of offers, applications and
  agreements back-filled with ``space_id = employer_id`` then belong to the right space without a rewrite.
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_accounts"
down_revision = "0011_backoffice"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "identifier_changes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("new_value", sa.String(254), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
    )
    op.create_table(
        "spaces",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "space_members",
        sa.Column("space_id", sa.String(36), sa.ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("joined_at", TS, nullable=False),
    )
    op.create_index("ix_space_members_user", "space_members", ["user_id"])
    op.create_table(
        "current_spaces",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("space_id", sa.String(36), sa.ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False),
    )
    op.create_table(
        "space_invitations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("space_id", sa.String(36), sa.ForeignKey("spaces.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("invited_by", sa.String(36), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("accepted_at", TS),
        sa.Column("accepted_by", sa.String(36)),
    )
    # One personal space per existing employer (anonymised accounts have none).
    op.execute("INSERT INTO spaces (id, name, created_at) "
               "SELECT id, LEFT(COALESCE(NULLIF(organisation_name, ''), first_name || ' ' || last_name), 200), "
               "created_at FROM users WHERE role = 'employer' AND status <> 'anonymized'")
    op.execute("INSERT INTO space_members (space_id, user_id, role, joined_at) "
               "SELECT id, id, 'owner', created_at FROM users WHERE role = 'employer' AND status <> 'anonymized'")
    op.execute("INSERT INTO current_spaces (user_id, space_id) "
               "SELECT id, id FROM users WHERE role = 'employer' AND status <> 'anonymized'")


def downgrade() -> None:
    for t in ("space_invitations", "current_spaces", "space_members", "spaces", "identifier_changes"):
        op.drop_table(t)
