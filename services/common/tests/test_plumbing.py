"""The foundation's promises, against the real PostgreSQL and RabbitMQ:
green database access, the outbox surviving a crash, idempotent inbox,
RPC deadlines and typed remote errors, and events any AMQP client can read."""
import json
import time
import uuid

import eventlet
import pika
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import create_engine, text

from common import errors
from common.events import ENVELOPE_SCHEMA, make_envelope, publish_envelopes
from common.rpc import cluster_rpc

import probe_services as ps  # noqa: E402 (tests/ is on sys.path through conftest below)


def pika_params(amqp_uri):
    return pika.URLParameters(amqp_uri.replace("pyamqp://", "amqp://"))


def bind_queue(amqp_uri, exchange, routing_key):
    conn = pika.BlockingConnection(pika_params(amqp_uri))
    ch = conn.channel()
    ch.exchange_declare(exchange, exchange_type="topic", durable=True)
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q, exchange, routing_key)
    return conn, ch, q


def receive(ch, queue, count, timeout=10):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        method, props, body = ch.basic_get(queue, auto_ack=True)
        if method is None:
            time.sleep(0.05)
            continue
        got.append((method, props, body))
    return got


def test_queries_run_concurrently_under_eventlet(probe_db, start_service, amqp_uri):
    """psycopg's C wait would serialise these: 5 x 1 s would take 5 s."""
    start_service(ps.ProbeService)
    pool = eventlet.GreenPool(5)

    def call(_):
        with cluster_rpc(amqp_uri) as rpc:
            return rpc.probe.sleep_in_db(1)

    started = time.monotonic()
    assert list(pool.imap(call, range(5))) == [1] * 5
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"5 concurrent 1 s queries took {elapsed:.1f} s: the database access is not green"


def test_outbox_survives_a_crash_between_commit_and_publish(probe_db, start_service, amqp_uri):
    conn, ch, queue = bind_queue(amqp_uri, "probe.events", "probe.recorded")
    try:
        # 1. commit the change and its outbox row, but die before publishing
        container = start_service(ps.ProbeNoRelayService)
        with cluster_rpc(amqp_uri) as rpc:
            event_id = rpc.probe.record("before-crash")
        container.kill()
        assert receive(ch, queue, 1, timeout=1.5) == []
        engine = create_engine(probe_db)
        with engine.connect() as c:
            pending = c.execute(text("SELECT event_id FROM outbox WHERE published_at IS NULL")).scalars().all()
        assert pending == [event_id]

        # 2. the next process publishes what was left
        start_service(ps.ProbeService)
        got = receive(ch, queue, 1)
        assert len(got) == 1
        method, props, body = got[0]
        envelope = json.loads(body)
        assert props.content_type == "application/json"
        assert envelope["event_id"] == event_id and envelope["data"] == {"value": "before-crash"}
        Draft202012Validator(ENVELOPE_SCHEMA, format_checker=FormatChecker()).validate(envelope)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with engine.connect() as c:
                if c.execute(text("SELECT published_at FROM outbox")).scalar() is not None:
                    break
            time.sleep(0.1)
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar() == 0
        engine.dispose()
    finally:
        conn.close()


def test_a_pika_client_receives_events_with_the_documented_envelope(probe_db, start_service, amqp_uri):
    conn, ch, queue = bind_queue(amqp_uri, "probe.events", "probe.*")
    try:
        start_service(ps.ProbeService)
        with cluster_rpc(amqp_uri) as rpc:
            ids = [rpc.probe.record(f"v{i}") for i in range(3)]
        got = receive(ch, queue, 3)
        envelopes = [json.loads(body) for _, _, body in got]
        assert [e["event_id"] for e in envelopes] == ids  # in commit order
        for method, props, body in got:
            e = json.loads(body)
            assert method.exchange == "probe.events" and method.routing_key == "probe.recorded"
            assert set(e) == {"event_id", "type", "version", "occurred_at", "producer", "data"}
            assert (e["type"], e["version"], e["producer"]) == ("probe.recorded", 1, "probe")
    finally:
        conn.close()


