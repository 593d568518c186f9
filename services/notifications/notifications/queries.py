"""Read side of the notifications service: the inbox pages, the admin list of messages, the personal-data
export. Each function takes a read-only session (``db.session()``) and returns plain dicts (rows);
``views`` shapes them into answers. ``Queries`` binds them to one session: what ``UnitOfWork.read()`` gives the
use cases."""
from __future__ import annotations

from sqlalchemy import false, func, or_, select

from .domain.records import PENDING
from .models import inbox_items, messages, preferences, reminders

# The dispatch timer's lag (``ops_timers``, stages_timer_lag_seconds): the oldest due intent or message, "due"
# as ``records.is_due`` says (pending, next attempt reached).
_DUE = f"status = '{PENDING}' AND next_attempt_at <= :now"
DISPATCH_LAG_SQL = (f"SELECT least((SELECT min(next_attempt_at) FROM intents WHERE {_DUE}), "
                    f"(SELECT min(next_attempt_at) FROM messages WHERE {_DUE}))")


def _count(session, table, *cond) -> int:
    return session.execute(select(func.count()).select_from(table).where(*cond)).scalar()


def _rows(session, q) -> list[dict]:
    return [dict(r) for r in session.execute(q).mappings()]


def unread_count(session, user_id: str) -> int:
    return _count(session, inbox_items, inbox_items.c.user_id == user_id, inbox_items.c.read_at.is_(None))


def inbox_page(session, user_id: str, unread_only: bool, page: int, page_size: int) -> dict:
    cond = [inbox_items.c.user_id == user_id]
    if unread_only:
        cond.append(inbox_items.c.read_at.is_(None))
    rows = _rows(session, select(inbox_items).where(*cond)
                 .order_by(inbox_items.c.created_at.desc(), inbox_items.c.id)
                 .offset((page - 1) * page_size).limit(page_size))
    return {"items": rows, "total": _count(session, inbox_items, *cond), "unread": unread_count(session, user_id)}


def preferences_of(session, user_id: str) -> dict | None:
    row = session.execute(select(preferences.c.preferences, preferences.c.updated_at)
                          .where(preferences.c.user_id == user_id)).mappings().first()
    return dict(row) if row else None


def messages_page(session, status: str | None, event_id: str | None, user_id: str | None, page: int,
                  page_size: int) -> dict:
    cond = []
    if status:
        cond.append(messages.c.status == status)
    if event_id:
        cond.append(messages.c.event_id == event_id)
    if user_id:
        cond.append(messages.c.user_id == str(user_id))
    rows = _rows(session, select(messages).where(*cond).order_by(messages.c.created_at.desc(), messages.c.id)
                 .offset((page - 1) * page_size).limit(page_size))
    return {"items": rows, "total": _count(session, messages, *cond)}


def personal_data(session, user_id: str, addresses: list[str]) -> dict:
    """The rows about one user: messages to their account or to one of ``addresses`` (lower case), in-app
    items, preferences, reminders."""
    to_them = or_(messages.c.user_id == user_id,
                  func.lower(messages.c.address).in_(addresses) if addresses else false())
    return {
        "messages": _rows(session, select(messages).where(to_them).order_by(messages.c.created_at, messages.c.id)),
        "in_app": _rows(session, select(inbox_items).where(inbox_items.c.user_id == user_id)
                        .order_by(inbox_items.c.created_at, inbox_items.c.id)),
        "preferences": preferences_of(session, user_id),
        "reminders": _rows(session, select(reminders).where(reminders.c.user_id == user_id)
                           .order_by(reminders.c.due_at)),
    }


class Queries:
    """The read side over one read-only session (``repository.UnitOfWork.read()``)."""

    def __init__(self, session):
        self.session = session

    def unread_count(self, user_id: str) -> int:
        return unread_count(self.session, user_id)

    def inbox_page(self, user_id: str, unread_only: bool, page: int, page_size: int) -> dict:
        return inbox_page(self.session, user_id, unread_only, page, page_size)

    def preferences_of(self, user_id: str) -> dict | None:
        return preferences_of(self.session, user_id)

    def messages_page(self, status: str | None, event_id: str | None, user_id: str | None, page: int,
                      page_size: int) -> dict:
        return messages_page(self.session, status, event_id, user_id, page, page_size)

    def personal_data(self, user_id: str, addresses: list[str]) -> dict:
        return personal_data(self.session, user_id, addresses)
