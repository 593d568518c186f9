"""Employers' spaces, their members, current spaces and invitations (write side; rules in ``domain/spaces.py``)."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert

from ..models import current_spaces, space_invitations, space_members, spaces, users
from .rows import row_dict


def current_space(conn, user_id: str) -> str | None:
    row = conn.execute(select(current_spaces.c.space_id).where(current_spaces.c.user_id == user_id)).first()
    return row[0] if row else None


def set_current_space(conn, user_id: str, space_id: str | None) -> None:
    """``None``: back to the personal space."""
    if space_id is None:
        conn.execute(delete(current_spaces).where(current_spaces.c.user_id == user_id))
        return
    conn.execute(insert(current_spaces).values(user_id=user_id, space_id=space_id)
                 .on_conflict_do_update(index_elements=["user_id"], set_={"space_id": space_id}))


def get_space(conn, space_id: str) -> dict | None:
    return row_dict(conn.execute(select(spaces).where(spaces.c.id == space_id)).first())


def ensure_space(conn, space_id: str, name: str, owner_id: str, now: dt.datetime) -> None:
    """A personal space gets its rows when first shared (idempotent)."""
    conn.execute(insert(spaces).values(id=space_id, name=name, created_at=now).on_conflict_do_nothing())
    add_member(conn, space_id, owner_id, "owner", now)


def add_member(conn, space_id: str, user_id: str, role: str, now: dt.datetime) -> bool:
    return conn.execute(insert(space_members).values(space_id=space_id, user_id=user_id, role=role, joined_at=now)
                        .on_conflict_do_nothing()).rowcount == 1


def remove_member(conn, space_id: str, user_id: str) -> int:
    n = conn.execute(delete(space_members).where(space_members.c.space_id == space_id,
                                                 space_members.c.user_id == user_id)).rowcount
    conn.execute(delete(current_spaces).where(current_spaces.c.user_id == user_id,
                                              current_spaces.c.space_id == space_id))
    return n


def member_role(conn, space_id: str, user_id: str, for_update: bool = False) -> str | None:
    stmt = select(space_members.c.role).where(space_members.c.space_id == space_id,
                                              space_members.c.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    return row[0] if row else None


def lock_space(conn, space_id: str) -> None:
    """One change of a space's members at a time (transaction-scoped advisory lock)."""
    conn.execute(select(func.pg_advisory_xact_lock(func.hashtext("space:" + space_id))))


def members(conn, space_id: str) -> list[dict]:
    rows = conn.execute(select(space_members.c.user_id, space_members.c.role, space_members.c.joined_at,
                               users.c.first_name, users.c.last_name, users.c.email, users.c.job_title)
                        .join(users, users.c.id == space_members.c.user_id)
                        .where(space_members.c.space_id == space_id, users.c.status != "anonymized")
                        .order_by(space_members.c.role.desc(), space_members.c.joined_at, users.c.last_name))
    return [dict(r._mapping) for r in rows]


def spaces_of(conn, user_id: str) -> list[dict]:
    rows = conn.execute(select(spaces.c.id, spaces.c.name, space_members.c.role)
                        .join(space_members, space_members.c.space_id == spaces.c.id)
                        .where(space_members.c.user_id == user_id).order_by(spaces.c.name))
    return [dict(r._mapping) for r in rows]


def insert_invitation(conn, space_id: str, email: str, token_hash: str, invited_by: str, now: dt.datetime,
                      expires_at: dt.datetime) -> str:
    """A new invitation; older pending ones of the same address to the same space stop working."""
    conn.execute(update(space_invitations)
                 .where(space_invitations.c.space_id == space_id, space_invitations.c.email == email,
                        space_invitations.c.accepted_at.is_(None), space_invitations.c.expires_at > now)
                 .values(expires_at=now))
    invitation_id = str(uuid.uuid4())
    conn.execute(space_invitations.insert().values(id=invitation_id, space_id=space_id, email=email,
                                                   token_hash=token_hash, invited_by=invited_by, created_at=now,
                                                   expires_at=expires_at))
    return invitation_id


def invitation_by_hash(conn, token_hash: str, for_update: bool = False) -> dict | None:
    stmt = select(space_invitations).where(space_invitations.c.token_hash == token_hash)
    if for_update:
        stmt = stmt.with_for_update()
    return row_dict(conn.execute(stmt).first())


def mark_invitation_accepted(conn, invitation_id: str, user_id: str, now: dt.datetime) -> None:
    conn.execute(update(space_invitations).where(space_invitations.c.id == invitation_id)
                 .values(accepted_at=now, accepted_by=user_id))
