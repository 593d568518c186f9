"""The RPCs identity makes to other services, in one place: notifications only."""
from __future__ import annotations

import logging

log = logging.getLogger("identity")


class Notifications:
    """Hands messages to the notifications service, best effort: a person can always ask again
    (resend an activation, a reset), so a message that cannot be handed over never fails the request."""

    def __init__(self, rpc):
        self._rpc = rpc   # common.rpc.Rpc("notifications") of the service

    def send_message(self, template: str, to: dict, context: dict, key: str) -> None:
        try:
            self._rpc.send_message(template=template, to=to, context=context, key=key)
        except Exception as exc:
            log.warning("could not hand %s to notifications: %s", template, getattr(exc, "detail", exc))
