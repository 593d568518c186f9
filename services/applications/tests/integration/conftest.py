"""Fixtures of the applications service's integration tests: the real applications, offers, identity and
notifications services in-process (nameko containers), on this run's own PostgreSQL databases and
RabbitMQ vhost. Nothing of ours is mocked."""
from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import text

from common.clock import PROCESS_CLOCK
from common.db import make_engine

from testkit.applications import start_services, stop_services

# Test mode: identity hands out activation secrets (applications reports its transfer links to testkit.hooks).
os.environ["STAGES_CLOCK_CONTROL"] = "1"

TIMER_SECONDS = 3600  # long: tests drive the timer through run_timer (test_timer.py uses 1 s)
SERVICES = ("applications", "offers", "identity", "notifications")


@pytest.fixture(scope="module")
def databases(service_db):
    return {s: service_db(s, reference=s in ("offers", "identity")) for s in SERVICES}


@pytest.fixture(scope="module")
def engine(databases):
    e = make_engine(databases["applications"], pool_size=2)
    yield e
    e.dispose()


@pytest.fixture(scope="module")
def services(databases, amqp_uri):
    """The four services, started once per test module."""
    containers = start_services(amqp_uri, TIMER_SECONDS)
    yield containers
    stop_services(containers)


@pytest.fixture
def running(services, engine):
    """Each test starts with no application (offers and accounts of earlier tests stay: tests make their own)."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE applications, application_deadlines, application_transitions, transfer_tokens, "
                          "outbox, inbox"))
    return services


@pytest.fixture
def cluster(running, amqp_uri):
    from common.rpc import cluster_rpc

    with cluster_rpc(amqp_uri, timeout=30) as proxy:
        yield proxy


@pytest.fixture
def rpc(cluster):
    return cluster.applications


@pytest.fixture
def clock():
    """Move every in-process service's clock by days/hours/minutes; reset after the test."""
    state = {"offset": 0.0}

    def move(**delta):
        state["offset"] += dt.timedelta(**delta).total_seconds()
        PROCESS_CLOCK.set_offset(state["offset"])
        return PROCESS_CLOCK.now()

    yield move
    PROCESS_CLOCK.set_offset(0)
