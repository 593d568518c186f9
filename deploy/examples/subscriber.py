#!/usr/bin/env python3
"""Example subscriber for another ministry system: pika only (no nameko).

It declares **its own durable queue**, binds it to the platform's event
exchanges it cares about, handles each event, then **acknowledges** it (so an
event is never lost if the subscriber dies while handling it), skips events it
already handled (idempotent on ``event_id``, remembered in a SQLite file), and
**survives a broker restart**: on any connection loss it reconnects with
backoff and resumes from its durable queue, where the broker kept what arrived
meanwhile. An event whose handling keeps failing (``--max-attempts`` times, 5 by default) is
**dead-lettered** to the queue ``<queue>.dead`` (through the exchange ``<queue>.dlx``) instead of coming back
for ever, and so is a message that is not an event envelope: look there, fix, and move them back.

**Replay** (``--from first|last|next|<ISO 8601 time>|<offset>``): instead of a queue of its own, it reads the
platform's event streams ``<exchange>.stream`` (one per exchange of ``--bind``, kept 400 days, see docs/bus.md)
from that point, keeps only the routing keys of ``--bind``, then goes on following them live. Its position in each
stream is saved in ``--state`` with the handled event ids, so a restart resumes where it stopped (``--from``
only applies to a stream it never read). A stream is not consumed by reading it: any number of systems, and
the same system again, may read it from any point. An event that keeps failing is retried in place, then set
aside in ``<queue>.dead`` as above.

    python deploy/examples/subscriber.py --url amqp://subscriber:subscriber@127.0.0.1:5672/%2F \\
        --queue subscriber.rectorat --bind applications.events:application.# \\
        --from 2026-09-01T00:00:00+02:00 --state subscriber-state.sqlite

    python deploy/examples/subscriber.py \\
        --url amqp://guest:guest@127.0.0.1:5672/%2F \\
        --queue rectorat.stages \\
        --bind applications.events:application.# --bind conventions.events:convention.signed_by_all \\
        --out events.jsonl --state subscriber-state.sqlite

Each handled event is written as one JSON line (the envelope, see
docs/events.md) to ``--out`` (default: standard output). Replace ``handle``
with what your system does; keep it idempotent.

Environment variables may replace the options: AMQP_URL, SUBSCRIBER_QUEUE,
SUBSCRIBER_BINDINGS (comma-separated ``exchange:key``), SUBSCRIBER_OUT,
SUBSCRIBER_STATE, SUBSCRIBER_FROM.

With a read-only user (docs/operations.md), name ``--queue`` after the user: ``<user>.<something>``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import logging
import os
import signal
import sqlite3
import sys
import threading
import time

import pika
import pika.exceptions

log = logging.getLogger("subscriber")

REQUIRED = ("event_id", "type", "version", "occurred_at", "producer", "data")


class SeenEvents:
    """event_ids already handled, kept across restarts (SQLite; in memory without a path)."""

    def __init__(self, path: str | None):
        self.db = sqlite3.connect(path or ":memory:", check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS handled (event_id TEXT PRIMARY KEY, at REAL NOT NULL)")
        # replay: the next offset to read in each stream
        self.db.execute("CREATE TABLE IF NOT EXISTS stream_offsets (stream TEXT PRIMARY KEY, next INTEGER NOT NULL)")
        self.db.commit()

    def seen(self, event_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM handled WHERE event_id = ?", (event_id,)).fetchone() is not None

    def remember(self, event_id: str | None, stream: str | None = None, offset: int | None = None,
                 commit: bool = True) -> None:
        """Remember a handled event and, reading a stream, the offset after it (one transaction). ``commit=False``
        leaves the offset of a message skipped (filtered out, duplicate) to the next commit: at worst a few are
        read again after a crash, and a replay of millions is not slowed down by a commit per message."""
        if event_id is not None:
            self.db.execute("INSERT OR IGNORE INTO handled (event_id, at) VALUES (?, ?)", (event_id, time.time()))
        if stream is not None and offset is not None:
            self.db.execute("INSERT INTO stream_offsets (stream, next) VALUES (?, ?) "
                            "ON CONFLICT (stream) DO UPDATE SET next = excluded.next", (stream, offset + 1))
        if commit:
            self.db.commit()

    def next_offset(self, stream: str) -> int | None:
        row = self.db.execute("SELECT next FROM stream_offsets WHERE stream = ?", (stream,)).fetchone()
        return row[0] if row else None


def parse_from(value: str):
    """``--from``: ``first``, ``last``, ``next``, an offset (integer) or an ISO 8601 time with its UTC offset
    (the broker starts at the first chunk written from that second on)."""
    if value in ("first", "last", "next"):
        return value
    if value.isdigit():
        return int(value)
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--from {value!r}: first, last, next, an offset or an ISO 8601 time") from None
    if when.tzinfo is None:
        raise ValueError(f"--from {value!r}: give the time with its offset, e.g. 2026-09-01T00:00:00+02:00")
    return when


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: ``*`` one word, ``#`` zero or more."""
    def match(p, k):
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and p[0] in ("*", k[0]) and match(p[1:], k[1:])
    return match(pattern.split("."), key.split("."))


