"""Tables of the notifications service (its own database: no other service reads them).

- ``intents``: one per (event, recipient reference, template): what an event (or a direct call, or a
  reminder) asks to tell. The dispatcher resolves the recipient by RPC (identity) into ``messages``.
- ``messages``: the message record, one per (event, recipient, template) and channel: status,
  attempts, last error, next attempt (``domain/records.py``). Unique on (key, channel): sending is
  idempotent per (event, recipient, template).
- ``inbox_items``: the in-app inbox of each user (a delivered ``in_app`` message).
- ``preferences``: what each user chose not to receive (optional messages, email/SMS).
- ``reminders``: reminders planned from application events (``domain/reminders.py``).
- ``convention_signers``: who signed each agreement so far (from convention.signed, reset when reopened),
  to write only to the signatories still awaited.
"""
from sqlalchemy import (Column, DateTime, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from common.db import service_metadata

metadata, outbox, inbox = service_metadata()

intents = Table(
    "intents", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("key", String(64), nullable=False, unique=True),
    Column("event_id", String(300), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("template", String(64), nullable=False),
    Column("recipient_kind", String(32), nullable=False),
    Column("recipient_value", String(320), nullable=False),
    Column("recipient_functions", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("recipient_extra", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("context", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("resolved_at", DateTime(timezone=True)),
)
Index("ix_intents_due", intents.c.next_attempt_at, postgresql_where=text("status = 'pending'"))

messages = Table(
    "messages", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("key", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("intent_id", UUID(as_uuid=False), ForeignKey("intents.id", ondelete="SET NULL")),
    Column("event_id", String(300), nullable=False),
    Column("event_type", String(100), nullable=False),
    Column("template", String(64), nullable=False),
    Column("recipient", String(400), nullable=False),      # "user:<id>" or "email:<address>"
    Column("user_id", String(36)),                          # platform user, when there is one
    Column("address", String(320)),                         # email or phone (erased on anonymisation)
    Column("recipient_name", String(300)),
    Column("context", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("subject", Text),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("provider_id", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("key", "channel", name="uq_messages_key_channel"),
)
Index("ix_messages_due", messages.c.next_attempt_at, postgresql_where=text("status = 'pending'"))
Index("ix_messages_status_created", messages.c.status, messages.c.created_at)
Index("ix_messages_user_id", messages.c.user_id)
Index("ix_messages_event_id", messages.c.event_id)

inbox_items = Table(
    "inbox_items", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("user_id", String(36), nullable=False),
    Column("message_id", UUID(as_uuid=False), nullable=False, unique=True),
    Column("template", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("link", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("read_at", DateTime(timezone=True)),
)
Index("ix_inbox_items_user_created", inbox_items.c.user_id, inbox_items.c.created_at.desc())
Index("ix_inbox_items_unread", inbox_items.c.user_id, postgresql_where=text("read_at IS NULL"))

preferences = Table(
    "preferences", metadata,
    Column("user_id", String(36), primary_key=True),
    Column("preferences", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

reminders = Table(
    "reminders", metadata,
    Column("id", UUID(as_uuid=False), primary_key=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("application_id", String(36), nullable=False),
    Column("template", String(64), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("context", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("status", String(16), nullable=False, server_default="pending"),   # pending | done | cancelled | late
    Column("source_occurred_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("ix_reminders_due", reminders.c.due_at, postgresql_where=text("status = 'pending'"))
Index("ix_reminders_application", reminders.c.application_id)

convention_signers = Table(
    "convention_signers", metadata,
    Column("convention_id", String(36), primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("signed_at", DateTime(timezone=True), nullable=False),
)
