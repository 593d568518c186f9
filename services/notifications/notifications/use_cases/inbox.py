"""The in-app inbox of the caller."""
from __future__ import annotations

import datetime as dt
import uuid

from common.errors import NotFound

from .. import views
from .access import page_bounds, user_of


def list_items(uow, actor, unread_only=False, page=1, page_size=30) -> dict:
    with uow.read() as q:
        user_id = user_of(actor)
        page, page_size = page_bounds(page, page_size, 30, 100)
        found = q.inbox_page(user_id, bool(unread_only), page, page_size)
        return {"items": [views.inbox_item(r) for r in found["items"]], "page": page, "page_size": page_size,
                "total": found["total"], "unread": found["unread"]}


def unread_count(uow, actor) -> dict:
    with uow.read() as q:
        return {"unread": q.unread_count(user_of(actor))}


def mark_read(uow, actor, notification_id, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        user_id = user_of(actor)
        try:
            uuid.UUID(str(notification_id))
        except ValueError:
            raise NotFound("Notification introuvable.", code="notification_not_found")
        row = repo.mark_read(user_id, str(notification_id), now)
        if row is None:
            raise NotFound("Notification introuvable.", code="notification_not_found")
        return views.inbox_item(row)


def mark_all_read(uow, actor, now: dt.datetime) -> dict:
    with uow.begin() as repo:
        return {"marked": repo.mark_all_read(user_of(actor), now)}
