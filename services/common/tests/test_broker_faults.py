"""Broker faults (issue "Keep working through faults"), against the real RabbitMQ: the services under test
reach it through a proxy that the test cuts, so the shared broker keeps running for everyone else."""
import time

import eventlet
import pika
import pytest

from common import errors, transport
from common.rpc import cluster_rpc

import probe_services as ps  # noqa: E402
from broker_proxy import BrokerProxy  # noqa: E402
from test_plumbing import pika_params  # noqa: E402


@pytest.fixture
def proxy(amqp_uri):
    p = BrokerProxy(amqp_uri)
    yield p
    p.close()


def wait_until(predicate, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        eventlet.sleep(step)
    return predicate()


def test_a_reply_the_broker_cannot_take_is_dropped_and_the_service_lives_on(probe_db, start_service,
                                                                             amqp_uri, proxy):
    container = start_service(ps.ProbeService, AMQP_URI=proxy.uri)
    with cluster_rpc(amqp_uri, timeout=5) as rpc:
        assert rpc.probe.health()["status"] == "ok"
    before = proxy.connections

    def call_slow():
        with cluster_rpc(amqp_uri, timeout=3) as rpc:
            try:
                return rpc.probe.slow(1.0)
            except Exception as exc:  # the reply was dropped: the caller's deadline answers it
                return exc

    caller = eventlet.spawn(call_slow)
    # the request is being handled (the worker sleeps 1 s) when the broker goes away
    assert wait_until(lambda: container._worker_threads, 5)
    proxy.cut()
    outcome = caller.wait()
    assert isinstance(outcome, Exception)  # no answer reached the caller; it gave up at its deadline
    assert not container._died.ready(), "a broker fault ended the service"

    proxy.restore()
    # the service reconnects by itself, quickly (kombu's defaults waited up to 10 s and more)
    started = time.monotonic()
    assert wait_until(lambda: proxy.connections > before, 5)

    def answers():
        try:
            with cluster_rpc(amqp_uri, timeout=1) as rpc:
                return rpc.probe.health()["status"] == "ok"
        except Exception:
            return False

    assert wait_until(answers, 10, step=0.1)
    assert time.monotonic() - started < 5
    assert not container._died.ready()
    container.stop()  # while the proxy is up (stopping drains through the broker connection)


def test_a_link_to_an_unreachable_broker_fails_at_once_and_reconnects_when_it_is_back(amqp_uri, proxy):
    link = transport.AmqpLink(proxy.uri, "nameko-rpc")
    try:
        link.publish(b"{}", "nobody.anything")          # connected through the proxy
        proxy.cut()
        assert wait_until(lambda: link._conn is None, 5)  # the link's reader saw the connection end
        started = time.monotonic()
        with pytest.raises(transport.BrokerUnreachable):
            link.publish(b"{}", "nobody.anything")
        with pytest.raises(transport.BrokerUnreachable):  # within the pause: no new attempt, an answer at once
            link.publish(b"{}", "nobody.anything")
        assert time.monotonic() - started < 1.5
        proxy.restore()
        eventlet.sleep(transport.RECONNECT_PAUSE)
        link.publish(b"{}", "nobody.anything")
    finally:
        link.close()


def test_a_call_keeps_its_deadline_when_the_broker_is_unreachable(probe_db, start_service, amqp_uri):
    start_service(ps.ProbeService)
    caller = start_service(ps.CallerService)
    client = next(ext for ext in caller.extensions if isinstance(ext, transport.RpcClient))
    # a broker that accepts TCP connections and never answers (the worst case: no refusal to act on)
    silent = eventlet.listen(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    held = []
    acceptor = eventlet.spawn(lambda: [held.append(silent.accept()) for _ in range(100)])
    try:
        client._link.uri = f"pyamqp://guest:guest@127.0.0.1:{port}/"
        client._link._drop()
        with cluster_rpc(amqp_uri, timeout=10) as rpc:
            started = time.monotonic()
            with pytest.raises(errors.ServiceUnavailable):
                rpc.caller.call_slow(0.01)      # the caller's deadline to probe is 0.5 s
            assert time.monotonic() - started < 1.5
    finally:
        acceptor.kill()
        silent.close()


def test_requests_expire_in_the_broker_when_nobody_waits_for_them(probe_db, start_service, amqp_uri):
    # the queue of a stopped service: it exists, nobody consumes it
    conn = pika.BlockingConnection(pika_params(amqp_uri))
    ch = conn.channel()
    ch.exchange_declare("nameko-rpc", exchange_type="topic", durable=True)
    ch.queue_declare("rpc-ghost", durable=True)
    ch.queue_bind("rpc-ghost", "nameko-rpc", "ghost.*")
    start_service(ps.GhostCallerService)
    try:
        with cluster_rpc(amqp_uri, timeout=10) as rpc:
            waiting = rpc.ghost_caller.call_ghost.call_async(2.0)

            def request():
                method, props, _ = ch.basic_get("rpc-ghost", auto_ack=True)
                return props if method else None

            props = wait_until(request, 5)
            assert props is not None and props.expiration == "2000"  # the caller's deadline, in ms
            with pytest.raises(errors.ServiceUnavailable):
                waiting.result()

            with pytest.raises(errors.ServiceUnavailable):
                rpc.ghost_caller.call_ghost(0.3)
        # the broker dropped the request nobody waits for: the restarted service will not run it
        assert wait_until(lambda: ch.queue_declare("rpc-ghost", passive=True).method.message_count == 0, 10)
    finally:
        ch.queue_delete("rpc-ghost")
        conn.close()
