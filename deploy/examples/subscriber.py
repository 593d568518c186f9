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
SUBSCRIBER_STATE.
"""
from __future__ import annotations

import argparse
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
        self.db.commit()

    def seen(self, event_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM handled WHERE event_id = ?", (event_id,)).fetchone() is not None

    def remember(self, event_id: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO handled (event_id, at) VALUES (?, ?)", (event_id, time.time()))
        self.db.commit()


class Subscriber:
    def __init__(self, url: str, queue: str, bindings: list[tuple[str, str]], handle, *,
                 seen: SeenEvents | None = None, prefetch: int = 20, max_backoff: float = 30.0,
                 max_attempts: int = 5, retry_pause: float = 1.0):
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
        self.dead_queue = f"{queue}.dead"
        self.dead_exchange = f"{queue}.dlx"

    # -- setup ---------------------------------------------------------------
    def _declare(self, channel) -> None:
        for exchange, _ in self.bindings:
            # Same declaration as the producers' (topic, durable): declaring makes binding possible
            # before the first event is ever published.
            channel.exchange_declare(exchange=exchange, exchange_type="topic", durable=True)
        # Messages rejected without requeue go to the dead-letter queue (declared first).
        channel.exchange_declare(exchange=self.dead_exchange, exchange_type="fanout", durable=True)
        channel.queue_declare(queue=self.dead_queue, durable=True)
        channel.queue_bind(queue=self.dead_queue, exchange=self.dead_exchange)
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

    # -- the loop ----------------------------------------------------------------
    def run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self._connection = pika.BlockingConnection(self.params)
                channel = self._connection.channel()
                self._declare(channel)
                channel.basic_consume(queue=self.queue, on_message_callback=self._on_message, auto_ack=False)
                self.connections += 1  # connected, queue bound, consuming
                log.info("consuming %s (bound to %s)", self.queue,
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
    args = ap.parse_args(argv)
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
                     max_attempts=args.max_attempts)
    signal.signal(signal.SIGTERM, lambda *a: sub.stop())
    signal.signal(signal.SIGINT, lambda *a: sub.stop())
    sub.run()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
