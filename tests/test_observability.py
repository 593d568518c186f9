"""deploy/observability: the Grafana dashboard and the Prometheus alert rules parse, the rules have the expected
groups and alerts, and every metric they use is one the code exports (common.ops)."""
import json
import re

import yaml
from prometheus_client import REGISTRY

from common import ops, settings

OBS = settings.REPO_ROOT / "deploy" / "observability"
_METRIC = re.compile(r"\b(stages_[a-z_]+)\b")
# PromQL functions and Prometheus' own series are not ours to export
_EXTERNAL = {"up"}


def exported() -> set[str]:
    """Every series name the processes can expose (counters' _total, histograms' _bucket/_count/_sum)."""
    names = set()
    for family in REGISTRY.collect():
        if family.type == "counter":
            names.add(family.name + "_total")
        elif family.type == "histogram":
            names |= {family.name + suffix for suffix in ("_bucket", "_count", "_sum")}
        else:
            names.add(family.name)
    assert set(ops.SCRAPED_GAUGES) <= names
    return names


def _used(expr: str) -> set[str]:
    return set(_METRIC.findall(expr))


def test_the_alert_rules_have_the_expected_groups_and_use_exported_metrics():
    rules = yaml.safe_load((OBS / "alerts.yaml").read_text())
    groups = {g["name"]: g["rules"] for g in rules["groups"]}
    assert set(groups) == {"stages.backlog", "stages.errors"}
    alerts = {r["alert"]: r for rs in groups.values() for r in rs}
    assert {"StagesOutboxBacklogGrowing", "StagesOutboxStuck", "StagesTimerLag", "StagesGatewayErrorRate",
            "StagesRpcErrorRate"} <= set(alerts)
    assert "> 300" in alerts["StagesTimerLag"]["expr"]  # timer lag over 5 minutes
    names = exported()
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"], name
        used = _used(rule["expr"])
        assert used, f"{name} uses none of our metrics"
        assert used <= names, f"{name} uses metrics nobody exports: {sorted(used - names)}"


def test_the_dashboard_parses_and_plots_exported_metrics():
    dashboard = json.loads((OBS / "grafana-dashboard.json").read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    names = exported()
    plotted = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used = _used(target["expr"])
            assert used <= names, f"{panel['title']}: {sorted(used - names)}"
            plotted |= used
    # every metric family of ours is on the dashboard
    ours = {n for n in names if n.startswith("stages_") and not n.endswith(("_count", "_sum"))}
    assert ours - plotted <= {"stages_ops_scrape_error"}, sorted(ours - plotted)
