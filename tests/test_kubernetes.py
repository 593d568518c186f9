"""deploy/kubernetes, offline: both overlays render (in Python: deploy/kubernetes/render.py), every object is
valid against the Kubernetes 1.33 schemas (kubernetes-validate, strict) or the vendored minimal schemas of the
operators' custom resources (deploy/kubernetes/crds/), and the manifests agree with the code: probes on the
operations endpoints, queues KEDA watches, secrets documented, every setting the code reads provided."""
import importlib
import importlib.util
import json
import re
import shutil
import subprocess

import jsonschema
import kubernetes_validate
import pytest
import yaml

from common import settings

ROOT = settings.REPO_ROOT
K8S = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.33.0"

# every kind the manifests may hold; anything else fails (add it here consciously, with its validation)
BUILTIN_KINDS = {"ConfigMap", "Service", "Deployment", "Job", "PodDisruptionBudget", "NetworkPolicy",
                 "HorizontalPodAutoscaler"}
CUSTOM_KINDS = {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"),
                ("rabbitmq.com/v1beta1", "RabbitmqCluster"), ("postgresql.cnpg.io/v1", "Cluster"),
                ("postgresql.cnpg.io/v1", "ScheduledBackup"),
                # messaging-topology operator: events for other systems (tests/test_kubernetes_subscribers.py)
                *(("rabbitmq.com/v1beta1", k) for k in ("Vhost", "Exchange", "Queue", "Binding", "User", "Permission"))}
PROCESSES = (*settings.SERVICES, "gateway")


def _renderer():
    spec = importlib.util.spec_from_file_location("k8s_render", K8S / "render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _renderer().render


@pytest.fixture(scope="module", params=OVERLAYS)
def docs(request):
    return render(K8S / "overlays" / request.param)


def by_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_spec(doc):
    return doc["spec"]["template"]["spec"]


def env_of(docs, deployment):
    """The environment variable names a Deployment's container gets (env and envFrom ConfigMaps)."""
    maps = by_kind(docs, "ConfigMap")
    names = set()
    for c in pod_spec(deployment)["containers"]:
        names |= {e["name"] for e in c.get("env", [])}
        for source in c.get("envFrom", []):
            names |= set(maps[source["configMapRef"]["name"]]["data"])
    return names


def test_every_object_is_valid_and_of_an_allowed_kind(docs):
    for doc in docs:
        where = f"{doc['kind']}/{doc['metadata']['name']}"
        if (doc["apiVersion"], doc["kind"]) in CUSTOM_KINDS:
            group, _, version = doc["apiVersion"].rpartition("/")
            schema = json.loads((K8S / "crds" / f"{group}_{version}_{doc['kind']}.json").read_text())
            jsonschema.validate(doc, schema)
        else:
            assert doc["kind"] in BUILTIN_KINDS, f"{where}: kind outside the allowed list"
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        assert doc["kind"] != "Secret", f"{where}: secrets are referenced, never stored in git"


def test_the_validation_refuses_a_misspelt_field():
    doc = yaml.safe_load((K8S / "base" / "rabbitmq.yaml").read_text())
    doc["spec"]["replica"] = 3
    schema = json.loads((K8S / "crds" / "rabbitmq.com_v1beta1_RabbitmqCluster.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
    deployment = by_kind(render(K8S / "overlays" / "prod"), "Deployment")["gateway"]
    pod_spec(deployment)["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl is not installed")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_python_renderer_agrees_with_kubectl_kustomize(overlay):
    try:
        out = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / overlay)], capture_output=True,
                             text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.skip("kubectl kustomize did not answer")
    if out.returncode != 0:
        pytest.skip(f"kubectl kustomize failed: {out.stderr[:200]}")
    theirs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out.stdout) if d}
    ours = {(d["kind"], d["metadata"]["name"]): d for d in render(K8S / "overlays" / overlay)}
    assert ours == theirs


def test_each_process_is_a_deployment_probed_on_its_own_operations_endpoint(docs):
    deployments = by_kind(docs, "Deployment")
    pdbs = by_kind(docs, "PodDisruptionBudget")
    assert set(deployments) == {*PROCESSES, "web"}
    for name, d in deployments.items():
        spec = pod_spec(d)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        assert "replicas" not in d["spec"], f"{name}: replicas belong to the autoscaler"
        for c in spec["containers"]:
            assert c["resources"]["requests"] and c["resources"]["limits"], name
            assert {"cpu", "memory"} <= set(c["resources"]["limits"]), name
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in c, f"{name}: no {probe}"
            if name != "web":
                assert {"name": "ops", "containerPort": 9100, "protocol": "TCP"} in c["ports"]
                assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "ops"}
                assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "ops"}
                assert "STAGES_OPS_ADDRESS" in env_of(docs, d)
        selector = pdbs[name]["spec"]["selector"]["matchLabels"]
        assert selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()


