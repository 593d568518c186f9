"""Each party fills its own fields (domain.fields says which): drafts and completion."""
from __future__ import annotations

from .. import views
from ..domain import convention as C
from . import command


def update(uow, actor, convention_id, fields, now) -> dict:
    """Save a draft of the acting party's fields: an unknown convention is not found (404), another party's
    field is refused (403, ``field_not_owned``), by the domain only."""
    conv = command(uow, actor, convention_id, now, lambda conv, repo: C.update(conv, actor, fields, now))
    return views.view(conv, actor)


def complete(uow, actor, convention_id, now) -> dict:
    conv = command(uow, actor, convention_id, now, lambda conv, repo: C.complete(conv, actor, now))
    return views.view(conv, actor)