class Subscriber:
    def __init__(self, url: str, queue: str, bindings: list[tuple[str, str]], handle, *,
                 seen: SeenEvents | None = None, prefetch: int = 20, max_backoff: float = 30.0,
                 max_attempts: int = 5, retry_pause: float = 1.0, replay_from=None):
        self.params = pika.URLParameters(url)
        self.params.heartbeat = self.params.heartbeat or 30
        self.params.blocked_connection_timeout = 60
        self.params.connection_attempts = 1
        self.queue = queue
        self.bindings = bindings
        self.handle = handle
        self.seen = seen or SeenEvents(None)
        self.prefetch = prefetch
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._connection: pika.BlockingConnection | None = None
        self.connections = 0  # how many times it (re)connected
        self.connection_losses = 0  # how many times the connection was lost
        self.duplicates = 0  # deliveries acknowledged without handling: events already handled
        self.max_attempts = max_attempts
        self.retry_pause = retry_pause
        self.failures: dict[str, int] = {}  # event_id -> failed attempts (this process)
        self.dead_lettered = 0  # messages sent to the dead-letter queue
        self.replayed = 0  # stream messages read (handled, duplicate, filtered out or set aside)
        self._committed_at = 0.0
        self.dead_queue = f"{queue}.dead"
        self.dead_exchange = f"{queue}.dlx"
        self.replay_from = replay_from  # None: its own queue; else read the streams from there (see --from)

    # -- setup ---------------------------------------------------------------
    def _exchanges(self, connection, channel):
        """The exchanges of --bind must exist: checked without declaring them (a read-only user may not declare
        the platform's exchanges); one that does not exist yet is declared as the producers do (topic, durable)
        when the user may, so that binding is possible before the first event is ever published."""
        for exchange in dict.fromkeys(e for e, _ in self.bindings):
            try:
                channel.exchange_declare(exchange=exchange, passive=True)
            except pika.exceptions.ChannelClosedByBroker as exc:
                if exc.reply_code != 404:
                    raise
                channel = connection.channel()
                channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
        return channel

    def _declare_dead_letters(self, channel) -> None:
        # Messages rejected without requeue (or set aside while replaying) go to the dead-letter queue.
        channel.exchange_declare(exchange=self.dead_exchange, exchange_type="fanout", durable=True)
        channel.queue_declare(queue=self.dead_queue, durable=True)
        channel.queue_bind(queue=self.dead_queue, exchange=self.dead_exchange)

    def _declare(self, channel) -> None:
        self._declare_dead_letters(channel)
        channel.queue_declare(queue=self.queue, durable=True, arguments={
            "x-queue-type": "classic", "x-dead-letter-exchange": self.dead_exchange})
        for exchange, key in self.bindings:
            channel.queue_bind(queue=self.queue, exchange=exchange, routing_key=key)
        channel.basic_qos(prefetch_count=self.prefetch)

    # -- one message -------------------------------------------------------------
    def _on_message(self, channel, method, properties, body: bytes) -> None:
        try:
            envelope = json.loads(body)
            if not isinstance(envelope, dict) or any(k not in envelope for k in REQUIRED):
                raise ValueError("not an event envelope")
        except ValueError as exc:
            log.error("dead-lettering a malformed message (%s): %r", exc, body[:200])
            channel.basic_reject(delivery_tag=method.delivery_tag, requeue=False)
            self.dead_lettered += 1
            return
        event_id = envelope["event_id"]
        if self.seen.seen(event_id):
            log.info("duplicate %s %s: already handled", envelope["type"], event_id)
            channel.basic_ack(delivery_tag=method.delivery_tag)
            self.duplicates += 1
            return
        try:
            self.handle(envelope)
        except Exception:
            attempts = self.failures[event_id] = self.failures.get(event_id, 0) + 1
            if attempts >= self.max_attempts:
                # It keeps failing: set it aside in the dead-letter queue rather than retry it for ever
                # (and hold up the events behind it).
                log.exception("handling %s %s failed %s times; dead-lettered to %s", envelope["type"], event_id,
                              attempts, self.dead_queue)
                channel.basic_reject(delivery_tag=method.delivery_tag, requeue=False)
                self.failures.pop(event_id, None)
                self.dead_lettered += 1
                return
            # Not acknowledged as done: back to the queue for another try (after a pause, so a
            # failing dependency is not hammered).
            log.exception("handling %s %s failed (attempt %s of %s); requeued", envelope["type"], event_id,
                          attempts, self.max_attempts)
            time.sleep(self.retry_pause)
            channel.basic_nack(delivery_tag=method.delivery_tag, requeue=True)
            return
        self.failures.pop(event_id, None)
        self.seen.remember(event_id)
        channel.basic_ack(delivery_tag=method.delivery_tag)  # only after processing

    # -- replay: one message of a stream ------------------------------------------------
    def _consume_streams(self, channel) -> None:
        self._declare_dead_letters(channel)
        channel.basic_qos(prefetch_count=self.prefetch)  # a stream consumer needs a prefetch
        for exchange in dict.fromkeys(e for e, _ in self.bindings):
            stream = f"{exchange}.stream"
            saved = self.seen.next_offset(stream)
            start = saved if saved is not None else self.replay_from
            channel.basic_consume(queue=stream, auto_ack=False, arguments={"x-stream-offset": start},
                                  on_message_callback=functools.partial(self._on_stream_message, stream))
            log.info("reading %s from %s", stream, start)

    def _on_stream_message(self, stream, channel, method, properties, body: bytes) -> None:
        offset = (properties.headers or {}).get("x-stream-offset")
        wanted = any(e == method.exchange and topic_matches(k, method.routing_key) for e, k in self.bindings)
        handled_id = None  # remembered as handled (never an event set aside: it may be replayed once fixed)
        set_aside = self.dead_lettered
        if wanted:
            try:
                envelope = json.loads(body)
                if not isinstance(envelope, dict) or any(k not in envelope for k in REQUIRED):
                    raise ValueError("not an event envelope")
            except ValueError as exc:
                log.error("setting aside a malformed message of %s at %s (%s)", stream, offset, exc)
                self._set_aside(channel, method, properties, body)
            else:
                if self.seen.seen(envelope["event_id"]):
                    self.duplicates += 1
                elif self._handle_in_place(channel, method, properties, body, envelope):
                    handled_id = envelope["event_id"]
        # A stream is not requeued: the position moves on once the event is handled or set aside.
        now = time.monotonic()
        commit = handled_id is not None or set_aside != self.dead_lettered or now - self._committed_at > 1.0
        self.seen.remember(handled_id, stream, offset, commit=commit)
        if commit:
            self._committed_at = now
        channel.basic_ack(delivery_tag=method.delivery_tag)
        self.replayed += 1

    def _handle_in_place(self, channel, method, properties, body, envelope) -> bool:
        """Handle, retrying in place (a stream cannot requeue); False once set aside."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                self.handle(envelope)
                return True
            except Exception:
                log.exception("handling %s %s failed (attempt %s of %s)", envelope["type"], envelope["event_id"],
                              attempt, self.max_attempts)
                if attempt < self.max_attempts:
                    time.sleep(self.retry_pause)
        self._set_aside(channel, method, properties, body)
        return False

    def _set_aside(self, channel, method, properties, body) -> None:
        channel.basic_publish(self.dead_exchange, method.routing_key, body,
                              pika.BasicProperties(content_type=properties.content_type, delivery_mode=2,
                                                   message_id=properties.message_id,
                                                   headers={"x-original-exchange": method.exchange}))
        self.dead_lettered += 1

    # -- the loop ----------------------------------------------------------------
    def run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self._connection = pika.BlockingConnection(self.params)
                channel = self._exchanges(self._connection, self._connection.channel())
                if self.replay_from is not None:
                    self._consume_streams(channel)
                else:
                    self._declare(channel)
                    channel.basic_consume(queue=self.queue, on_message_callback=self._on_message, auto_ack=False)
                self.connections += 1  # connected, queue bound (or streams opened), consuming
                log.info("consuming %s (bound to %s)", self.queue if self.replay_from is None else "the streams",
                         ", ".join(f"{e}:{k}" for e, k in self.bindings))
                backoff = 0.5
                while not self._stop.is_set():
                    self._connection.process_data_events(time_limit=0.5)
                try:
                    self._connection.close()
                except pika.exceptions.AMQPError:
                    pass
            except (pika.exceptions.AMQPConnectionError, pika.exceptions.AMQPChannelError,
                    pika.exceptions.StreamLostError, pika.exceptions.ConnectionClosedByBroker,
                    ConnectionError, OSError) as exc:
                if self._stop.is_set():
                    break
                self.connection_losses += 1
                log.warning("broker connection lost (%s: %s); reconnecting in %.1fs",
                            type(exc).__name__, exc, backoff)
                self._stop.wait(backoff)
                backoff = min(self.max_backoff, backoff * 2)
            finally:
                self._connection = None
                self.seen.db.commit()  # the stream positions not yet committed

    def stop(self) -> None:
        self._stop.set()


def parse_bindings(values: list[str]) -> list[tuple[str, str]]:
    out = []
    for v in values:
        for item in v.split(","):
            item = item.strip()
            if not item:
                continue
            exchange, sep, key = item.partition(":")
            out.append((exchange, key if sep else "#"))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Example subscriber to the platform's events (pika only).")
    ap.add_argument("--url", default=os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"))
    ap.add_argument("--queue", default=os.environ.get("SUBSCRIBER_QUEUE", "example.subscriber"))
    ap.add_argument("--bind", action="append", default=[],
                    help="exchange:routing_key (repeatable), e.g. applications.events:application.#")
    ap.add_argument("--out", default=os.environ.get("SUBSCRIBER_OUT"), help="JSON lines file (default: stdout)")
    ap.add_argument("--state", default=os.environ.get("SUBSCRIBER_STATE"),
                    help="SQLite file remembering handled event ids (default: in memory)")
    ap.add_argument("--max-attempts", type=int, default=int(os.environ.get("SUBSCRIBER_MAX_ATTEMPTS", "5")),
                    help="failed handlings of one event before it goes to the dead-letter queue <queue>.dead")
    ap.add_argument("--from", dest="replay_from", default=os.environ.get("SUBSCRIBER_FROM"),
                    help="replay: read the event streams from first, last, next, an ISO 8601 time or an offset, "
                         "then follow them live (position saved in --state)")
    args = ap.parse_args(argv)
    try:
        replay_from = parse_from(args.replay_from) if args.replay_from else None
    except ValueError as exc:
        ap.error(str(exc))
    bindings = parse_bindings(args.bind or [os.environ.get("SUBSCRIBER_BINDINGS",
                                                             "applications.events:#,conventions.events:#")])
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out = open(args.out, "a", encoding="utf-8") if args.out else sys.stdout

    def handle(envelope: dict) -> None:
        out.write(json.dumps(envelope, ensure_ascii=False, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno()) if args.out else None

    sub = Subscriber(args.url, args.queue, bindings, handle, seen=SeenEvents(args.state),
                     max_attempts=args.max_attempts, replay_from=replay_from)
    signal.signal(signal.SIGTERM, lambda *a: sub.stop())
    signal.signal(signal.SIGINT, lambda *a: sub.stop())
    sub.run()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
