"""Pending changes of e-mail address or mobile number (write side; rules in ``domain/profile.py``)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update

from ..models import identifier_changes
from .rows import row_dict


def void_changes(conn, user_id: str, kind: str, now: dt.datetime) -> None:
    """Older pending changes of this kind stop working (a new one is asked, or one is confirmed)."""
    conn.execute(update(identifier_changes)
                 .where(identifier_changes.c.user_id == user_id, identifier_changes.c.kind == kind,
                        identifier_changes.c.used_at.is_(None))
                 .values(used_at=now))


def insert_change(conn, user_id: str, kind: str, new_value: str, secret_hash: str, now: dt.datetime,
                  expires_at: dt.datetime) -> None:
    conn.execute(identifier_changes.insert().values(id=str(uuid.uuid4()), user_id=user_id, kind=kind,
                                                    new_value=new_value, secret_hash=secret_hash, attempts=0,
                                                    created_at=now, expires_at=expires_at))


def change_by_hash(conn, secret_hash: str) -> dict | None:
    return row_dict(conn.execute(select(identifier_changes).where(identifier_changes.c.secret_hash == secret_hash)
                                 .with_for_update()).first())


def pending_change(conn, user_id: str, kind: str) -> dict | None:
    """The latest change of this kind asked by the account and not used up, locked."""
    return row_dict(conn.execute(select(identifier_changes)
                                 .where(identifier_changes.c.user_id == user_id, identifier_changes.c.kind == kind,
                                        identifier_changes.c.used_at.is_(None))
                                 .order_by(identifier_changes.c.created_at.desc()).limit(1)
                                 .with_for_update()).first())


def count_attempt(conn, change_id: str) -> None:
    conn.execute(update(identifier_changes).where(identifier_changes.c.id == change_id)
                 .values(attempts=identifier_changes.c.attempts + 1))


def mark_change_used(conn, change_id: str, now: dt.datetime) -> None:
    conn.execute(update(identifier_changes).where(identifier_changes.c.id == change_id).values(used_at=now))