def test_a_duplicated_event_is_handled_once(probe_db, start_service, amqp_uri):
    from common.events import handled

    start_service(ps.ListenerService)
    done = handled("listener.on_recorded")
    envelope = make_envelope("probe", "probe.recorded", {"value": "x"})
    config = {"AMQP_URI": amqp_uri}
    assert publish_envelopes(config, [(envelope, None), (envelope, None)]) == 2
    other = make_envelope("probe", "probe.recorded", {"value": "y"})
    assert publish_envelopes(config, [(other, None)]) == 1
    engine = create_engine(probe_db)
    deadline = time.monotonic() + 10
    rows = []
    while handled("listener.on_recorded") < done + 3:  # a positive sign: the three deliveries went through
        assert time.monotonic() < deadline, "the deliveries were not handled"
        time.sleep(0.05)
    with engine.connect() as c:
        rows = c.execute(text("SELECT event_id, value FROM effects ORDER BY value")).all()
    engine.dispose()
    # each event once; two different events are handled concurrently, in either order
    assert [(r.event_id, r.value) for r in rows] == [(envelope["event_id"], "seen:x"),
                                                     (other["event_id"], "seen:y")]


def test_rpc_calls_time_out_and_errors_stay_typed(probe_db, start_service, amqp_uri):
    start_service(ps.ProbeService)
    start_service(ps.CallerService)
    with cluster_rpc(amqp_uri) as rpc:
        started = time.monotonic()
        with pytest.raises(errors.ServiceUnavailable) as info:
            rpc.caller.call_slow(5)
        assert time.monotonic() - started < 3
        assert info.value.code == "rpc_timeout" and "n'a pas répondu" in info.value.detail
        assert rpc.caller.call_slow(0.01) == "done"

        with pytest.raises(errors.NotFound) as info:
            rpc.caller.call_missing()
        assert info.value.code == "probe_missing" and info.value.detail == "Rien ici."

        with pytest.raises(errors.ServiceUnavailable) as info:
            rpc.caller.call_nobody()
        assert info.value.code == "service_unavailable"


def test_a_database_that_refuses_connections_answers_503_not_an_internal_error(backends, start_service, amqp_uri,
                                                                             monkeypatch):
    """PostgreSQL refusing a connection (too many clients, a restart, here a database that is not there) is a
    temporary unavailability the caller may retry, not a 500: found by two replicas of everything on one
    PostgreSQL (tests/test_replicas.py)."""
    missing = backends.create_database(f"t{backends.run_id}_gone_{uuid.uuid4().hex[:6]}")
    backends.drop_database(missing.rsplit("/", 1)[1])
    monkeypatch.setenv("PROBE_DATABASE_URL", missing)
    start_service(ps.ProbeNoRelayService)
    with cluster_rpc(amqp_uri) as rpc:
        with pytest.raises(errors.ServiceUnavailable) as info:
            rpc.probe.sleep_in_db(0)
        assert info.value.code == "database_unavailable" and info.value.status == 503
        assert "Réessayez" in info.value.detail


def test_a_message_without_content_type_does_not_kill_the_service(probe_db, start_service, amqp_uri, caplog):
    import logging

    caplog.set_level(logging.ERROR, logger="common.service")
    container = start_service(ps.ProbeService)
    conn = pika.BlockingConnection(pika_params(amqp_uri))
    ch = conn.channel()
    ch.basic_publish("nameko-rpc", "probe.health", b'{"args": [], "kwargs": {}}',
                     pika.BasicProperties(reply_to="nowhere", correlation_id="x"))
    conn.close()
    deadline = time.monotonic() + 10
    while not any("dropping a malformed RPC request" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the malformed request was not dropped"   # a positive sign
        time.sleep(0.05)
    with cluster_rpc(amqp_uri, timeout=5) as rpc:
        assert rpc.probe.health()["status"] == "ok"
    assert not container._died.ready()


def test_the_request_id_travels_to_services_their_logs_and_their_events(probe_db, start_service, amqp_uri):
    import logging
    from common.logs import JsonFormatter, set_request_id

    start_service(ps.ProbeService)
    with cluster_rpc(amqp_uri, context_data={"request_id": "req-77"}) as rpc:
        assert rpc.probe.current_request() == "req-77"
        event_id = rpc.probe.record("traced")
    engine = create_engine(probe_db)
    with engine.connect() as c:
        assert c.execute(text("SELECT request_id FROM outbox WHERE event_id = :e"), {"e": event_id}).scalar() == "req-77"
    engine.dispose()
    set_request_id("req-78")
    try:
        line = JsonFormatter(service="probe").format(logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None))
    finally:
        set_request_id(None)
    assert json.loads(line) | {"ts": None} == {"ts": None, "level": "INFO", "logger": "x", "msg": "hello you",
                                               "service": "probe", "request_id": "req-78"}


