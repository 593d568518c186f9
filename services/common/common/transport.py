"""The hot paths of the bus: JSON encoding, RPC requests and RPC replies.

nameko's own RPC client and responder spend most of a call's CPU around the
message rather than on it (measured on the gateway and the offers service,
``bench/README.md``): a new kombu ``Connection`` object and a pooled producer
looked up for every message, a publisher confirm awaited for every request
and every reply, each reply encoded twice, persistent delivery for messages
that live a few milliseconds, an acknowledgement sent for every reply.

This module keeps nameko's wire protocol (same exchange, routing keys,
``reply_to``/``correlation_id``, ``nameko.*`` headers, ``{"args", "kwargs"}``
requests and ``{"result", "error"}`` replies, JSON), so any nameko or AMQP
client still talks to our services, and changes how we send:

* ``dumps``/``loads`` (orjson) replace kombu's ``json`` serialiser for the
  whole process. The bus carries plain JSON: dates and datetimes as ISO 8601
  strings, UUIDs as strings (kombu wrapped them in ``{"__type__": ...}``
  objects that other AMQP clients would not understand).
* ``AmqpLink``: one connection and channel per container, kept open, with a
  green thread reading what the broker sends (replies, returned messages) and
  a lock so that one message's frames are never interleaved with another's.
* ``RpcClient`` (used by ``common.rpc.Rpc``): requests are published
  ``mandatory`` and transient, without waiting for a confirm: a request to a
  service that has no queue comes back as ``basic.return`` and fails the call
  at once (``UnknownService``), as nameko's confirm-based check did; replies
  are consumed without acknowledgements from an exclusive queue.
* ``ReplySender`` (used by ``common.service.rpc``): a reply is encoded once
  and published transient, without a confirm (the caller has a deadline).
"""
from __future__ import annotations

import datetime as dt
import decimal
import logging
import sys
import time
import uuid

import amqp
import eventlet
import kombu
import kombu.exceptions
import kombu.serialization
import orjson
from eventlet.event import Event
from eventlet.semaphore import Semaphore
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import UnknownService, UnserializableValueError, deserialize, serialize
from contextlib import contextmanager

from nameko.extensions import SharedExtension
from nameko.messaging import HeaderEncoder, QueueConsumer
from nameko.rpc import RPC_REPLY_QUEUE_TEMPLATE, RPC_REPLY_QUEUE_TTL, get_rpc_exchange

from . import queues, settings

log = logging.getLogger(__name__)

# A broker that does not accept a connection within this time is taken as unreachable (kombu's default is
# 4 s, with a retry after 2 s: a call made during an outage failed after 12-21 s, beyond its deadline).
CONNECT_TIMEOUT = settings.env_float("STAGES_AMQP_CONNECT_TIMEOUT", 1.0)
# After a failed connection, calls fail at once for this long instead of each trying again (fail fast).
RECONNECT_PAUSE = settings.env_float("STAGES_AMQP_RECONNECT_PAUSE", 0.25)


class BrokerUnreachable(ConnectionError):
    """The broker refused or did not accept a connection (an ``OSError``: callers answer 503)."""

JSON = "application/json"
TRANSIENT = 1
_OPTIONS = orjson.OPT_NON_STR_KEYS


# -- JSON ---------------------------------------------------------------------------------------

def _default(value):
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8")
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value) -> bytes:
    """JSON as UTF-8 bytes (orjson: datetimes, dates and UUIDs become strings)."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


def json_bytes(value) -> bytes:
    """JSON for people and partners (HTTP bodies, logs): as ``dumps``, and any
    other value as its ``str`` rather than an error."""
    return orjson.dumps(value, default=_lenient, option=_OPTIONS)


def _lenient(value):
    try:
        return _default(value)
    except TypeError:
        return str(value)


def loads(data):
    if isinstance(data, memoryview):
        data = data.tobytes()
    return orjson.loads(data)


def install_json_serializer() -> None:
    """Make kombu's ``json`` serialiser (nameko's default) this module's, for the process."""
    kombu.serialization.register("json", dumps, loads, content_type=JSON, content_encoding="utf-8")


