"""Fixtures of identity's integration tests: a migrated database with the schools
loaded, the service in-process on this run's vhost, and an RPC client."""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # identity_helpers

# Cheap Argon2 parameters for tests (set before the service creates its hasher).
os.environ.setdefault("IDENTITY_ARGON2_TIME_COST", "1")
os.environ.setdefault("IDENTITY_ARGON2_MEMORY_KIB", "8192")
os.environ.setdefault("IDENTITY_ARGON2_PARALLELISM", "1")


@pytest.fixture
def identity(service_db, start_service, amqp_uri, monkeypatch):
    monkeypatch.setenv("STAGES_CLOCK_CONTROL", "1")
    monkeypatch.setenv("STAGES_DEMO", "1")   # seed_demo answers
    service_db("identity", reference=True)
    from identity.service import IdentityService
    container = start_service(IdentityService, max_workers=10)
    from common.rpc import cluster_rpc
    with cluster_rpc(amqp_uri, timeout=30) as rpc:
        yield rpc.identity, container


@pytest.fixture
def clock():
    from common.clock import PROCESS_CLOCK
    yield PROCESS_CLOCK
    PROCESS_CLOCK.set_offset(0)


@pytest.fixture
def engine(service_db):
    from sqlalchemy import create_engine
    e = create_engine(service_db("identity", reference=True))
    yield e
    e.dispose()