def _pending_rows(engine, envelopes, request_ids):
    import json as _json
    with engine.begin() as c:
        for envelope, rid in zip(envelopes, request_ids):
            c.execute(text("INSERT INTO outbox (event_id, type, envelope, request_id) "
                           "VALUES (:e, :t, CAST(:env AS jsonb), :r)"),
                      {"e": envelope["event_id"], "t": envelope["type"], "env": _json.dumps(envelope), "r": rid})


def test_the_relay_publishes_batches_in_order_with_their_properties(probe_db, amqp_uri):
    """Several batches in flight, one big envelope split over several body frames, request ids
    as headers: a plain AMQP client gets every event once, in order, as written."""
    from common.db import OutboxRelay, make_engine
    conn, ch, queue = bind_queue(amqp_uri, "probe.events", "probe.*")
    engine = make_engine(probe_db, pool_size=6)
    try:
        envelopes = [make_envelope("probe", "probe.recorded", {"value": f"v{i}"}) for i in range(4500)]
        envelopes[10]["data"]["value"] = "é" * 200_000  # larger than a frame (128 kB)
        _pending_rows(engine, envelopes, [f"req-{i}" if i % 2 else None for i in range(4500)])
        relay = OutboxRelay(engine, ps.metadata.tables["outbox"], {"AMQP_URI": amqp_uri}, "probe")
        relay.batch_size = 1000  # five batches, three in flight at once
        assert relay.publish_pending() == 4500
        got = receive(ch, queue, 4500, timeout=30)
        assert [json.loads(body)["event_id"] for _, _, body in got] == [e["event_id"] for e in envelopes]
        _, props, body = got[10]
        assert json.loads(body)["data"]["value"] == "é" * 200_000
        for i in (0, 1):
            method, props, _ = got[i]
            assert (method.exchange, method.routing_key) == ("probe.events", "probe.recorded")
            assert (props.content_type, props.content_encoding, props.delivery_mode) == \
                ("application/json", "utf-8", 2)
            assert props.message_id == envelopes[i]["event_id"]
            assert (props.headers or {}).get("nameko.request_id") == (f"req-{i}" if i % 2 else None)
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar() == 0
        assert relay.publish_pending() == 0
    finally:
        conn.close()
        engine.dispose()


def test_a_batch_the_broker_does_not_confirm_stays_pending_with_those_sent_after(probe_db, amqp_uri):
    from common.db import OutboxRelay, make_engine
    engine = make_engine(probe_db, pool_size=6)
    try:
        envelopes = [make_envelope("probe", "probe.recorded", {"value": f"v{i}"}) for i in range(50)]
        _pending_rows(engine, envelopes, [None] * 50)
        relay = OutboxRelay(engine, ps.metadata.tables["outbox"], {"AMQP_URI": amqp_uri}, "probe")
        relay.batch_size = 10
        real_confirmed = relay.publisher.confirmed
        calls = []

        def second_batch_half_refused(first, last):
            calls.append((first, last))
            taken = real_confirmed(first, last)
            return 5 if len(calls) == 2 else taken

        relay.publisher.confirmed = second_batch_half_refused
        assert relay.publish_pending() == 15  # the first batch and half of the second
        with engine.connect() as c:
            pending = c.execute(text("SELECT event_id FROM outbox WHERE published_at IS NULL ORDER BY id")).scalars().all()
            attempts = c.execute(text("SELECT attempts FROM outbox WHERE event_id = :e"),
                                 {"e": envelopes[15]["event_id"]}).scalar()
        assert pending == [e["event_id"] for e in envelopes[15:]] and attempts == 1
        relay.publisher.confirmed = real_confirmed
        assert relay.publish_pending() == 35  # published again later (consumers deduplicate)
    finally:
        engine.dispose()


def test_a_statement_locking_the_outbox_behind_a_batch_in_flight_does_not_stall_the_relay(probe_db, amqp_uri):
    """A TRUNCATE (or a migration's ALTER TABLE) waits for the batch in flight; the relay's next read
    queued behind it used to wait for ever, since only the relay itself commits the batch in flight
    (a test module's cleanup hung the whole run). The relay now finishes what it sent and lets it pass."""
    import psycopg

    from common.db import OutboxRelay, make_engine
    engine = make_engine(probe_db, pool_size=6)
    url = probe_db.replace("postgresql+psycopg://", "postgresql://")
    try:
        _pending_rows(engine, [make_envelope("probe", "probe.recorded", {"value": i}) for i in range(30)], [None] * 30)
        relay = OutboxRelay(engine, ps.metadata.tables["outbox"], {"AMQP_URI": amqp_uri}, "probe")
        relay.batch_size = 10
        real_send, truncation = relay.publisher.send, []

        def truncate():
            with psycopg.connect(url, autocommit=True) as c:
                c.execute("TRUNCATE outbox")

        def send_then_queue_a_truncate(messages, producer=None):
            sent = real_send(messages, producer)
            if not truncation:
                truncation.append(eventlet.spawn(truncate))
                with psycopg.connect(url, autocommit=True) as c:
                    for _ in range(100):  # until the TRUNCATE waits for this batch's lock
                        if c.execute("SELECT count(*) FROM pg_locks l JOIN pg_class r ON r.oid = l.relation "
                                     "WHERE r.relname = 'outbox' AND NOT l.granted").fetchone()[0]:
                            break
                        eventlet.sleep(0.05)
            return sent

        relay.publisher.send = send_then_queue_a_truncate
        with eventlet.Timeout(20):
            published = relay.publish_pending()
            truncation[0].wait()
        assert published == 10  # the batch in flight, confirmed and marked; no other taken meanwhile
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM outbox")).scalar() == 0  # the TRUNCATE went through
    finally:
        engine.dispose()