class RawJson:
    """JSON bytes to pass on as they are (an RPC result the gateway returns unchanged)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data

    def value(self):
        return loads(self.data)


# A successful reply starts with these bytes (see ReplySender), so that a caller that only passes the
# result on can slice it out rather than decode and encode it again.
REPLY_OK = b'{"error":null,"result":'


# -- one kept-open AMQP channel ---------------------------------------------------------------

READ_CHUNK = 32 * 1024


def _read_in_chunks(transport) -> None:
    """py-amqp reads exactly the bytes it needs next (a 7-byte frame header, then
    the payload, then its end byte): three or more ``recv`` calls per frame, each a
    system call and often a trip through eventlet's hub. Reading what the socket
    holds, up to READ_CHUNK, and letting py-amqp keep the rest in its buffer, cut
    the gateway's cost of a 20 kB reply by half."""
    sock = getattr(transport, "sock", None)
    if sock is None or not hasattr(transport, "_quick_recv"):
        return
    recv = sock.recv
    transport._quick_recv = lambda size: recv(max(size, READ_CHUNK))


class AmqpLink:
    """A connection and one channel to the broker, opened on first use and
    reopened after a failure. ``publish`` may be called from any green thread;
    a reader green thread dispatches what the broker sends (deliveries to
    ``consume``'s callback, ``on_return`` for returned mandatory messages) and
    calls ``on_lost`` when the connection dies."""

    def __init__(self, uri: str, exchange: str, setup=None, on_return=None, on_lost=None):
        self.uri = uri
        self.exchange = exchange
        self._setup = setup            # called with the new channel after every (re)connection
        self._on_return = on_return
        self._on_lost = on_lost
        self._lock = Semaphore(1)
        self._conn = None
        self._channel = None
        self._reader = None
        self._closing = False
        self._down_until = 0.0         # monotonic time before which a new connection is not attempted

    def _open(self):
        if time.monotonic() < self._down_until:
            raise BrokerUnreachable(f"the broker of {self.exchange} was unreachable a moment ago")
        conn = kombu.Connection(self.uri, heartbeat=0, connect_timeout=CONNECT_TIMEOUT)
        try:
            conn.ensure_connection(max_retries=0, reraise_as_library_errors=False)
        except Exception as exc:
            self._down_until = time.monotonic() + RECONNECT_PAUSE
            try:
                conn.release()
            except Exception:
                pass
            raise BrokerUnreachable(f"cannot connect to the broker of {self.exchange}: {exc!r}") from exc
        raw = conn.connection                     # the py-amqp connection underneath
        # py-amqp's basic_publish reads the socket itself (drain_events(timeout=0), to see a
        # connection.blocked notice) when that capability was announced: a second reader beside ours,
        # which also set the socket's timeout under it. Our reader sees those notices anyway.
        raw.client_properties = {**raw.client_properties,
                                 "capabilities": {**raw.client_properties.get("capabilities", {}),
                                                  "connection.blocked": False}}
        _read_in_chunks(raw.transport)
        channel = raw.channel()
        channel.exchange_declare(self.exchange, "topic", durable=True, auto_delete=False)
        if self._on_return is not None:
            channel.events["basic_return"].add(self._on_return)
        if self._setup is not None:
            self._setup(channel)
        self._conn, self._channel = conn, channel
        self._reader = eventlet.spawn(self._read, conn, raw)
        return channel

    def _read(self, conn, raw):
        try:
            while True:
                raw.drain_events()
        except Exception as exc:  # connection closed (by us on stop, or lost)
            if conn is self._conn:
                self._conn = self._channel = None
                if not self._closing:
                    log.warning("AMQP link to %s lost: %r", self.exchange, exc)
                    if self._on_lost is not None:
                        self._on_lost(exc)
            try:
                conn.release()
            except Exception:
                pass

    def channel(self):
        with self._lock:
            return self._channel or self._open()

    def publish(self, body: bytes, routing_key: str, **properties) -> None:
        mandatory = properties.pop("mandatory", False)
        message = amqp.Message(body, content_type=JSON, content_encoding="utf-8", **properties)
        with self._lock:
            for attempt in (1, 2):
                try:
                    channel = self._channel or self._open()
                    channel.basic_publish(message, exchange=self.exchange, routing_key=routing_key,
                                          mandatory=mandatory)
                    return
                except BrokerUnreachable:
                    raise                      # no second attempt: the connection itself failed
                except (OSError, amqp.exceptions.AMQPError) as exc:
                    self._drop()
                    if attempt == 2:
                        raise
                    log.warning("AMQP publish failed (%r); reconnecting once", exc)

    def _drop(self):
        conn, self._conn, self._channel = self._conn, None, None
        if conn is not None:
            try:
                conn.release()
            except Exception:
                pass

    def close(self):
        self._closing = True
        reader, self._reader = self._reader, None
        self._drop()
        if reader is not None:
            reader.kill()


