"""The nameko timer fires by itself (its interval comes from the container config)."""
import eventlet
import pytest

from testkit.applications import employer, form, pupil, start_services, stop_services, suite_offer


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


def test_two_replicas_expire_each_application_once(services, cluster, rpc, clock, engine, amqp_uri):
    """Two replicas of applications, both timers firing every second on the same database: each overdue
    application is expired once, with one event (SKIP LOCKED batches)."""
    from sqlalchemy import text

    from applications.service import ApplicationsService
    from testkit.applications import start_container

    replica = start_container(ApplicationsService, amqp_uri, APPLICATIONS_EXPIRY_INTERVAL=1)
    try:
        o = suite_offer(cluster, employer()["user_id"], seats=40)
        apps = [rpc.submit(actor=pupil(), offer_id=o["id"], form=form(week=o["offer_weeks"][0]))["id"]
                for _ in range(30)]
        clock(days=15, minutes=1)

        def states():
            with engine.connect() as c:
                return dict(c.execute(text("SELECT id::text, state FROM applications WHERE id = ANY(:ids)"),
                                      {"ids": apps}).all())

        for _ in range(60):
            if set(states().values()) == {"expired"}:
                break
            eventlet.sleep(0.5)
        assert set(states().values()) == {"expired"}
        with engine.connect() as c:
            expired = c.execute(text("SELECT envelope->'data'->>'application_id' FROM outbox "
                                     "WHERE type = 'application.expired' AND "
                                     "envelope->'data'->>'application_id' = ANY(:ids)"), {"ids": apps}).scalars().all()
            transitions = c.execute(text("SELECT count(*) FROM application_transitions WHERE to_state = 'expired' "
                                         "AND application_id = ANY(:ids)"), {"ids": apps}).scalar()
        assert sorted(expired) == sorted(apps)  # one event each
        assert transitions == 30                # one transition each
    finally:
        replica.stop()
