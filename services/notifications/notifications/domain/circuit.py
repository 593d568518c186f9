"""A circuit breaker per channel (e-mail, SMS): an outage of the SMTP server or of the SMS provider is
detected once for the channel, not message by message.

    closed --(a message meets an unreachable server)--> open
    open   --(probe_after passed: one message is tried)--> open again (still down) | closed (it went out)

While the circuit is open, the channel's messages wait without being tried, and without being charged
attempts: an outage delays them, it never makes them ``failed``. One message probes the server every
``probe_interval``; when it goes out, the backlog is sent at once (not after each message's backoff).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CLOSED = "closed"
OPEN = "open"
DEFAULT_PROBE_INTERVAL = 5.0  # seconds


@dataclass(frozen=True)
class Circuit:
    state: str = CLOSED
    opened_at: dt.datetime | None = None     # when the outage was first seen
    probe_after: dt.datetime | None = None   # while open: when one message may try again
    probe_interval: float = DEFAULT_PROBE_INTERVAL


def may_send(circuit: Circuit, now: dt.datetime) -> bool:
    if circuit.state == CLOSED or circuit.probe_after is None:
        return True
    # a clock set back (by more than the interval) must not hold the channel shut until it catches up
    ahead = (circuit.probe_after - now).total_seconds()
    return ahead <= 0 or ahead > circuit.probe_interval


def on_unreachable(circuit: Circuit, now: dt.datetime, probe_interval: float = DEFAULT_PROBE_INTERVAL) -> Circuit:
    """A message met an unreachable server: open (or keep open) the circuit until the next probe."""
    return Circuit(OPEN, circuit.opened_at or now, now + dt.timedelta(seconds=probe_interval), probe_interval)


def on_delivered(circuit: Circuit) -> tuple[Circuit, dt.datetime | None]:
    """A message went out: the circuit closes. Returns the new circuit and, when an outage just ended,
    when it began (the messages delayed or failed since then are due again at once)."""
    if circuit.state == CLOSED:
        return circuit, None
    return Circuit(), circuit.opened_at