# -- consuming ----------------------------------------------------------------------------------

class QuickQueueConsumer(QueueConsumer):
    """nameko's queue consumer (RPC requests and events of a container), reconnecting within about a second
    of the broker's return: kombu's defaults wait 2, 4, 6 ... up to 30 s between attempts, so a service
    stayed deaf for ~10 s after a short outage."""

    RETRY_START = 0.2
    RETRY_STEP = 0.2
    RETRY_MAX = 1.0

    @contextmanager
    def establish_connection(self):
        with self.create_connection() as conn:
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                   interval_start=self.RETRY_START, interval_step=self.RETRY_STEP,
                                   interval_max=self.RETRY_MAX)
            yield conn

    # A worker that finishes after the broker went away acks (or requeues) on a dead socket: nameko catches amqp's
    # ConnectionError but not the socket's (ConnectionResetError, BrokenPipeError), which killed the container and
    # the process (found by the fault suite, tests/faults, a broker killed with SIGKILL). The broker has already
    # taken the message back (it was not acked on a live connection): it will be delivered again, and handlers
    # are idempotent (inbox, idempotency keys).
    def ack_message(self, message):
        self._settle(message, "ack", super().ack_message)

    def requeue_message(self, message):
        self._settle(message, "requeue", super().requeue_message)

    def get_consumers(self, consumer_cls, channel):
        # the dead-letter queues of the providers' quorum queues (common.queues), declared on every (re)connection
        # like the queues themselves
        for provider in self._providers:
            dead_letters = getattr(provider, "dead_letters", None)
            if dead_letters:
                queues.declare_dead_letters(channel, *dead_letters)
        return super().get_consumers(consumer_cls, channel)

    @staticmethod
    def _settle(message, what, settle):
        try:
            settle(message)
        except (OSError, amqp.exceptions.AMQPError, kombu.exceptions.KombuError) as exc:
            log.warning("could not %s a message on a lost broker connection (%s): the broker delivers it again",
                        what, type(exc).__name__)


# -- RPC client ---------------------------------------------------------------------------------

