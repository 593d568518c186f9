"""deploy/kubernetes, offline: the events for other systems (base/subscribers.yaml) agree with the code. Each
service's exchange is declared as its producer declares it and bound with `#` to its stream, with the retention of
common.subscribers; the subscriber user's permissions are those of common.subscribers.permissions (tested against
the broker in tests/test_event_replay.py); its Secret is documented; the broker accepts AMQP from subscribers'
namespaces; the operator never deletes a stream with its object. (Schema validity: tests/test_kubernetes.py.)"""
import importlib.util

import pytest

from common import settings, subscribers

ROOT = settings.REPO_ROOT
K8S = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "prod")
_spec = importlib.util.spec_from_file_location("k8s_render_subscribers", K8S / "render.py")
_render = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_render)
render = _render.render


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request):
    return render(K8S / "overlays" / request.param)


def _specs(docs, kind):
    return {d["spec"].get("name") or d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == kind}


def test_each_service_exchange_is_bound_to_a_stream_kept_as_the_catalogue_says(docs):
    exchanges, streams = _specs(docs, "Exchange"), _specs(docs, "Queue")
    bindings = {(b["spec"]["source"], b["spec"]["destination"]): b["spec"] for b in docs if b["kind"] == "Binding"}
    assert set(exchanges) == {subscribers.exchange_name(s) for s in settings.SERVICES}
    assert set(streams) == {subscribers.stream_name(s) for s in settings.SERVICES}
    namespace = next(iter(by_kind(docs, "RabbitmqCluster").values()))["metadata"]["namespace"]
    for service in settings.SERVICES:
        exchange, stream = subscribers.exchange_name(service), subscribers.stream_name(service)
        # the producers' declaration (common.events.BatchPublisher): otherwise one of them is refused
        assert {k: exchanges[exchange][k] for k in ("type", "durable", "autoDelete")} == \
            {"type": "topic", "durable": True, "autoDelete": False}
        spec = streams[stream]
        declared = {**spec["arguments"], "x-queue-type": spec["type"]}
        expected = subscribers.stream_arguments()
        if namespace != "stages":  # the dev overlay: a small broker disk, the same retention in time
            expected["x-max-length-bytes"] = declared["x-max-length-bytes"]
            assert declared["x-max-length-bytes"] < subscribers.STREAM_MAX_LENGTH_BYTES
        assert declared == expected and spec["durable"] is True
        assert bindings[(exchange, stream)]["routingKey"] == "#"
        assert bindings[(exchange, stream)]["destinationType"] == "queue"
        assert exchanges[exchange]["vhost"] == spec["vhost"] == "stages"
        assert spec["deletionPolicy"] == "retain"


def test_the_subscriber_user_reads_and_publishes_nothing(docs):
    users, permissions = by_kind(docs, "User"), by_kind(docs, "Permission")
    assert set(users) == {"subscriber"} and users["subscriber"]["spec"]["tags"] == []
    assert users["subscriber"]["spec"]["limits"] == {"connections": subscribers.USER_MAX_CONNECTIONS,
                                                     "channels": subscribers.USER_MAX_CHANNELS}
    secret = users["subscriber"]["spec"]["importCredentialsSecret"]["name"]
    assert secret in (ROOT / "docs" / "operations.md").read_text(), f"Secret {secret} not in docs/operations.md"
    spec = permissions["subscriber"]["spec"]
    assert spec["userReference"] == {"name": "subscriber"} and spec["vhost"] == "stages"
    assert spec["permissions"] == subscribers.permissions("subscriber")


def test_subscribers_reach_the_broker_on_amqp_only(docs):
    policy = by_kind(docs, "NetworkPolicy")["rabbitmq-subscribers"]["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "stages-rabbitmq"}
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"port": 5672, "protocol": "TCP"}]
    assert all("namespaceSelector" in f and "ipBlock" not in f for f in rule["from"])


def test_the_documented_retention_is_the_declared_one():
    bus = (ROOT / "docs" / "bus.md").read_text()
    assert f"`x-max-age: {subscribers.STREAM_MAX_AGE}`" in bus
    assert f"**{subscribers.STREAM_MAX_LENGTH_BYTES // 10**9} GB**" in bus
    assert f"{subscribers.STREAM_MAX_SEGMENT_SIZE_BYTES // 10**6} MB" in bus
    assert f"**{subscribers.STREAM_MAX_AGE[:-1]} days**" in subscribers.CATALOGUE_SECTION
