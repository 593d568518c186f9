"""messages, inbox, preferences, reminders

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox_items',
    sa.Column('id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
    sa.UniqueConstraint('message_id', name=op.f('uq_inbox_items_message_id'))
    )
    op.create_index('ix_inbox_items_unread', 'inbox_items', ['user_id'], unique=False, postgresql_where=sa.text('read_at IS NULL'))
    op.create_index('ix_inbox_items_user_created', 'inbox_items', ['user_id', sa.literal_column('created_at DESC')], unique=False)
    op.create_table('intents',
    sa.Column('id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('event_id', sa.String(length=300), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('recipient_kind', sa.String(length=32), nullable=False),
    sa.Column('recipient_value', sa.String(length=320), nullable=False),
    sa.Column('recipient_functions', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('recipient_extra', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('context', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intents')),
    sa.UniqueConstraint('key', name=op.f('uq_intents_key'))
    )
    op.create_index('ix_intents_due', 'intents', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('preferences',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('preferences', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_preferences'))
    )
    op.create_table('reminders',
    sa.Column('id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('key', sa.String(length=300), nullable=False),
    sa.Column('application_id', sa.String(length=36), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('context', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('source_occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
    sa.UniqueConstraint('key', name=op.f('uq_reminders_key'))
    )
    op.create_index('ix_reminders_application', 'reminders', ['application_id'], unique=False)
    op.create_index('ix_reminders_due', 'reminders', ['due_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_table('messages',
    sa.Column('id', sa.UUID(as_uuid=False), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('intent_id', sa.UUID(as_uuid=False), nullable=True),
    sa.Column('event_id', sa.String(length=300), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.String(length=400), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('address', sa.String(length=320), nullable=True),
    sa.Column('recipient_name', sa.String(length=300), nullable=True),
    sa.Column('context', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('provider_id', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['intent_id'], ['intents.id'], name=op.f('fk_messages_intent_id_intents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('key', 'channel', name='uq_messages_key_channel')
    )
    op.create_index('ix_messages_due', 'messages', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('ix_messages_event_id', 'messages', ['event_id'], unique=False)
    op.create_index('ix_messages_status_created', 'messages', ['status', 'created_at'], unique=False)
    op.create_index('ix_messages_user_id', 'messages', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_messages_user_id', table_name='messages')
    op.drop_index('ix_messages_status_created', table_name='messages')
    op.drop_index('ix_messages_event_id', table_name='messages')
    op.drop_index('ix_messages_due', table_name='messages', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('messages')
    op.drop_index('ix_reminders_due', table_name='reminders', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_reminders_application', table_name='reminders')
    op.drop_table('reminders')
    op.drop_table('preferences')
    op.drop_index('ix_intents_due', table_name='intents', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('intents')
    op.drop_index('ix_inbox_items_user_created', table_name='inbox_items')
    op.drop_index('ix_inbox_items_unread', table_name='inbox_items', postgresql_where=sa.text('read_at IS NULL'))
    op.drop_table('inbox_items')
