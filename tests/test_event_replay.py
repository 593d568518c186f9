"""Events for other systems, against the real broker: the event streams (replay) and the read-only user.

On a vhost of its own, the test declares the streams as the deployment does (common.subscribers, via
deploy/subscribers.py), creates a subscriber user with the production permissions, publishes events the way the
platform does (common.events.publish_envelopes: the outbox relay's publisher), then the example subscriber
(deploy/examples/subscriber.py), connected as that user, reads them back from the streams: from `first`, from a
timestamp, and after a restart from where it stopped. The same user is refused publishing to the platform's
exchanges and reading its RPC and event queues (403 ACCESS_REFUSED)."""
import datetime as dt
import importlib.util
import json
import re
import subprocess
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pika
import pika.exceptions
import pytest

from common import subscribers
from common.envelope import make_envelope
from common.events import publish_envelopes

REPO = Path(__file__).resolve().parents[1]
SERVICES = ("identity", "offers", "applications", "conventions")


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, REPO / path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load("example_subscriber_replay", "deploy/examples/subscriber.py")
deploy = _load("deploy_subscribers", "deploy/subscribers.py")


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _pika_url(uri: str, user: str, password: str) -> str:
    p = urllib.parse.urlsplit(uri)
    return f"amqp://{user}:{password}@{p.hostname}:{p.port or 5672}/{urllib.parse.quote(urllib.parse.unquote(p.path[1:]), safe='')}"


@pytest.fixture(scope="module")
def bus(backends):
    """A vhost with the event streams, and a subscriber user with the production permissions on it."""
    vhost = f"t{backends.run_id}_replay"
    uri = backends.create_vhost(vhost)
    user, password = f"t{backends.run_id}-subscriber", uuid.uuid4().hex
    assert subscribers.declare_event_streams(SERVICES, uri) == [f"{s}.events.stream" for s in SERVICES]
    assert subscribers.declare_event_streams(SERVICES, uri)  # idempotent
    if backends.amqp_admin == "rabbitmqctl":
        perms = deploy.grant(user, vhost, password)  # what deploy/setup.sh and an operator run
        assert '"max-connections":10' in deploy.rabbitmqctl("list_user_limits", "--user", user).stdout
    else:  # a management API (containers): the same permissions
        perms = subscribers.permissions(user)
        backends._mgmt("PUT", f"/api/users/{user}", {"password": password, "tags": ""})
        backends._mgmt("PUT", f"/api/permissions/{urllib.parse.quote(vhost, safe='')}/{user}", perms)
    assert perms == subscribers.permissions(user)
    yield {"uri": uri, "vhost": vhost, "user": user, "url": _pika_url(uri, user, password)}
    if backends.amqp_admin == "rabbitmqctl":
        deploy.revoke(user)
    else:
        backends._mgmt("DELETE", f"/api/users/{user}")
    backends.delete_vhost(vhost)


def _publish(uri, producer, event_type, n=1, **data):
    """Publish like the outbox relay (BatchPublisher, persistent, publisher confirms)."""
    envs = [make_envelope(producer, event_type, {"n": i, **data}) for i in range(n)]
    assert publish_envelopes({"AMQP_URI": uri}, [(e, None) for e in envs]) == n
    return envs


class Running:
    def __init__(self, bus, bindings, replay_from, state=None, queue=None):
        self.got = []
        self.sub = example.Subscriber(bus["url"], queue or f"{bus['user']}.{uuid.uuid4().hex[:6]}", bindings,
                                      self.got.append, seen=state or example.SeenEvents(None),
                                      replay_from=replay_from, retry_pause=0.05)
        self.thread = threading.Thread(target=self.sub.run, daemon=True)
        self.thread.start()

    def ids(self):
        return [e["event_id"] for e in self.got]

    def stop(self):
        self.sub.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


