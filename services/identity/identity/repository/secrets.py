"""One-time tokens, sessions (refresh families and tokens), rate-limit events and login locks."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from ..models import (login_locks, one_time_tokens, pupil_codes, pupil_guardians, rate_events, refresh_families,
                      refresh_tokens)
from .rows import row_dict

# -- one-time tokens -----------------------------------------------------------------


def find_token(conn, token_hash: str, for_update: bool = True) -> dict | None:
    stmt = select(one_time_tokens).where(one_time_tokens.c.token_hash == token_hash)
    if for_update:
        stmt = stmt.with_for_update()
    return row_dict(conn.execute(stmt).first())


def expire_tokens(conn, user_id: str, kind: str, now: dt.datetime) -> None:
    """Older unused tokens of this kind stop working when a new one is issued or one is used."""
    conn.execute(update(one_time_tokens).where(one_time_tokens.c.user_id == user_id, one_time_tokens.c.kind == kind,
                                               one_time_tokens.c.used_at.is_(None))
                 .values(used_at=now))


def insert_token(conn, user_id: str, kind: str, token_hash: str, now: dt.datetime, expires_at: dt.datetime) -> None:
    conn.execute(one_time_tokens.insert().values(id=str(uuid.uuid4()), user_id=user_id, kind=kind,
                                                 token_hash=token_hash, created_at=now, expires_at=expires_at))


def mark_token_used(conn, token_id: str, now: dt.datetime) -> None:
    conn.execute(update(one_time_tokens).where(one_time_tokens.c.id == token_id).values(used_at=now))


# -- rate limits and locks -------------------------------------------------------------

def window_events(conn, bucket: str, since: dt.datetime) -> list[dt.datetime]:
    return [r.at for r in conn.execute(select(rate_events.c.at).where(rate_events.c.bucket == bucket,
                                                                         rate_events.c.at > since))]


def add_event(conn, bucket: str, at: dt.datetime) -> None:
    conn.execute(rate_events.insert().values(bucket=bucket, at=at))


def prune_events(conn, before: dt.datetime) -> int:
    return conn.execute(rate_events.delete().where(rate_events.c.at < before)).rowcount


def lock_row(conn, key: str, now: dt.datetime) -> dict:
    conn.execute(insert(login_locks).values(key=key, failed_count=0, locked_until=None, updated_at=now)
                 .on_conflict_do_nothing(index_elements=["key"]))
    return row_dict(conn.execute(select(login_locks).where(login_locks.c.key == key).with_for_update()).first())


def save_lock(conn, key: str, failed_count: int, locked_until, now) -> None:
    conn.execute(update(login_locks).where(login_locks.c.key == key)
                 .values(failed_count=failed_count, locked_until=locked_until, updated_at=now))


# -- sessions (refresh families) ----------------------------------------------------------

def revoke_families(conn, user_id: str, now: dt.datetime, reason: str) -> list[str]:
    """Close every open session of a user; returns their ids (to be denied at the gateway)."""
    return [r[0] for r in conn.execute(update(refresh_families).where(refresh_families.c.user_id == user_id,
                                                                      refresh_families.c.revoked_at.is_(None))
                                       .values(revoked_at=now, revoked_reason=reason)
                                       .returning(refresh_families.c.id))]


def revoke_family(conn, family_id: str, now: dt.datetime, reason: str) -> int:
    return conn.execute(update(refresh_families).where(refresh_families.c.id == family_id)
                        .values(revoked_at=now, revoked_reason=reason)).rowcount


def family_ids_of(conn, user_id: str) -> list[str]:
    return [r[0] for r in conn.execute(select(refresh_families.c.id).where(refresh_families.c.user_id == user_id))]


def find_refresh(conn, token_hash: str):
    """The refresh token and its family, both locked (two tabs refreshing at once are served in turn)."""
    t = row_dict(conn.execute(select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash)
                              .with_for_update()).first())
    if t is None:
        return None, None
    f = row_dict(conn.execute(select(refresh_families).where(refresh_families.c.id == t["family_id"])
                              .with_for_update()).first())
    return t, f


def insert_family(conn, family_id: str, user_id: str, now: dt.datetime, ip: str | None,
                  user_agent: str | None) -> None:
    conn.execute(refresh_families.insert().values(id=family_id, user_id=user_id, started_at=now, last_used_at=now,
                                                  ip=ip, user_agent=user_agent))


def touch_family(conn, family_id: str, now: dt.datetime) -> None:
    conn.execute(update(refresh_families).where(refresh_families.c.id == family_id).values(last_used_at=now))


def insert_refresh_token(conn, token_id: str, family_id: str, token_hash: str, now: dt.datetime,
                         expires_at: dt.datetime) -> None:
    conn.execute(refresh_tokens.insert().values(id=token_id, family_id=family_id, token_hash=token_hash,
                                                issued_at=now, expires_at=expires_at))


def mark_refresh_used(conn, token_id: str, now: dt.datetime, successor: str) -> None:
    conn.execute(update(refresh_tokens).where(refresh_tokens.c.id == token_id).values(used_at=now,
                                                                                     successor=successor))


def delete_user_secrets(conn, user_id: str) -> None:
    """Anonymisation: one-time tokens, pupil codes, the register's guardians and sessions of the account go."""
    conn.execute(one_time_tokens.delete().where(one_time_tokens.c.user_id == user_id))
    conn.execute(pupil_codes.delete().where(pupil_codes.c.user_id == user_id))
    conn.execute(pupil_guardians.delete().where(pupil_guardians.c.pupil_id == user_id))   # the register's
    conn.execute(refresh_families.delete().where(refresh_families.c.user_id == user_id))