def test_only_the_gateway_and_the_web_front_end_receive_traffic_from_outside(docs):
    policies = by_kind(docs, "NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and deny["policyTypes"] == ["Ingress"] and "ingress" not in deny
    open_to_all = set()
    for p in policies.values():
        for rule in p["spec"].get("ingress", []):
            if "from" not in rule:
                open_to_all.add(p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
    assert open_to_all == {"gateway", "web"}


def _event_queues(service):
    from nameko.events import EventHandler
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    cls = getattr(importlib.import_module(f"{service}.service"), f"{service.capitalize()}Service")
    queues = []
    for attr in dir(cls):
        for entrypoint in getattr(getattr(cls, attr, None), ENTRYPOINT_EXTENSIONS_ATTR, None) or ():
            if isinstance(entrypoint, EventHandler):
                queues.append(f"evt-{entrypoint.source_service}-{entrypoint.event_type}--{service}.{attr}")
    return queues


def test_keda_scales_each_service_on_its_rpc_queue_and_every_event_queue_of_its_own(docs):
    scaled = by_kind(docs, "ScaledObject")
    assert set(scaled) == set(settings.SERVICES)
    all_queues = {s: _event_queues(s) for s in settings.SERVICES}
    assert all_queues["notifications"], "the notifications service listens to events"
    for service, obj in scaled.items():
        assert obj["spec"]["scaleTargetRef"]["name"] == service
        rabbit = [t["metadata"] for t in obj["spec"]["triggers"] if t["type"] == "rabbitmq"]
        assert {"queueName": f"rpc-{service}"}.items() <= next(m for m in rabbit if "useRegex" not in m).items()
        pattern = re.compile(next(m["queueName"] for m in rabbit if m.get("useRegex") == "true"))
        for other, queues in all_queues.items():
            for q in queues:
                assert bool(pattern.match(q)) == (other == service), (service, q)
    hpas = by_kind(docs, "HorizontalPodAutoscaler")
    assert set(hpas) == {"gateway", "web"}
    assert all(h["spec"]["metrics"][0]["resource"]["name"] == "cpu" for h in hpas.values())


def test_stateful_parts_run_by_their_operators_with_backups(docs):
    clusters = by_kind(docs, "Cluster")
    assert set(clusters) == {f"{s}-db" for s in settings.SERVICES}
    for name, c in clusters.items():
        store = c["spec"]["backup"]["barmanObjectStore"]
        assert store["destinationPath"].startswith("s3://") and store["wal"]["compression"]
    backups = by_kind(docs, "ScheduledBackup")
    assert {b["spec"]["cluster"]["name"] for b in backups.values()} == set(clusters)
    (rabbit,) = by_kind(docs, "RabbitmqCluster").values()
    namespace = rabbit["metadata"]["namespace"]
    assert rabbit["spec"]["replicas"] == (3 if namespace == "stages" else 1)


def test_one_migration_job_per_service_under_the_advisory_lock(docs):
    jobs = by_kind(docs, "Job")
    assert set(jobs) == {f"migrate-{s}" for s in settings.SERVICES}
    for s in settings.SERVICES:
        (c,) = pod_spec(jobs[f"migrate-{s}"])["containers"]
        assert c["command"] == ["python", "-m", "common.manage", "release", s]
        assert c["image"].split(":")[0].endswith(s)
    from common import manage
    assert "pg_advisory_lock" in importlib.import_module("inspect").getsource(manage.migration_lock)


def test_every_secret_the_manifests_reference_is_documented(docs):
    referenced = set()
    for text in (yaml.safe_dump(d) for d in docs):
        referenced |= set(re.findall(r"secretKeyRef:\n\s+key: \S+\n\s+name: (\S+)", text))
        referenced |= set(re.findall(r"secretName: (\S+)", text))
    for d in docs:
        for ref in d.get("spec", {}).get("secretTargetRef", []):
            referenced.add(ref["name"])
    assert {"stages-amqp", "stages-seal", "stages-identity-keys", "stages-smtp", "identity-db-app"} <= referenced
    operations = (ROOT / "docs" / "operations.md").read_text()
    undocumented = {r for r in referenced if r not in operations and not r.endswith("-db-app")}
    assert not undocumented, f"secrets not described in docs/operations.md: {sorted(undocumented)}"


# -- every setting the code reads is provided by the manifests, or has a safe default -------------------------
_READS = re.compile(r"""(?:os\.environ\.get|env_float|env_flag|_int|_float|getenv|\benv\.get|(?<![.\w])get)"""
                    r"""\(\s*(?:env,\s*)?["']([A-Z][A-Z0-9_]+)["']|os\.environ\[["']([A-Z][A-Z0-9_]+)["']\]""")
_CONFIG_READS = re.compile(r"\$\{([A-Z][A-Z0-9_]+)")

# settings deliberately left to their default in the cluster (the default is right there)
SAFE_DEFAULTS = {
    "PGHOST", "PGPORT",                     # only used when <SERVICE>_DATABASE_URL is absent; it is always set
    "STAGES_DATA_DIR",                      # set in the images (ENV) to the reference data they ship
    "OUTBOX_RELAY",                         # on by default; off only in benchmarks
    "STAGES_AMQP_CONNECT_TIMEOUT", "STAGES_AMQP_RECONNECT_PAUSE",  # broker fail-fast tuning (docs/bus.md)
    "STAGES_QUEUE_TYPE",  # quorum (default) or classic queues (common.queues, docs/bus.md)
    "STAGES_REDIS_PREFIX", "STAGES_REDIS_TIMEOUT",  # key prefix (tests isolate runs with it), client timeout
    "NOTIFICATIONS_PROBE_INTERVAL",         # the channels' circuit breaker (5 s)
    "GATEWAY_EXPORT_DEADLINE", "GATEWAY_EXPORT_DOCUMENTS_DEADLINE",  # personal-data export deadlines
    "CONVENTIONS_RENDER_PROCESSES",         # sized from the container's CPU limit (common.ops.cpu_count)
    "CONVENTIONS_SEAL_DEV_DIR",             # development certificate: unused once CONVENTIONS_SEAL_CERT/KEY are set
    "SMTP_CA_FILE",                         # the system's CA bundle
    "DB_POOL_SIZE",                         # nameko config key (not an environment variable): max_workers
}
# settings for tests, benchmarks and development only: must never be set in the cluster
TEST_ONLY = {"STAGES_CLOCK_CONTROL", "STAGES_DEMO", "STAGES_CLOCK_OFFSET"}


def _settings_read_by(process):
    paths = list((ROOT / "services" / "common" / "common").glob("*.py"))
    if process == "gateway":
        paths += list((ROOT / "gateway" / "gateway").rglob("*.py"))
        config = ROOT / "gateway" / "config.yml"
    else:
        paths += list((ROOT / "services" / process / process).rglob("*.py"))
        config = ROOT / "services" / process / "config.yml"
    skip = {"testing.py", "pytest_plugin.py", "catcher.py", "demo.py"}
    names = set()
    for p in paths:
        if p.name in skip or "/tests/" in str(p) or "/testing/" in str(p):
            continue
        names |= {a or b for a, b in _READS.findall(p.read_text())}
    names |= set(_CONFIG_READS.findall(config.read_text()))
    if process in settings.SERVICES:
        names.add(f"{process.upper()}_DATABASE_URL")  # common.settings.database_url (an f-string)
    return names


@pytest.mark.parametrize("process", PROCESSES)
def test_every_setting_the_code_reads_is_provided_or_has_a_safe_default(process):
    prod = render(K8S / "overlays" / "prod")
    provided = env_of(prod, by_kind(prod, "Deployment")[process])
    read = _settings_read_by(process)
    assert "AMQP_URI" in read and "STAGES_OPS_ADDRESS" in read  # the scan finds what it should
    if process == "notifications":
        assert {"SMTP_HOST", "SMS_PROVIDER", "STAGES_PUBLIC_URL"} <= read
    missing = read - provided - SAFE_DEFAULTS - TEST_ONLY
    assert not missing, f"{process} reads {sorted(missing)}: provide them in deploy/kubernetes or list them here"
    assert not (provided & TEST_ONLY), f"{process}: test-only settings in the cluster"
