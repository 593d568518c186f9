"""accounts schools tokens

Revision ID: 0002
Revises: 0001
Tables of accounts, schools, tokens, pupil imports, signing keys and rate limits.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('login_locks',
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('failed_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_locks'))
    )
    op.create_table('rate_events',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('bucket', sa.String(length=300), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rate_events'))
    )
    op.create_index('ix_rate_events_bucket_at', 'rate_events', ['bucket', 'at'], unique=False)
    op.create_table('schools',
    sa.Column('uai', sa.String(length=8), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('sector', sa.String(length=10), nullable=False),
    sa.Column('private_contract', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('postal_code', sa.String(length=5), nullable=True),
    sa.Column('commune_insee', sa.String(length=5), nullable=True),
    sa.Column('commune_name', sa.String(length=100), nullable=False),
    sa.Column('dep_code', sa.String(length=3), nullable=True),
    sa.Column('academie_code', sa.String(length=2), nullable=True),
    sa.Column('academie_name', sa.String(length=50), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('education_prioritaire', sa.String(length=5), nullable=True),
    sa.Column('qpv', sa.Boolean(), nullable=True),
    sa.Column('qpv_situation', sa.String(length=40), nullable=True),
    sa.Column('name_key', sa.String(length=250), nullable=False),
    sa.Column('commune_key', sa.String(length=150), nullable=False),
    sa.PrimaryKeyConstraint('uai', name=op.f('pk_schools'))
    )
    op.create_index('ix_schools_dep_code', 'schools', ['dep_code'], unique=False)
    op.create_index('ix_schools_lat_lon', 'schools', ['lat', 'lon'], unique=False)
    op.create_table('signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_pem', sa.Text(), nullable=False),
    sa.Column('public_pem', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_signing_keys'))
    )
    op.create_table('pupil_imports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('school_uai', sa.String(length=8), nullable=False),
    sa.Column('imported_by', sa.String(length=36), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('summary', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('report', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['school_uai'], ['schools.uai'], name=op.f('fk_pupil_imports_school_uai_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pupil_imports'))
    )
    op.create_index(op.f('ix_pupil_imports_school_uai'), 'pupil_imports', ['school_uai'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('function', sa.String(length=20), nullable=True),
    sa.Column('job_title', sa.String(length=100), nullable=True),
    sa.Column('organisation_name', sa.String(length=200), nullable=True),
    sa.Column('school_uai', sa.String(length=8), nullable=True),
    sa.Column('grade', sa.String(length=12), nullable=True),
    sa.Column('class_name', sa.String(length=40), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('ine', sa.String(length=11), nullable=True),
    sa.Column('pupil_key', sa.String(length=300), nullable=True),
    sa.Column('stat_scope', sa.String(length=20), nullable=True),
    sa.Column('stat_scope_code', sa.String(length=10), nullable=True),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_last_step', sa.BigInteger(), nullable=True),
    sa.Column('invited_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('anonymized_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['school_uai'], ['schools.uai'], name=op.f('fk_users_school_uai_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    sa.UniqueConstraint('ine', name=op.f('uq_users_ine')),
    sa.UniqueConstraint('phone', name=op.f('uq_users_phone')),
    sa.UniqueConstraint('school_uai', 'pupil_key', name='uq_users_school_pupil_key')
    )
    op.create_index('ix_users_role_status_activity', 'users', ['role', 'status', 'last_activity_at'], unique=False)
    op.create_index(op.f('ix_users_school_uai'), 'users', ['school_uai'], unique=False)
    op.create_table('one_time_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_one_time_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_one_time_tokens_token_hash'))
    )
    op.create_index(op.f('ix_one_time_tokens_user_id'), 'one_time_tokens', ['user_id'], unique=False)
    op.create_table('pupil_codes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.String(length=36), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pupil_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pupil_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_pupil_codes_code_hash'))
    )
    op.create_index(op.f('ix_pupil_codes_user_id'), 'pupil_codes', ['user_id'], unique=False)
    op.create_table('refresh_families',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=30), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_refresh_families_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_families'))
    )
    op.create_index(op.f('ix_refresh_families_user_id'), 'refresh_families', ['user_id'], unique=False)
    op.create_table('refresh_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['family_id'], ['refresh_families.id'], name=op.f('fk_refresh_tokens_family_id_refresh_families'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash'))
    )
    op.create_index(op.f('ix_refresh_tokens_family_id'), 'refresh_tokens', ['family_id'], unique=False)



def downgrade() -> None:

    op.drop_index(op.f('ix_refresh_tokens_family_id'), table_name='refresh_tokens')
    op.drop_table('refresh_tokens')
    op.drop_index(op.f('ix_refresh_families_user_id'), table_name='refresh_families')
    op.drop_table('refresh_families')
    op.drop_index(op.f('ix_pupil_codes_user_id'), table_name='pupil_codes')
    op.drop_table('pupil_codes')
    op.drop_index(op.f('ix_one_time_tokens_user_id'), table_name='one_time_tokens')
    op.drop_table('one_time_tokens')
    op.drop_index(op.f('ix_users_school_uai'), table_name='users')
    op.drop_index('ix_users_role_status_activity', table_name='users')
    op.drop_table('users')
    op.drop_index(op.f('ix_pupil_imports_school_uai'), table_name='pupil_imports')
    op.drop_table('pupil_imports')
    op.drop_table('signing_keys')
    op.drop_index('ix_schools_lat_lon', table_name='schools')
    op.drop_index('ix_schools_dep_code', table_name='schools')
    op.drop_table('schools')
    op.drop_index('ix_rate_events_bucket_at', table_name='rate_events')
    op.drop_table('rate_events')
    op.drop_table('login_locks')

