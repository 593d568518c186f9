"""The fault suite's fixtures: the platform's (testkit.pytest_plugin), with this run's RabbitMQ on a private node
(testkit.broker) that the tests stop, restart and kill; the shared broker is never used. eventlet patches the
standard library first, as in the repository's conftest."""
import warnings

warnings.filterwarnings("ignore", message=".*Eventlet is deprecated.*")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

# the fault suite proves the production queues: quorum queues with dead-letter queues (common.queues)
os.environ["STAGES_QUEUE_TYPE"] = "quorum"

pytest_plugins = ["testkit.pytest_plugin"]


@pytest.fixture(scope="session")
def broker():
    from testkit.broker import PrivateBroker

    run_id = os.environ.get("STAGES_TEST_RUN") or uuid.uuid4().hex[:8]
    os.environ["STAGES_TEST_RUN"] = run_id   # the backends' run id: databases t<run>_*, node faults-<run>
    b = PrivateBroker(run_id)
    try:
        b.start()
        yield b
    finally:
        b.remove()


@pytest.fixture(scope="session")
def backends(broker):
    """``testkit.pytest_plugin``'s backends, with the private node as the run's broker."""
    from testkit.broker import PrivateBackends

    b = PrivateBackends(broker)
    old = {k: os.environ.get(k) for k in ("STAGES_REDIS_URL", "STAGES_REDIS_PREFIX", "AMQP_URI", "STAGES_TEST_AMQP")}
    # the processes of the suite inherit this environment: no setting of theirs may name the shared broker
    os.environ["STAGES_TEST_AMQP"] = broker.uri
    os.environ["STAGES_REDIS_URL"] = b.redis_url
    os.environ["STAGES_REDIS_PREFIX"] = b.redis_prefix
    os.environ.pop("AMQP_URI", None)
    yield b
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    b.close()
