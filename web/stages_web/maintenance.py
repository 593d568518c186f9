"""The maintenance notice of every page (issue 21): a context processor asking the gateway's public
``GET /api/v1/maintenance``, cached ``CACHE_SECONDS`` in the shared cache (Redis) so that pages do not ask on
every request. When the gateway does not answer, no notice (the pages say the rest themselves)."""
from __future__ import annotations

import logging

from django.core.cache import cache

from . import session
from .gateway import Gateway
from .templatetags.stages import datetime_fr

log = logging.getLogger(__name__)

CACHE_KEY = "platform:maintenance"
CACHE_SECONDS = 5


def state(request) -> dict:
    """The maintenance state {active, message, ends_at} (cached a few seconds)."""
    try:
        found = cache.get(CACHE_KEY)
    except Exception as exc:   # the cache away: ask the gateway (the page fails on its own if it needs more)
        log.info("maintenance cache unavailable: %s", exc)
        found = None
    if found is None:
        try:
            found = Gateway(client=session.client_info(request)).call("maintenance")   # public: no token
        except Exception as exc:   # gateway away, or anything unexpected: no notice rather than no page
            log.info("maintenance state unavailable: %s", exc)
            found = None
        found = found if isinstance(found, dict) else {"active": False}
        try:
            cache.set(CACHE_KEY, found, CACHE_SECONDS)
        except Exception as exc:
            log.info("maintenance cache unavailable: %s", exc)
    return found


def forget() -> None:
    """After an admin's switch: the next page asks again."""
    cache.delete(CACHE_KEY)


def notice(request):
    s = state(request)
    if not s.get("active"):
        return {"maintenance": None}
    return {"maintenance": {"message": s.get("message") or "La plateforme est en maintenance.",
                            "ends_at_label": datetime_fr(s.get("ends_at")) if s.get("ends_at") else None}}