def test_a_call_with_wrong_arguments_is_refused_without_running(probe_db, start_service, amqp_uri):
    """nameko's argument check, with the signature built once (common.service.CachedSignatureCheck)."""
    from nameko.exceptions import IncorrectSignature
    start_service(ps.ProbeService)
    with cluster_rpc(amqp_uri, timeout=5) as rpc:
        for call in (lambda: rpc.probe.slow(), lambda: rpc.probe.slow(1, 2), lambda: rpc.probe.slow(delay=1)):
            with pytest.raises(IncorrectSignature):
                call()
        assert rpc.probe.slow(0) == "done" and rpc.probe.slow(seconds=0) == "done"


def test_published_outbox_rows_and_old_inbox_marks_are_purged(probe_db):
    """Published outbox rows older than the retention go (pending ones never, however old), and
    inbox marks older than four times the retention; in batches."""
    from common.db import make_engine, purge_plumbing
    engine = make_engine(probe_db)
    try:
        with engine.begin() as c:
            for i, (created, published) in enumerate([("10 days", "10 days"), ("9 days", "9 days"),
                                                      ("10 days", None), ("1 day", "1 day"), ("0 days", None)]):
                c.execute(text(
                    "INSERT INTO outbox (event_id, type, envelope, created_at, published_at) VALUES "
                    "(:e, 'probe.recorded', '{}', now() - CAST(:c AS interval), now() - CAST(:p AS interval))"),
                    {"e": f"ev-{i}", "c": created, "p": published})
            for i, age in enumerate(["40 days", "27 days", "1 hour"]):
                c.execute(text("INSERT INTO inbox (event_id, handler, type, received_at) "
                               "VALUES (:e, 'h', 't', now() - CAST(:a AS interval))"), {"e": f"in-{i}", "a": age})
        assert purge_plumbing(engine, retention_days=7, batch=1) == (2, 1)
        with engine.connect() as c:
            assert c.execute(text("SELECT event_id FROM outbox ORDER BY id")).scalars().all() == \
                ["ev-2", "ev-3", "ev-4"]
            assert c.execute(text("SELECT event_id FROM inbox ORDER BY event_id")).scalars().all() == \
                ["in-1", "in-2"]
        assert purge_plumbing(engine, retention_days=7) == (0, 0)
    finally:
        engine.dispose()


def test_relay_reads_a_burst_of_pending_rows_in_index_order_without_sorting_them(probe_db):
    """Statistics lag behind a burst of outbox rows; the relay's batch query must still walk the
    pending index in id order (a bitmap scan plus a sort of every pending envelope took 0.8 s a
    batch at 200,000 rows) and lock only the batch it returns."""
    import psycopg

    from common.db import select_pending
    url = probe_db.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO outbox (event_id, type, envelope) SELECT gen_random_uuid()::text, "
                     "'probe.recorded', jsonb_build_object('n', n) FROM generate_series(1, 20000) n")
        conn.commit()
        with conn.transaction():
            plan = "\n".join(select_pending(conn.cursor(), 2000, explain=True))
            rows = select_pending(conn.cursor(), 2000)
            with psycopg.connect(url) as other:  # what another relay could still take
                free = other.execute("SELECT count(*) FROM (SELECT id FROM outbox WHERE published_at IS NULL "
                                     "FOR UPDATE SKIP LOCKED) t").fetchone()[0]
    assert free == 18000
    assert "Index Scan using ix_outbox_pending" in plan and "Sort" not in plan, plan
    assert [r[0] for r in rows] == sorted(r[0] for r in rows) and len(rows) == 2000
