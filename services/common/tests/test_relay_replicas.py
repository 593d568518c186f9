"""Several replicas of a service (issue "Keep working through faults, and scale out"): one outbox relay is
active at a time, so the events leave in outbox order; when its process goes, another replica's relay takes over."""
import time

from sqlalchemy import create_engine, text

from common.db import Database
from common.rpc import cluster_rpc
from common.transport import loads

import probe_services as ps  # noqa: E402
from test_plumbing import bind_queue  # noqa: E402


def _wait(fn, timeout=30, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(step)
    return fn()


def _lease_of(container):
    db = next(d for d in container.dependencies if isinstance(d, Database))
    return db._lease


def test_one_relay_publishes_for_all_replicas_in_outbox_order_and_another_takes_over(probe_db, start_service,
                                                                                     amqp_uri):
    conn, ch, queue = bind_queue(amqp_uri, "probe.events", "probe.recorded")
    replicas = [start_service(ps.ProbeService), start_service(ps.ProbeService)]
    engine = create_engine(probe_db)
    try:
        with cluster_rpc(amqp_uri, timeout=10) as rpc:
            # both replicas take requests (competing consumers); one event per call, in call order
            values = [f"v{i:03d}" for i in range(60)]
            for v in values:
                rpc.probe.record(v)

            received = []

            def all_received():
                while True:
                    method, _, body = ch.basic_get(queue, auto_ack=True)
                    if method is None:
                        break
                    received.append(loads(body)["data"]["value"])
                return len(received) >= len(values)

            assert _wait(all_received)
            assert received == values  # outbox order: a single relay at a time
            # exactly one relay holds the lease
            with engine.connect() as c:
                holders = c.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).scalar()
            assert holders == 1
            [active] = [r for r in replicas if _lease_of(r)._conn is not None]
            [other] = [r for r in replicas if r is not active]

            active.stop()   # the active relay's process goes away: the other replica's relay takes over
            rpc.probe.record("after")

            def after():
                method, _, body = ch.basic_get(queue, auto_ack=True)
                return method is not None and loads(body)["data"]["value"] == "after"

            assert _wait(after)
            assert _lease_of(other)._conn is not None
    finally:
        engine.dispose()
        conn.close()
