"""What other systems see of the bus: the event streams they replay and the permissions of their users.

Outside systems (a rectorat's dashboard, a statistics warehouse...) never use the platform's user. Each gets a
RabbitMQ user of its own, on the platform's vhost, whose permissions (``permissions(user)``) let it:

- read the event exchanges ``<service>.events`` (bind its own queues to them) and the event streams
  ``<service>.events.stream`` (replay);
- declare, bind, consume and delete only its own queues and exchanges, named ``<user>.<anything>``;
- and nothing else: no publishing to the platform's exchanges, no RPC queue, no service's event queue.

Replay: each ``<service>.events`` exchange is bound with ``#`` to a RabbitMQ stream ``<service>.events.stream``
(``stream_arguments()``: ``STREAM_MAX_AGE`` and a size ceiling, see docs/bus.md « Events for other systems »).
A subscriber reads it from ``first``, a timestamp or an offset (``x-stream-offset``); reading does not consume.

The streams are declared by the deployment, beside the users (Kubernetes: ``deploy/kubernetes/base/
subscribers.yaml``; a laptop or a server without the operator: ``deploy/subscribers.py``, which calls
``declare_event_streams``). Importing this module loads no library; ``declare_event_streams`` uses kombu's
py-amqp when called.
"""
from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

STREAM_SUFFIX = ".stream"
# Retention of the event streams. 400 days: a school year (the key turns on 1 July) and a bit more, so that a
# system joining or recovering at any moment of a school year can read back the whole previous one; more than
# the deprecation period of an event version (one school year), so that every event still in a stream has a
# schema documented in the catalogue. Events carry identifiers only (no personal data).
STREAM_MAX_AGE = "400D"
# A ceiling per stream, far above a year of the busiest exchange (applications: about 25 events per pupil,
# ~1.3 million pupils a year, ~450 bytes each on disk, so ~15 GB): it keeps a runaway producer from filling the
# broker's disks (each node holds a replica of every stream). Beyond it the oldest segments go first.
STREAM_MAX_LENGTH_BYTES = 20_000_000_000
# Retention removes whole segments: 100 MB segments (instead of RabbitMQ's 500 MB) keep what is kept close to
# the 400 days.
STREAM_MAX_SEGMENT_SIZE_BYTES = 100_000_000

# Each subscriber user's connections and channels are bounded: a faulty outside system cannot exhaust the broker.
USER_MAX_CONNECTIONS = 10
USER_MAX_CHANNELS = 100

# A subscriber's user name: its queues and exchanges are named "<user>.<anything>", so no dot in the name.
USER_NAME = re.compile(r"^[a-z][a-z0-9_-]{2,62}$")
# Event exchanges and streams of every service, present and future (anchored: RabbitMQ searches the pattern).
EVENT_RESOURCES = r"[a-z_]+\.events(\.stream)?"


def exchange_name(service: str) -> str:
    return f"{service}.events"


def stream_name(service: str) -> str:
    """The stream holding every event of ``<service>.events``."""
    return f"{exchange_name(service)}{STREAM_SUFFIX}"


def stream_arguments() -> dict:
    """The arguments a stream is declared with (x-queue-type stream, its retention)."""
    return {"x-queue-type": "stream", "x-max-age": STREAM_MAX_AGE,
            "x-max-length-bytes": STREAM_MAX_LENGTH_BYTES,
            "x-stream-max-segment-size-bytes": STREAM_MAX_SEGMENT_SIZE_BYTES}


def check_user_name(user: str) -> str:
    if not USER_NAME.match(user or ""):
        raise ValueError(f"subscriber user name {user!r}: 3 to 63 characters, a-z, 0-9, '-' or '_', "
                         "starting with a letter (its queues are named '<user>.<...>')")
    return user


def permissions(user: str) -> dict:
    """The RabbitMQ permissions (regular expressions) of the subscriber ``user`` on the platform's vhost.

    configure and write: its own queues and exchanges only (``<user>.``), so it may not publish to any exchange of
    the platform (nor to the default exchange, i.e. to a queue); read: its own resources, the event exchanges
    (needed to bind) and the event streams (needed to consume them)."""
    own = check_user_name(user) + r"\..*"  # the name holds no character special to a regular expression
    return {"configure": f"^{own}$", "write": f"^{own}$", "read": f"^({own}|{EVENT_RESOURCES})$"}


def declare_event_streams(services, amqp_uri: str) -> list[str]:
    """Make sure each service's ``<service>.events`` exchange exists (topic, durable: the producers'
    declaration) and is bound with ``#`` to its stream ``<service>.events.stream``. Idempotent: an existing
    stream is left as it is (its arguments cannot change once declared; retention is changed with a policy,
    docs/bus.md), only its binding is ensured. Returns the streams' names."""
    import amqp  # py-amqp (kombu's transport): loaded only here
    from kombu import Connection

    names = []
    with Connection(amqp_uri) as conn:
        conn.connect()
        channel = conn.channel()
        for service in services:
            exchange, stream = exchange_name(service), stream_name(service)
            channel.exchange_declare(exchange, "topic", durable=True, auto_delete=False)
            try:
                channel.queue_declare(stream, passive=True)
            except amqp.exceptions.NotFound:
                channel = conn.channel()  # the broker closed the channel
                channel.queue_declare(stream, durable=True, auto_delete=False, arguments=stream_arguments())
                log.info("declared the stream %s", stream)
            channel.queue_bind(stream, exchange, "#")
            names.append(stream)
        channel.close()
    return names


# The « Replay and retention » section of docs/events.md: testkit.catalogue.render_markdown places it after
# the versioning rules.
CATALOGUE_SECTION = f"""\
## Replay and retention

Besides its exchange, each service's events are kept in the RabbitMQ stream `<service>.events.stream` (bound
with `#` to `<service>.events`) for **{STREAM_MAX_AGE[:-1]} days** (`x-max-age` {STREAM_MAX_AGE}: a school year
and a bit, longer than the deprecation period of a version), within
{STREAM_MAX_LENGTH_BYTES // 10**9} GB per stream (`x-max-length-bytes`, a ceiling far above a year of events).
A new or recovering subscriber reads them back with `x-stream-offset` (`first`, a timestamp or an offset): see
`docs/bus.md` « Events for other systems » and `deploy/examples/subscriber.py --from`. Outside systems read with a
user of their own, which may read the exchanges and streams and publish nothing (`docs/operations.md`).
The services' outboxes keep published events only `OUTBOX_RETENTION_DAYS` (7) days: past events are read again
from the streams (a replay window, not a record: the services' databases are).
"""
