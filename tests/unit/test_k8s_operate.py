"""deploy/k8s's components for operating a region: monitoring as code, the commands as Jobs, the Ingress and
PostgreSQL in the cluster. Each overlay is rendered with them and checked against the CRD schemas of
CloudNativePG and the Prometheus Operator (deploy/k8s/schemas), strictly, and for what they must do."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import jsonschema
import pytest

from shared.settings import ROOT
from tests.unit.test_k8s import (
    K8S,
    OVERLAYS,
    SETTINGS,
    Manifest,
    container,
    default_port,
    environment,
    generated,
    is_dns,
    of_kind,
    pod_labels,
    policies_for,
    region_values,
    render,
    selects,
    settings_of,
    strict,
)

SCHEMAS = K8S / "schemas"
VENDORED = ("postgresql.cnpg.io", "monitoring.coreos.com")
REBUILT = ("routing", "notify", "reporting")
ADMIN = ("intake", "routing")


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def docs(overlay: str) -> list[Manifest]:
    return render(overlay)


def schema_for(doc: Manifest) -> Any:
    group, version = doc["apiVersion"].split("/")
    path = SCHEMAS / group / f"{doc['kind']}-{version}.json"
    assert path.is_file(), f"no schema {path.relative_to(ROOT)} for {doc['kind']}"
    return strict(json.loads(path.read_text(encoding="utf-8")))


def test_operator_resources_pass_their_crd_schemas(docs: list[Manifest]) -> None:
    problems = []
    checked = set()
    for doc in docs:
        if doc["apiVersion"].split("/")[0] not in VENDORED:
            continue
        checked.add(doc["kind"])
        for error in jsonschema.Draft4Validator(schema_for(doc)).iter_errors(doc):
            path = ".".join(str(part) for part in error.absolute_path)
            problems.append(f"{doc['kind']}/{doc['metadata']['name']} {path}: {error.message}")
    assert not problems, "\n".join(problems)
    assert {"PrometheusRule", "ServiceMonitor", "PodMonitor"} <= checked


def test_the_vendored_schemas_refuse_a_misspelt_field() -> None:
    good = {"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup", "metadata": {"name": "b"},
            "spec": {"schedule": "0 0 2 * * *", "cluster": {"name": "c"}, "method": "barmanObjectStore"}}
    assert jsonschema.Draft4Validator(schema_for(good)).is_valid(good)
    bad = copy.deepcopy(good)
    bad["spec"]["schedul"] = bad["spec"].pop("schedule")
    assert not jsonschema.Draft4Validator(schema_for(bad)).is_valid(bad)
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"},
               "spec": {"selector": {}, "endpoints": [{"port": "http", "bearerTokenFil": "/x"}]}}
    assert not jsonschema.Draft4Validator(schema_for(monitor)).is_valid(monitor)


# --- monitoring ------------------------------------------------------------------------------------


def test_prometheus_scrapes_every_service_with_the_metrics_token(docs: list[Manifest]) -> None:
    [monitor] = of_kind(docs, "ServiceMonitor").values()
    services = of_kind(docs, "Service")
    selected = {name for name, svc in services.items()
                if selects(monitor["spec"]["selector"], svc["metadata"]["labels"])}
    assert selected == set(SETTINGS)
    [endpoint] = monitor["spec"]["endpoints"]
    for name in SETTINGS:
        assert endpoint["port"] in {p["name"] for p in services[name]["spec"]["ports"]}, name
    assert endpoint["path"] == "/metrics"
    assert endpoint["authorization"] == {"type": "Bearer",
                                         "credentials": {"name": "apua-metrics", "key": "APUA_METRICS_TOKEN"}}
    for name in SETTINGS:
        assert environment(docs, name)[1]["APUA_METRICS_TOKEN"][:2] == ("apua-metrics", "APUA_METRICS_TOKEN")


def test_kafka_exports_its_metrics_and_prometheus_may_reach_them(docs: list[Manifest]) -> None:
    [kafka] = of_kind(docs, "Kafka").values()
    metrics = kafka["spec"]["kafka"]["metricsConfig"]
    assert metrics["type"] == "jmxPrometheusExporter"
    ref = metrics["valueFrom"]["configMapKeyRef"]
    assert ref["key"] in of_kind(docs, "ConfigMap")[ref["name"]]["data"], "the JMX rules' ConfigMap is rendered"
    assert kafka["spec"]["kafkaExporter"]["topicRegex"]
    [podmonitor] = of_kind(docs, "PodMonitor").values()
    broker = {"strimzi.io/cluster": kafka["metadata"]["name"], "strimzi.io/kind": "Kafka"}
    assert selects(podmonitor["spec"]["selector"], broker)
    assert [e["port"] for e in podmonitor["spec"]["podMetricsEndpoints"]] == ["tcp-prometheus"]
    policy = of_kind(docs, "NetworkPolicy")["allow-prometheus-kafka"]
    assert selects(policy["spec"]["podSelector"], broker)
    [rule] = policy["spec"]["ingress"]
    namespace = region_values(settings_of(docs)["APUA_REGIONS"])["monitoring-namespace"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}]
    assert [p["port"] for p in rule["ports"]] == [9404]


def test_the_dashboards_configmap_is_the_dashboard_files(docs: list[Manifest]) -> None:
    configmap = generated(docs, "apua-dashboards")
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    files = {path.name: path.read_text(encoding="utf-8")
             for path in (K8S / "components" / "monitoring" / "dashboards").glob("*.json")}
    assert configmap["data"] == files


def test_the_alerts_are_rendered(docs: list[Manifest]) -> None:
    [rule] = of_kind(docs, "PrometheusRule").values()
    alerts = {r["alert"] for group in rule["spec"]["groups"] for r in group["rules"]}
    assert {"ApuaConsumerLag", "ApuaOutboxDepth", "ApuaDeadLetters", "ApuaDeadlinesAtRisk", "ApuaDeadlinesMissed",
            "ApuaNotificationsFailed", "ApuaRestarts"} <= alerts


# --- the commands as Jobs --------------------------------------------------------------------------


def job_pod(cronjob: Manifest) -> Manifest:
    spec: Manifest = cronjob["spec"]["jobTemplate"]["spec"]["template"]
    return spec


def tasks(docs: list[Manifest]) -> dict[str, Manifest]:
    return of_kind(docs, "CronJob")


def test_a_rebuild_and_the_admin_commands_are_job_templates(docs: list[Manifest]) -> None:
    expected = {f"{s}-rebuild" for s in REBUILT} | {f"{s}-admin" for s in ADMIN}
    assert set(tasks(docs)) == expected
    deployments = of_kind(docs, "Deployment")
    for name, cronjob in tasks(docs).items():
        service, kind = name.rsplit("-", 1)
        assert cronjob["spec"]["suspend"] is True, f"{name} must never run by its schedule"
        main = container({"spec": {"template": job_pod(cronjob)}})
        serving = container(deployments[service])
        assert main["image"] == serving["image"]
        assert main["command"] == ["python", "-m", f"services.{service}"]
        assert main["args"] == (["rebuild"] if kind == "rebuild" else ["--help"])
        pod = job_pod(cronjob)["spec"]
        assert pod["restartPolicy"] == "Never" and pod["automountServiceAccountToken"] is False
        assert pod["securityContext"] == deployments[service]["spec"]["template"]["spec"]["securityContext"]
        assert main["securityContext"] == serving["securityContext"]
        assert main["volumeMounts"] == serving["volumeMounts"] and pod["volumes"] == deployments[service][
            "spec"]["template"]["spec"]["volumes"]
        assert {"cpu", "memory"} <= set(main["resources"]["limits"])
        if kind == "rebuild":
            # Its own resources, more than a serving pod's: a rebuild holds a batch of a million events.
            assert main["resources"]["limits"]["memory"] != serving["resources"]["limits"]["memory"]
        # The same Secrets as the service, but a rebuild connects as the schemas' owner.
        refs = {var["name"]: var["valueFrom"]["secretKeyRef"] for var in main["env"]
                if "secretKeyRef" in var.get("valueFrom", {})}
        served = {var["name"]: var["valueFrom"]["secretKeyRef"] for var in serving["env"]
                  if "secretKeyRef" in var.get("valueFrom", {})}
        for key, ref in served.items():
            if key == "APUA_METRICS_TOKEN":
                continue
            if key == "APUA_DATABASE_URL" and kind == "rebuild":
                assert ref["name"] == f"apua-{service}" and refs[key]["name"] == f"apua-{service}-migrate"
                assert refs["APUA_DATABASE_APP_ROLE"]["name"] == f"apua-{service}-migrate"
            else:
                assert refs[key] == ref, f"{name}: {key}"
        for kind_ in ("Service", "PodDisruptionBudget"):
            for other in of_kind(docs, kind_).values():
                selector = other["spec"]["selector"]
                assert not selects({"matchLabels": selector} if kind_ == "Service" else selector,
                                   job_pod(cronjob)["metadata"]["labels"]), f"{kind_} {other['metadata']['name']}"


def test_a_command_job_reaches_kafka_and_its_database_only(docs: list[Manifest]) -> None:
    from tests.unit.test_k8s import database_peer, peer_of

    [kafka] = of_kind(docs, "Kafka").values()
    brokers = {"strimzi.io/cluster": kafka["metadata"]["name"], "strimzi.io/broker-role": "true"}
    peers = kafka["spec"]["kafka"]["listeners"][0]["networkPolicyPeers"]
    for name, cronjob in tasks(docs).items():
        service = name.rsplit("-", 1)[0]
        labels = job_pod(cronjob)["metadata"]["labels"]
        assert any(selects(peer["podSelector"], labels) for peer in peers), f"the Kafka listener refuses {name}"
        reached, ingress = set(), []
        for policy in policies_for(docs, labels):
            ingress += policy["spec"].get("ingress", [])
            for rule in policy["spec"].get("egress", []):
                if is_dns(rule):
                    continue
                for peer in rule["to"]:
                    if selects(peer.get("podSelector", {"matchLabels": {"-": "-"}}), brokers):
                        reached.add(("kafka", tuple(p["port"] for p in rule["ports"])))
                    else:
                        reached.add((peer_of(peer), tuple(p["port"] for p in rule["ports"])))
        assert reached == {("kafka", (9093,)), database_peer(docs, service)}, f"{name} reaches {reached}"
        assert ingress == [], f"nothing reaches {name}"


def test_the_readme_names_the_commands_secrets(docs: list[Manifest]) -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8").splitlines()
    for cronjob in tasks(docs).values():
        for var in container({"spec": {"template": job_pod(cronjob)}})["env"]:
            ref = var.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert any(f"`{ref['name']}`" in line and f"`{ref['key']}`" in line for line in readme), ref


# --- the Ingress -----------------------------------------------------------------------------------


def test_the_ingress_has_tls_and_limits_at_the_edge(docs: list[Manifest]) -> None:
    [ingress] = of_kind(docs, "Ingress").values()
    annotations = ingress["metadata"]["annotations"]
    region = region_values(settings_of(docs)["APUA_REGIONS"])
    assert annotations["cert-manager.io/cluster-issuer"] == region["cluster-issuer"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "64k"
    assert int(annotations["nginx.ingress.kubernetes.io/limit-rps"]) > 0
    assert int(annotations["nginx.ingress.kubernetes.io/limit-connections"]) > 0
    from services.intake.settings import IntakeSettings

    assert IntakeSettings.model_fields["max_body_bytes"].default == 64 * 1024
    hosts = [rule["host"] for rule in ingress["spec"]["rules"]]
    assert sorted(h for tls in ingress["spec"]["tls"] for h in tls["hosts"]) == sorted(hosts)
    assert hosts == [region["intake-host"], region["staff-host"], region["reporting-host"]]
    settings = settings_of(docs)
    assert re.sub(r"^https://", "", settings["APUA_ROUTING_URL"]) == region["staff-host"]
    assert re.sub(r"^https://", "", settings["APUA_REPORTING_URL"]) == region["reporting-host"]
    services = of_kind(docs, "Service")
    backends = {}
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            if path["path"] == "/metrics":
                assert path["pathType"] == "Exact"
                target = services[backend["name"]]
                assert not any(selects({"matchLabels": target["spec"]["selector"]}, pod_labels(d))
                               for d in of_kind(docs, "Deployment").values()), "/metrics must reach no service"
                continue
            backends[rule["host"]] = backend["name"]
            assert backend["port"]["number"] == default_port(backend["name"])
    assert sorted(backends.values()) == ["intake", "reporting", "routing"], "notify has no public address"


# --- PostgreSQL in the cluster ---------------------------------------------------------------------


def test_postgres_in_the_cluster_backs_up_to_object_storage(docs: list[Manifest], overlay: str) -> None:
    clusters = of_kind(docs, "Cluster")
    if not clusters:
        pytest.skip(f"{overlay} uses an external PostgreSQL")
    [(name, cluster)] = clusters.items()
    spec = cluster["spec"]
    assert spec["instances"] >= 2 and ":" in spec["imageName"] and not spec["imageName"].endswith(":latest")
    store = spec["backup"]["barmanObjectStore"]
    region = region_values(settings_of(docs)["APUA_REGIONS"])
    assert store["destinationPath"] == region["backup-destination"]
    assert store["endpointURL"] == region["backup-endpoint"]
    assert store["s3Credentials"]["accessKeyId"]["name"] == "apua-backup-s3"
    assert spec["backup"]["retentionPolicy"]
    [backup] = of_kind(docs, "ScheduledBackup").values()
    assert backup["spec"]["cluster"] == {"name": name} and backup["spec"]["method"] == "barmanObjectStore"
    assert int(spec["postgresql"]["parameters"]["archive_timeout"].rstrip("s")) <= 60
    roles = {role["name"]: role for role in spec["managed"]["roles"]}
    databases = {db["spec"]["name"]: db for db in of_kind(docs, "Database").values()}
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    for service in SETTINGS:
        owner, app = roles[f"apua_{service}_owner"], roles[f"apua_{service}"]
        assert owner["login"] and app["login"] and not app.get("createdb") and not app.get("superuser")
        assert databases[service]["spec"]["owner"] == owner["name"]
        assert databases[service]["spec"]["cluster"] == {"name": name}
        for role in (owner, app):
            assert f"`{role['passwordSecret']['name']}`" in readme, role["passwordSecret"]
    assert "`apua-backup-s3`" in readme
    # The services, their migrate Jobs and the commands' Jobs reach it; nothing else in the namespace does.
    policy = of_kind(docs, "NetworkPolicy")["postgres"]
    assert selects(policy["spec"]["podSelector"], {"cnpg.io/cluster": name})
    admitted = policy["spec"]["ingress"][0]["from"][0]["podSelector"]
    clients = [pod_labels(d) for d in of_kind(docs, "Deployment").values()]
    clients += [pod_labels(j) for j in of_kind(docs, "Job").values()]
    clients += [job_pod(c)["metadata"]["labels"] for c in tasks(docs).values()]
    assert all(selects(admitted, labels) for labels in clients)
    assert not selects(admitted, {"app.kubernetes.io/name": "other"})