class RpcClient(SharedExtension, HeaderEncoder):
    """Calls other services' ``@rpc`` methods (one per container, shared by its
    ``Rpc`` dependencies). ``call`` returns the result or raises the remote
    error (typed when registered, see ``common.errors``); it does not time out
    by itself: ``common.rpc`` puts a deadline around it."""

    def setup(self):
        self._pending: dict[str, Event] = {}
        self._reply_key = str(uuid.uuid4())
        self._queue = RPC_REPLY_QUEUE_TEMPLATE.format(self.container.service_name, self._reply_key)
        self._link = AmqpLink(self.container.config[AMQP_URI_CONFIG_KEY],
                              get_rpc_exchange(self.container.config).name,
                              setup=self._declare_replies, on_return=self._returned, on_lost=self._lost)

    def stop(self):
        self._link.close()
        self._fail_all(UnknownService("(stopping)"))

    def kill(self):
        self.stop()

    def _declare_replies(self, channel):
        channel.queue_declare(self._queue, durable=False, exclusive=True, auto_delete=True,
                              arguments={"x-expires": RPC_REPLY_QUEUE_TTL})
        channel.queue_bind(self._queue, self._link.exchange, self._reply_key)
        channel.basic_consume(self._queue, no_ack=True, callback=self._replied)

    def _replied(self, message):
        event = self._pending.pop(message.properties.get("correlation_id"), None)
        if event is not None:  # else a reply that came after its caller gave up
            event.send(message.body)

    def _returned(self, exc, exchange, routing_key, message):
        event = self._pending.pop(message.properties.get("correlation_id"), None)
        if event is not None:
            event.send_exception(UnknownService(routing_key.split(".", 1)[0]))

    def _lost(self, exc):
        # replies to the old queue will never come: fail the waiting calls now (transient for callers)
        self._fail_all(UnknownService("(connection lost)"))

    def _fail_all(self, exc):
        pending, self._pending = self._pending, {}
        for event in pending.values():
            if not event.ready():
                event.send_exception(exc)

    def forget(self, correlation_id: str) -> None:
        self._pending.pop(correlation_id, None)

    def send(self, worker_ctx, service: str, method: str, args, kwargs,
             timeout: float | None = None, traceparent: str | None = None) -> tuple[str, Event]:
        """Publish a request; returns its correlation id and the event its reply will set. With a
        ``timeout`` (the caller's deadline, seconds) the request expires in the broker after that time:
        a service that was stopped does not run, on restart, requests nobody waits for any more.
        ``traceparent``: the W3C context of the caller's span (``common.tracing``), sent as the
        ``traceparent`` header in place of the one the worker received."""
        correlation_id = str(uuid.uuid4())
        event = Event()
        self._link.channel()  # (re)connect first: the reply queue must exist before the request leaves
        self._pending[correlation_id] = event
        expiry = {} if timeout is None else {"expiration": str(max(1, int(timeout * 1000)))}
        headers = self.get_message_headers(worker_ctx)
        if traceparent is not None:
            headers.pop("nameko.traceparent", None)
            headers["traceparent"] = traceparent
        try:
            self._link.publish(dumps({"args": args, "kwargs": kwargs}), f"{service}.{method}", mandatory=True,
                               reply_to=self._reply_key, correlation_id=correlation_id, delivery_mode=TRANSIENT,
                               application_headers=headers, **expiry)
        except Exception:
            self._pending.pop(correlation_id, None)
            raise
        return correlation_id, event

    @staticmethod
    def result(body: bytes, raw: bool = False):
        """The result in a reply body (or the remote error, raised). ``raw``: the result's JSON bytes
        (``RawJson``), not decoded, when the reply came from a ``ReplySender``."""
        if raw and body[:len(REPLY_OK)] == REPLY_OK and body[-1:] == b"}":
            return RawJson(bytes(body[len(REPLY_OK):-1]))
        decoded = loads(body)
        error = decoded.get("error")
        if error:
            raise deserialize(error)
        result = decoded.get("result")
        return RawJson(dumps(result)) if raw else result


# -- RPC replies --------------------------------------------------------------------------------

class ReplySender(SharedExtension):
    """Sends a worker's reply: encoded once, transient, no confirm. (A
    sub-extension: nameko stops it after the last worker has replied.)"""

    def setup(self):
        self._link = AmqpLink(self.container.config[AMQP_URI_CONFIG_KEY],
                              get_rpc_exchange(self.container.config).name)

    def stop(self):
        self._link.close()

    def kill(self):
        self._link.close()

    def send(self, message, result, exc_info):
        """Reply to ``message`` (a kombu message); returns ``(result, exc_info)`` as nameko's Responder."""
        try:
            if exc_info is None:
                body = REPLY_OK + dumps(result) + b"}"
            else:
                body = dumps({"error": serialize(exc_info[1]), "result": result})
        except Exception:
            exc_info = sys.exc_info()
            body = dumps({"result": None, "error": serialize(UnserializableValueError(result))})
            result = None
        props = message.properties
        try:
            self._link.publish(body, props["reply_to"], correlation_id=props.get("correlation_id"),
                               delivery_mode=TRANSIENT)
        except Exception as exc:  # the broker went away: the caller's deadline answers it; never kill the container
            log.warning("RPC reply to %s dropped: the broker is unreachable (%r)", props.get("reply_to"), exc)
        return result, exc_info
