"""The nameko timer fires by itself (its interval comes from the container config)."""
import eventlet
import pytest

from applications.testing import employer, form, pupil, start_services, stop_services, suite_offer


@pytest.fixture(scope="module")
def services(databases, amqp_uri):
    containers = start_services(amqp_uri, timer_seconds=1)
    yield containers
    stop_services(containers)


def test_timer_expires_without_being_called(cluster, rpc, clock):
    o = suite_offer(cluster, employer()["user_id"])
    a = rpc.submit(actor=pupil(), offer_id=o["id"], form=form(week=o["offer_weeks"][0]))
    clock(days=15)
    for _ in range(20):
        if rpc.get_application(application_id=a["id"])["state"] == "expired":
            break
        eventlet.sleep(0.5)
    assert rpc.get_application(application_id=a["id"])["state"] == "expired"
