"""Monitoring as code: the dashboards are valid Grafana JSON whose every query names a metric that exists, the
alerts cover what docs/operations.md promises, and compose's Prometheus and Grafana are provisioned from the
same files as Kubernetes'. tests/integration/test_metrics.py checks the names against a real scrape."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from shared.metrics import Metrics, add_standard_collectors
from shared.settings import ROOT
from tests.monitoring_support import (
    DASHBOARDS,
    MONITORING,
    alert_queries,
    dashboard_queries,
    dashboards,
    exposed_names,
    kafka_metric_names,
    metric_names,
    panels,
    rule,
)

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
# What the alerts must watch (docs/operations.md, "Monitoring"): a metric or an alert name for each.
PROMISED = {
    "consumer lag": "apua_consumer_lag", "outbox depth": "apua_outbox_depth",
    "dead letters": "apua_consumer_dead_lettered_total", "deadlines at risk": 'risk="at_risk"',
    "deadlines missed": 'risk="overdue"', "failed notifications": "apua_notifications_failed_total",
    "restarts": "process_start_time_seconds", "consumer stalls": "apua_consumer_restarts_total",
    "server errors": 'status=~"5.."', "log cleaner": "kafka_log_cleaner_max_compaction_delay_seconds"}


def standard_names() -> set[str]:
    registry = CollectorRegistry()
    add_standard_collectors(registry)
    return exposed_names(text_string_to_metric_families(generate_latest(registry).decode()))


class _Runtime:
    """A service's runtime as metrics read it, without a consumer or a relay."""

    settings = SimpleNamespace(service="routing")
    consumer = None
    relay = None


def project_names() -> set[str]:
    """The apua_* names the code registers, as a scrape shows them (counters with _total, histograms with
    _bucket, _sum and _count). The integration test reads the real ones."""
    names = set()
    for path in [*ROOT.joinpath("shared").rglob("*.py"), *ROOT.joinpath("services").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        pattern = (r'\b(Counter|Gauge|Histogram|CounterMetricFamily|GaugeMetricFamily|counter_source|gauge_source)'
                   r'\(\s*f?"(apua_[a-z_{}]+)"')
        for match in re.finditer(pattern, text):
            kind, name = match.groups()
            # shared/metrics.py names the consumer's three counters in a loop.
            for part in ("applied", "dead_lettered", "restarts") if "{name}" in name else ("",):
                full = name.replace("{name}", part)
                if kind in ("Counter", "CounterMetricFamily", "counter_source"):
                    names.add(f"{full}_total")
                elif kind == "Histogram":
                    names |= {f"{full}_bucket", f"{full}_sum", f"{full}_count"}
                else:
                    names.add(full)
    return names


def test_the_standard_process_and_gc_metrics_are_in_every_registry() -> None:
    metrics = Metrics(_Runtime())
    names = exposed_names(text_string_to_metric_families(generate_latest(metrics.registry).decode()))
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds",
            "process_open_fds", "python_gc_collections_total", "python_gc_objects_collected_total",
            "python_info"} <= names


def test_dashboards_are_valid_grafana_json() -> None:
    boards = dashboards()
    assert sorted(boards) == ["casework.json", "services.json"]
    uids = [board["uid"] for board in boards.values()]
    assert len(set(uids)) == len(uids)
    for name, board in boards.items():
        assert board["title"] and board["schemaVersion"] >= 36 and board["panels"], name
        ids = [panel["id"] for panel in panels(board)]
        assert len(set(ids)) == len(ids), f"{name}: panel ids repeat"
        variables = {variable["name"] for variable in board["templating"]["list"]}
        assert "datasource" in variables, f"{name}: choose the Prometheus data source by a variable"
        for panel in panels(board):
            assert panel["targets"], f"{name}: {panel['title']} has no query"
            assert set(panel["gridPos"]) == {"x", "y", "w", "h"} and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}", f"{name}: {panel['title']}"
                used = set(re.findall(r"\$(\w+)", target["expr"]))
                assert used <= variables, f"{name}: {panel['title']} uses undefined {used - variables}"


def test_every_dashboard_query_names_a_metric_the_services_export() -> None:
    known = project_names() | standard_names()
    for where, expr in dashboard_queries().items():
        names = metric_names(expr)
        assert names, f"{where} names no metric: {expr}"
        assert names <= known, f"{where} reads {sorted(names - known)}, which no service exports"


def test_every_alert_reads_a_metric_that_exists() -> None:
    known = project_names() | standard_names() | kafka_metric_names() | {"up"}
    for alert, expr in alert_queries().items():
        names = metric_names(expr)
        assert names and names <= known, f"{alert} reads {sorted(names - known)}"


