"""Where the development harness may listen to production code (pure; nothing listens in production).

A service reports each secret it hands out to a person (an activation or reset token, a pupil's code, a
legal representative's link, an employer's signing code): ``secret_handed_out(kind, key, value)``. In
production no listener is registered and the call does nothing. The test harness
(``testkit.hooks``) registers one in the service's own process, so that tests can follow e-mail links
without reading a mailbox, through a test-only service that never runs in production.
"""
from __future__ import annotations

from typing import Callable

_listeners: list[Callable[[str, str, object], None]] = []


def secret_handed_out(kind: str, key: str, value) -> None:
    for listener in list(_listeners):
        listener(kind, str(key), value)


def listen_to_secrets(listener: Callable[[str, str, object], None]) -> None:
    _listeners.append(listener)
