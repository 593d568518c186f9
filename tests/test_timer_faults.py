"""Timers through faults (issue "Keep working through faults", item 6): the applications service is killed
(SIGKILL) across an application's deadline; restarted, its timer expires the application once, at most a
minute late, and its event reaches an outside subscriber exactly once."""
import datetime as dt
import signal
import time

import pika
import pytest

from testkit.applications import application_form, suite_employer, suite_offer, suite_pupils
from common.transport import loads

pytestmark = pytest.mark.suite


def _wait(fn, timeout=60, step=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(step)
    return fn()


def test_an_application_expires_once_after_its_service_was_killed_across_the_deadline(suite, suite_clock):
    conn = pika.BlockingConnection(pika.URLParameters(suite.amqp_uri.replace("pyamqp://", "amqp://")))
    ch = conn.channel()
    ch.exchange_declare("applications.events", exchange_type="topic", durable=True)
    queue = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(queue, "applications.events", "application.expired")
    try:
        with suite.rpc() as rpc:
            emp = suite_employer(rpc)
            offer = suite_offer(rpc, emp["user_id"], seats=2)
            [pupil] = suite_pupils(rpc, 1)
            app = rpc.applications.submit(actor=pupil["actor"], offer_id=offer["id"],
                                          form=application_form(offer["offer_weeks"][0]))
        deadline = dt.datetime.fromisoformat(app["deadline_at"])

        suite.stop("applications", sig=signal.SIGKILL)     # killed while the application is pending
        now = dt.datetime.now(dt.timezone.utc)
        # every clock a few seconds past the deadline, the restarted service's too
        suite_clock((deadline - now).total_seconds() + 5)
        suite.start("applications", APPLICATIONS_EXPIRY_INTERVAL=2)  # its timer, with a short period
        suite.wait_ready()

        def expired():
            with suite.rpc() as rpc:
                a = rpc.applications.get_application(application_id=app["id"])
            return a if a["state"] == "expired" else None

        got = _wait(expired)
        assert got, "the application did not expire after the restart"

        def events():
            out = []
            while True:
                method, _, body = ch.basic_get(queue, auto_ack=True)
                if method is None:
                    return out
                out.append(loads(body))

        received = _wait(lambda: [e for e in events() if e["data"]["application_id"] == app["id"]])
        [event] = received
        lateness = dt.datetime.fromisoformat(event["occurred_at"]) - deadline
        assert dt.timedelta(0) <= lateness <= dt.timedelta(minutes=1)
        # once: another pass of the timer expires nothing, the outbox has nothing left to publish, and no second
        # event for this application reached the subscriber
        with suite.rpc() as rpc:
            assert rpc.applications.run_timer()["expired"] == 0
            assert _wait(lambda: rpc.applications.health()["outbox_pending"] == 0)
        assert [e for e in events() if e["data"]["application_id"] == app["id"]] == []
    finally:
        suite.stop("applications")        # back to its usual timer for the tests that follow
        suite.start("applications")
        suite.wait_ready()
        conn.close()