def test_the_name_check_can_fail() -> None:
    assert metric_names('sum by (service) (rate(apua_http_requets_total{status=~"5.."}[5m])) > 0.05') == {
        "apua_http_requets_total"}
    assert "apua_http_requets_total" not in project_names() | standard_names()
    assert metric_names("histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))") == {"x_bucket"}


def test_the_alerts_cover_what_operations_promises() -> None:
    text = "\n".join(alert_queries().values())
    missing = [what for what, needle in PROMISED.items() if needle not in text]
    assert not missing, f"no alert on {missing}"
    loaded = rule()
    assert loaded["apiVersion"] == "monitoring.coreos.com/v1" and loaded["kind"] == "PrometheusRule"
    for group in loaded["spec"]["groups"]:
        for item in group["rules"]:
            assert item["labels"]["severity"] in ("warning", "critical"), item["alert"]
            assert item["annotations"]["summary"] and item["annotations"]["description"], item["alert"]
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for alert in alert_queries():
        assert f"`{alert}`" in operations, f"docs/operations.md does not describe {alert}"


def test_compose_monitoring_is_a_profile_of_the_same_files() -> None:
    services = COMPOSE["services"]
    for name in ("prometheus-rules", "prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"], name
    for name, spec in services.items():
        if name not in ("prometheus-rules", "prometheus", "grafana"):
            assert "profiles" not in spec, f"{name} must start without a profile"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services["grafana"]["volumes"]}
    assert Path(ROOT, mounts["/var/lib/grafana/dashboards/apua"]).resolve() == (MONITORING / "dashboards").resolve()
    provider = yaml.safe_load((ROOT / "deploy/compose/grafana/provisioning/dashboards/apua.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/apua"
    assert Path(ROOT, mounts["/etc/grafana/provisioning"]).resolve() == (ROOT / "deploy/compose/grafana/provisioning")
    rules_mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services["prometheus-rules"]["volumes"]}
    assert Path(ROOT, rules_mounts["/monitoring"]).resolve() == MONITORING.resolve()
    config = yaml.safe_load((ROOT / "deploy/compose/prometheus.yml").read_text(encoding="utf-8"))
    assert config["rule_files"] == ["/etc/prometheus/rules/*.yml"]
    assert "prometheus-rules:/etc/prometheus/rules:ro" in services["prometheus"]["volumes"]
    targets = {target: static["labels"]["service"] for job in config["scrape_configs"] if job["job_name"] == "apua"
               for static in job["static_configs"] for target in static["targets"]}
    ports = {name: services[name]["environment"][f"APUA_{name.upper()}_PORT"]
             for name in ("intake", "routing", "notify", "reporting")}
    assert targets == {f"{name}:{port}": name for name, port in ports.items()}


def test_compose_writes_the_prometheusrule_as_prometheus_rules(tmp_path: Path) -> None:
    """Run the prometheus-rules one-shot's script with the paths it mounts: its file is the PrometheusRule's
    groups, as Prometheus's rule file format has them."""
    script = COMPOSE["services"]["prometheus-rules"]["command"][0]
    (tmp_path / "rules").mkdir()
    script = script.replace("/monitoring/", f"{MONITORING}/").replace("/rules/", f"{tmp_path}/rules/")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    written = yaml.safe_load((tmp_path / "rules" / "apua.rules.yml").read_text(encoding="utf-8"))
    assert set(written) == {"groups"} and written["groups"] == rule()["spec"]["groups"]
    for group in written["groups"]:
        assert set(group) <= {"name", "interval", "rules", "limit"}
        for item in group["rules"]:
            assert set(item) <= {"alert", "record", "expr", "for", "labels", "annotations", "keep_firing_for"}


# Labels a dashboard may show or group by: none can name a family, a case or a member of staff.
SAFE_LABELS = {"service", "route", "method", "status", "region", "risk", "generation", "namespace", "le",
               "instance", "pod", "topic", "partition"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboards_show_counts_by_safe_labels_only(path: Path) -> None:
    board = dashboards()[path.name]
    for panel in panels(board):
        for target in panel["targets"]:
            grouped = {label.strip() for group in re.findall(r"\b(?:by|without)\s*\(([^()]*)\)", target["expr"])
                       for label in group.split(",")}
            shown = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target.get("legendFormat", "")))
            assert grouped | shown <= SAFE_LABELS, f"{path.name}: {panel['title']}: {(grouped | shown) - SAFE_LABELS}"
