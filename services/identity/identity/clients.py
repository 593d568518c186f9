"""The RPCs identity makes to other services, in one place: notifications and conventions."""
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


class Conventions:
    """Asks the conventions service whether agreements in progress hold the deletion of an account. Not best
    effort: when it does not answer, the deletion is refused (503) rather than done blindly."""

    def __init__(self, rpc):
        self._rpc = rpc   # common.rpc.Rpc("conventions") of the service

    def deletion_hold(self, user_id: str) -> dict:
        """{"held": bool, "held_until": "YYYY-MM-DD" | None}"""
        return self._rpc.deletion_hold(user_id=user_id)
