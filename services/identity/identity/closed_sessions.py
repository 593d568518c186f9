"""Closed sessions, told to every gateway replica at once.

A session is a refresh family; its access tokens carry its id (claim ``sid``). When identity closes
sessions (password changed or reset, « log out », « log out everywhere », refresh-token reuse,
anonymisation) it writes each id in Redis, ``<prefix>:revoked-session:<sid>``, for as long as an
access token lives (15 minutes, plus the gateway's leeway): after that every token of the session
has expired anyway. The write happens inside the transaction that closes the sessions, before it
commits: if Redis does not answer, the closing fails and is not reported done (the user retries; the
anonymisation timer runs again). The gateway reads the key per request; when Redis does not answer
there, it asks ``identity.session_active`` (the database is the reference)."""
from __future__ import annotations

import logging

from common import kv
from common.errors import ServiceUnavailable

from .domain.access_tokens import ACCESS_TTL

log = logging.getLogger("identity")

DENY_SECONDS = int(ACCESS_TTL.total_seconds()) + 60


def deny(session_ids) -> None:
    ids = [str(i) for i in session_ids or [] if i]
    if not ids:
        return
    try:
        pipe = kv.client().pipeline(transaction=False)
        for sid in ids:
            pipe.set(kv.revoked_session_key(sid), "1", ex=DENY_SECONDS)
        pipe.execute()
    except Exception as exc:
        log.error("could not write %d closed session(s) to Redis: %s", len(ids), exc)
        raise ServiceUnavailable("La fermeture des sessions n'a pas pu être enregistrée. Réessayez dans un instant.",
                                 code="session_store_unavailable")