def test_a_new_subscriber_replays_past_events_from_first_then_follows_live_and_resumes_after_a_restart(
        bus, tmp_path):
    offers = _publish(bus["uri"], "offers", "offer.published", 3)
    submitted = _publish(bus["uri"], "applications", "application.submitted", 2)
    refused = _publish(bus["uri"], "applications", "application.refused", 1)
    state = example.SeenEvents(str(tmp_path / "state.sqlite"))
    run = Running(bus, [("offers.events", "offer.#"), ("applications.events", "application.submitted")],
                  "first", state=state)
    try:
        # every message of both streams read (the refused one filtered out by the binding key)
        assert _wait(lambda: run.sub.replayed == 6), (run.sub.replayed, run.ids())
        ids = run.ids()
        assert sorted(ids) == sorted(e["event_id"] for e in offers + submitted)
        assert [i for i in ids if i in {e["event_id"] for e in offers}] == [e["event_id"] for e in offers]
        assert refused[0]["event_id"] not in ids
        assert run.sub.connections == 1 and run.sub.dead_lettered == 0
        # then it follows the stream live
        live = _publish(bus["uri"], "offers", "offer.unpublished")
        assert _wait(lambda: live[0]["event_id"] in run.ids())
    finally:
        run.stop()
    later = _publish(bus["uri"], "offers", "offer.published")
    again = Running(bus, [("offers.events", "offer.#"), ("applications.events", "application.submitted")],
                    "first", state=example.SeenEvents(str(tmp_path / "state.sqlite")))
    try:
        assert _wait(lambda: again.sub.replayed >= 1)  # counted once the message is acknowledged
        # resumed at its saved offsets: nothing read again, not even as a duplicate
        assert again.ids() == [later[0]["event_id"]]
        assert again.sub.replayed == 1 and again.sub.duplicates == 0
    finally:
        again.stop()


def test_a_subscriber_replays_from_a_timestamp(bus):
    before = _publish(bus["uri"], "conventions", "convention.signed", 2)
    now = time.time()
    assert _wait(lambda: int(time.time()) > int(now), timeout=3)  # the stream's timestamps are in seconds
    since = dt.datetime.fromtimestamp(int(time.time()), dt.timezone.utc)
    after = _publish(bus["uri"], "conventions", "convention.validated", 3)
    iso = since.astimezone(dt.timezone(dt.timedelta(hours=1))).isoformat()  # any offset: an instant
    run = Running(bus, [("conventions.events", "#")], example.parse_from(iso))
    try:
        assert _wait(lambda: len(run.got) >= 3), run.ids()
        # the stream is in publication order: the events before the timestamp would have come first
        assert run.ids()[:3] == [e["event_id"] for e in after]
        assert not {e["event_id"] for e in before} & set(run.ids())
    finally:
        run.stop()


def test_an_event_that_keeps_failing_during_a_replay_is_set_aside_and_the_replay_goes_on(bus):
    failing = _publish(bus["uri"], "identity", "user.anonymized")
    fine = _publish(bus["uri"], "identity", "user.registered")
    handled = []

    def handle(envelope):
        if envelope["type"] == "user.anonymized":
            raise RuntimeError("the warehouse is down")
        handled.append(envelope["event_id"])

    queue = f"{bus['user']}.{uuid.uuid4().hex[:6]}"
    sub = example.Subscriber(bus["url"], queue, [("identity.events", "#")], handle, replay_from="first",
                             max_attempts=2, retry_pause=0.01)
    thread = threading.Thread(target=sub.run, daemon=True)
    thread.start()
    try:
        assert _wait(lambda: handled == [fine[0]["event_id"]])
        assert sub.dead_lettered == 1
    finally:
        sub.stop()
        thread.join(10)
    connection = pika.BlockingConnection(pika.URLParameters(bus["url"]))  # the subscriber's user reads its own
    try:
        method, properties, body = connection.channel().basic_get(f"{queue}.dead", auto_ack=True)
        assert json.loads(body)["event_id"] == failing[0]["event_id"]
        assert properties.headers["x-original-exchange"] == "identity.events"
    finally:
        connection.close()


def test_the_read_only_user_follows_live_events_on_a_queue_of_its_own(bus):
    run = Running(bus, [("offers.events", "offer.removed")], None)
    try:
        assert _wait(lambda: run.sub.connections == 1)
        removed = _publish(bus["uri"], "offers", "offer.removed")
        assert _wait(lambda: run.ids() == [removed[0]["event_id"]])
    finally:
        run.stop()


def _refused(bus, action):
    connection = pika.BlockingConnection(pika.URLParameters(bus["url"]))
    try:
        channel = connection.channel()
        with pytest.raises(pika.exceptions.ChannelClosedByBroker) as refused:
            action(channel)
            channel.basic_qos(prefetch_count=1)  # a synchronous call: an asynchronous refusal arrives first
        return refused.value
    finally:
        connection.close()


def _publish_with_confirm(exchange, routing_key):
    def action(channel, user):
        channel.confirm_delivery()
        channel.basic_publish(exchange, routing_key, b'{"event_id": "forged"}')
    return action


@pytest.fixture(scope="module")
def platform_queues(bus):
    """Queues as the services declare them: an RPC queue and an event handler's queue."""
    connection = pika.BlockingConnection(pika.URLParameters(_pika_url(bus["uri"], "guest", "guest")))
    channel = connection.channel()
    channel.exchange_declare("nameko-rpc", "topic", durable=True)
    channel.queue_declare("rpc-offers", durable=True)
    channel.queue_bind("rpc-offers", "nameko-rpc", "offers.*")
    channel.queue_declare("evt-applications-application.confirmed--offers.on_application_confirmed", durable=True)
    connection.close()


@pytest.mark.parametrize("what, action", [
    ("publish to an event exchange", _publish_with_confirm("offers.events", "offer.published")),
    ("publish to an RPC queue", _publish_with_confirm("", "rpc-offers")),
    ("publish to the RPC exchange", _publish_with_confirm("nameko-rpc", "offers.publish_offer")),
    ("read an RPC queue", lambda ch, user: ch.basic_get("rpc-offers")),
    ("consume an RPC queue", lambda ch, user: ch.basic_consume("rpc-offers", lambda *a: None)),
    ("read a service's event queue",
     lambda ch, user: ch.basic_get("evt-applications-application.confirmed--offers.on_application_confirmed")),
    ("bind its queue to the RPC exchange", lambda ch, user: (ch.queue_declare(f"{user}.snoop", auto_delete=True),
                                                             ch.queue_bind(f"{user}.snoop", "nameko-rpc", "#"))),
    ("delete a stream", lambda ch, user: ch.queue_delete("offers.events.stream")),
    ("declare a queue outside its prefix", lambda ch, user: ch.queue_declare("evil.queue")),
    ("declare a platform exchange",
     lambda ch, user: ch.exchange_declare("identity.events", "topic", durable=True)),
])
def test_the_read_only_user_is_refused(bus, platform_queues, what, action):
    refused = _refused(bus, lambda channel: action(channel, bus["user"]))
    assert refused.reply_code == 403 and refused.reply_text.startswith("ACCESS_REFUSED"), (what, refused)


def test_the_permissions_are_anchored_to_the_users_prefix_and_the_event_resources():
    perms = subscribers.permissions("rectorat-versailles")
    read = re.compile(perms["read"])
    for name in ("offers.events", "applications.events.stream", "rectorat-versailles.q", "rectorat-versailles.q.dlx"):
        assert read.search(name), name
    for name in ("rpc-offers", "nameko-rpc", "offers.events.stream.x", "x.offers.events", "amq.default",
                 "rectorat-versailles-evil.q", "rectorat.q", "evt-offers-offer.published--applications.h"):
        assert not read.search(name), name
    write = re.compile(perms["write"])
    assert write.search("rectorat-versailles.q") and not write.search("offers.events")
    assert perms["configure"] == perms["write"]
    for bad in ("a.b", "Rectorat", "x", "", "a b", "a$"):
        with pytest.raises(ValueError):
            subscribers.permissions(bad)


def test_replay_options_of_the_example_subscriber():
    assert example.parse_from("first") == "first" and example.parse_from("42") == 42
    assert example.parse_from("2026-09-01T00:00:00+02:00") == dt.datetime(2026, 8, 31, 22, tzinfo=dt.timezone.utc)
    assert example.parse_from("2026-09-01T00:00:00Z").utcoffset() == dt.timedelta(0)
    for bad in ("2026-09-01T00:00:00", "yesterday"):
        with pytest.raises(ValueError):
            example.parse_from(bad)
    assert example.topic_matches("application.#", "application.submitted")
    assert example.topic_matches("#", "offer.published") and example.topic_matches("*.published", "offer.published")
    assert not example.topic_matches("application.*", "offer.published")
    assert not example.topic_matches("application.submitted", "application.refused")


def test_the_deploy_script_refuses_a_user_name_with_a_dot():
    out = subprocess.run([deploy.sys.executable, str(REPO / "deploy/subscribers.py"), "show", "a.b"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "a.b" in out.stderr
