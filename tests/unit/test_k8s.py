"""deploy/k8s: every overlay renders with kustomize and passes the Kubernetes and Strimzi schemas, and the
manifests do what a region's deployment needs (probes, limits, policies, secrets by reference, topics as
shared/topics.py makes them). No cluster is needed; the tools come from deploy/k8s/fetch-tools.sh."""

from __future__ import annotations

import base64
import copy
import ipaddress
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from services.intake.settings import IntakeSettings
from services.network.settings import NetworkSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from services.routing.settings import RoutingSettings
from shared.regions import load_regions
from shared.settings import DEVELOPMENT_KEK, ROOT, DatabaseSettings, ServiceSettings
from shared.staffpass import DEVELOPMENT_PASS_SECRET
from shared.topics import cases_topic, region_topics

K8S = ROOT / "deploy" / "k8s"
TOOLS = (K8S / "fetch-tools.sh").read_text(encoding="utf-8")
OVERLAYS = sorted(path.parent.name for path in (K8S / "overlays").glob("*/kustomization.yaml"))
SETTINGS: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings, "routing": RoutingSettings, "notify": NotifySettings, "reporting": ReportingSettings,
    "network": NetworkSettings}
CONSUMERS = ("routing", "notify", "reporting")
STRIMZI_GROUP = "kafka.strimzi.io"
# Kinds of operators' CRDs, which Kubernetes' own schemas do not know: Strimzi's are checked below, the
# others' in tests/unit/test_k8s_operate.py against deploy/k8s/schemas.
CRD_GROUPS = (STRIMZI_GROUP, "postgresql.cnpg.io", "monitoring.coreos.com")
STRIMZI_CRDS = {"Kafka": "040-Crd-kafka.yaml", "KafkaNodePool": "045-Crd-kafkanodepool.yaml",
                "KafkaTopic": "043-Crd-kafkatopic.yaml", "KafkaUser": "044-Crd-kafkauser.yaml"}
# The oldest Kubernetes the manifests are for; they are checked against it and the newest kubernetes-validate knows.
OLDEST_KUBERNETES = "1.30"
# Settings whose values are secrets: never in a manifest, only a reference to a Secret's key.
SECRET_NAMES = re.compile(r"KEK$|SECRET|PASSWORD|TOKEN|DATABASE_URL|STATISTICS_KEY|USERNAME")

Manifest = dict[str, Any]


def tool_version(name: str) -> str:
    match = re.search(rf"^{name}=(\S+)", TOOLS, re.MULTILINE)
    assert match, f"deploy/k8s/fetch-tools.sh sets no {name}"
    return match.group(1)


def missing(what: str) -> NoReturn:
    """Fail in CI, where deploy/local/install.sh has run; skip (with the reason) on a machine that lacks it."""
    message = f"{what}; `bash deploy/local/install.sh` (or `bash deploy/k8s/fetch-tools.sh`) fetches it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def kustomize() -> list[str]:
    built = ROOT / ".cache" / "k8s" / "kustomize" / tool_version("KUSTOMIZE_VERSION") / "kustomize"
    if built.is_file():
        return [str(built), "build"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    missing(f"no kustomize: neither {built.relative_to(ROOT)} nor kustomize or kubectl on PATH")


def render(overlay: str) -> list[Manifest]:
    # The region's configuration is deploy/regions/<region>.yaml, outside the overlay's directory.
    command = [*kustomize(), "--load-restrictor", "LoadRestrictionsNone", str(K8S / "overlays" / overlay)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stderr}"
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def docs(overlay: str) -> list[Manifest]:
    return render(overlay)


def of_kind(docs: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def generated(docs: list[Manifest], name: str) -> Manifest:
    """A ConfigMap by the name it has before kustomize appends its content hash."""
    found = [doc for doc in of_kind(docs, "ConfigMap").values()
             if re.fullmatch(rf"{re.escape(name)}-[a-z0-9]{{10}}", doc["metadata"]["name"])]
    assert len(found) == 1, f"one ConfigMap {name}-<hash> expected, found {len(found)}"
    return found[0]


def settings_of(docs: list[Manifest]) -> dict[str, str]:
    data: dict[str, str] = generated(docs, "apua-settings")["data"]
    return data


def default_port(service: str) -> int:
    port: int = SETTINGS[service].model_fields["port"].default
    return port


def container(deployment: Manifest) -> Manifest:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, f"{deployment['metadata']['name']} runs one container"
    found: Manifest = containers[0]
    return found


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) selects these labels."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        ok = {"In": key in labels and labels[key] in values, "NotIn": labels.get(key) not in values,
              "Exists": key in labels, "DoesNotExist": key not in labels}[operator]
        if not ok:
            return False
    return True


def pod_labels(deployment: Manifest) -> dict[str, str]:
    labels: dict[str, str] = deployment["spec"]["template"]["metadata"]["labels"]
    return labels


def region_values(overlay: str) -> dict[str, str]:
    """The overlay's region.yaml: the values the region component writes into the base."""
    region = yaml.safe_load((K8S / "overlays" / overlay / "region.yaml").read_text(encoding="utf-8"))
    return {key: str(value) for key, value in region["data"].items()}


def overlay_partitions(docs: list[Manifest]) -> int:
    return int(settings_of(docs)["APUA_TOPIC_PARTITIONS"])


# --- rendering and schemas -------------------------------------------------------------------------


def test_every_example_region_has_an_overlay() -> None:
    regions = sorted(path.stem for path in (ROOT / "deploy" / "regions").glob("*.yaml"))
    assert OVERLAYS == regions


def test_every_manifest_passes_the_kubernetes_schemas(docs: list[Manifest]) -> None:
    try:
        import kubernetes_validate
    except ImportError:
        missing("kubernetes-validate is not installed (pip install -e '.[dev]')")
    versions = sorted({OLDEST_KUBERNETES, kubernetes_validate.latest_version()})
    problems = []
    for doc in docs:
        if doc["apiVersion"].split("/")[0] in CRD_GROUPS:
            continue
        for version in versions:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                path = ".".join(str(part) for part in exc.absolute_path)
                problems.append(f"{doc['kind']}/{doc['metadata']['name']} (Kubernetes {version}) {path}: {exc.message}")
            except kubernetes_validate.SchemaNotFoundError as exc:
                problems.append(exc.message)
    assert not problems, "\n".join(problems)


def strict(schema: Any) -> Any:
    """The schema with unknown fields refused where the CRD does not keep them (kubectl --validate=strict)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict(value) for key, value in schema.items()}
    if (out.get("type") == "object" and isinstance(out.get("properties"), dict)
            and "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def strimzi_schemas(absent: list[str] | None = None) -> dict[tuple[str, str], Any]:
    """(kind, version) -> the openAPIV3Schema of Strimzi's CRDs; with ``absent``, the files not there are
    listed in it instead of ending the test (a cache fetched before a kind was used lacks its CRD)."""
    directory = ROOT / ".cache" / "k8s" / "strimzi" / tool_version("STRIMZI_VERSION")
    schemas = {}
    for kind, filename in STRIMZI_CRDS.items():
        path = directory / filename
        if not path.is_file() and absent is not None and (directory / "043-Crd-kafkatopic.yaml").is_file():
            absent.append(str(path.relative_to(ROOT)))
            continue
        if not path.is_file():
            missing(f"Strimzi's CRD {path.relative_to(ROOT)} is not there")
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert crd["spec"]["names"]["kind"] == kind
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schemas[(kind, version["name"])] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


def test_strimzi_resources_pass_the_crd_schemas(docs: list[Manifest]) -> None:
    import jsonschema

    absent: list[str] = []
    schemas = strimzi_schemas(absent)
    problems = []
    strimzi = [doc for doc in docs if doc["apiVersion"].startswith(f"{STRIMZI_GROUP}/")]
    assert {doc["kind"] for doc in strimzi} == set(STRIMZI_CRDS)
    for doc in strimzi:
        version = doc["apiVersion"].split("/")[1]
        if not any(kind == doc["kind"] for kind, _ in schemas):
            continue  # its CRD is not in the cache: said below, after the others are checked
        schema = schemas.get((doc["kind"], version))
        assert schema is not None, f"Strimzi serves no {doc['apiVersion']} {doc['kind']}"
        for error in jsonschema.Draft4Validator(schema).iter_errors(doc):
            path = ".".join(str(part) for part in error.absolute_path)
            problems.append(f"{doc['kind']}/{doc['metadata']['name']} {path}: {error.message}")
    assert not problems, "\n".join(problems)
    if absent:
        missing(f"Strimzi's CRDs {', '.join(absent)} are not there")


def test_the_strict_schemas_refuse_a_misspelt_field() -> None:
    """The check above can fail: a field the CRD does not know is an error, not silently pruned."""
    import jsonschema

    schema = strimzi_schemas([])[("KafkaTopic", "v1")]
    topic = {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic", "metadata": {"name": "t"},
             "spec": {"partitions": 6, "replica": 3}}
    assert not jsonschema.Draft4Validator(schema).is_valid(topic)
    topic["spec"] = {"partitions": 6, "replicas": 3}
    assert jsonschema.Draft4Validator(schema).is_valid(topic)


# --- the services ----------------------------------------------------------------------------------


def test_four_deployments_of_one_image(docs: list[Manifest]) -> None:
    deployments = of_kind(docs, "Deployment")
    assert set(deployments) == set(SETTINGS)
    images = {container(d)["image"] for d in deployments.values()}
    assert len(images) == 1, f"one image for all four services, not {images}"
    for name, deployment in deployments.items():
        assert container(deployment)["command"] == ["python", "-m", f"services.{name}"]


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_probes_resources_and_security(docs: list[Manifest], service: str) -> None:
    deployment = of_kind(docs, "Deployment")[service]
    pod = deployment["spec"]["template"]["spec"]
    main = container(deployment)
    port = default_port(service)
    assert [p["containerPort"] for p in main["ports"]] == [port]
    ports = {p["name"]: p["containerPort"] for p in main["ports"]}
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        assert probe in main, f"{service} has no {probe}"
        get = main[probe]["httpGet"]
        assert get["path"] == path and ports.get(get["port"], get["port"]) == port, f"{service} {probe}: {get}"
    resources = main["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{service} lacks {kind}"
    assert resources["limits"]["memory"] == "256Mi"
    security = main["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False
    # Read-only root: /tmp is the one writable place.
    volumes = {v["name"]: v for v in pod["volumes"]}
    tmp = [m for m in main["volumeMounts"] if m["mountPath"] == "/tmp"]
    assert tmp and "emptyDir" in volumes[tmp[0]["name"]]


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_each_pod_joins_its_consumer_group_under_its_own_name(docs: list[Manifest], service: str) -> None:
    """Static membership: the pod's name (stable while the pod lives, never shared by two pods) through the
    downward API, so a restarted container rejoins as itself and two replicas never take each other's place."""
    env = {var["name"]: var for var in container(of_kind(docs, "Deployment")[service]).get("env", [])}
    assert env.get("APUA_INSTANCE_ID", {}).get("valueFrom") == {"fieldRef": {"fieldPath": "metadata.name"}}, \
        f"{service}: APUA_INSTANCE_ID must be the pod's name"


def test_the_dockerfile_runs_as_the_user_the_pods_demand(docs: list[Manifest]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    user = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")][-1]
    for deployment in of_kind(docs, "Deployment").values():
        assert str(deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"]) == user


def environment(docs: list[Manifest], service: str) -> tuple[dict[str, str], dict[str, tuple[str, str, bool]]]:
    """A service's settings from its ConfigMaps and literals, and the Secret keys (name, key, optional) it reads."""
    main = container(of_kind(docs, "Deployment")[service])
    configmaps = {doc["metadata"]["name"]: doc for doc in of_kind(docs, "ConfigMap").values()}
    values: dict[str, str] = {}
    for source in main.get("envFrom", []):
        assert "configMapRef" in source, f"{service} takes whole Secrets as environment: name the keys instead"
        values.update(configmaps[source["configMapRef"]["name"]]["data"])
    secrets = {}
    for var in main.get("env", []):
        if "value" in var:
            values[var["name"]] = var["value"]
        elif "fieldRef" in var["valueFrom"]:  # the pod's own name, as the downward API gives it
            values[var["name"]] = f"{service}-7d9f8b6c5-x2k4q"
        else:
            ref = var["valueFrom"]["secretKeyRef"]
            secrets[var["name"]] = (ref["name"], ref["key"], bool(ref.get("optional")))
    return values, secrets


def env_names(cls: type[ServiceSettings]) -> dict[str, str]:
    names = {}
    for field_name, field in cls.model_fields.items():
        alias = field.validation_alias
        names[alias if isinstance(alias, str) else f"APUA_{field_name.upper()}"] = field_name
    return names


def example_secret(name: str) -> str:
    if name == "APUA_KEK":
        return base64.b64encode(os.urandom(32)).decode()
    if name == "APUA_DATABASE_URL":
        return "postgresql://apua:example@db.example:5432/apua"
    return base64.urlsafe_b64encode(os.urandom(24)).decode()


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_production_accepts_what_the_pod_is_given(docs: list[Manifest], service: str,
                                                  tmp_path: Path) -> None:
    """The settings validate as in production, with the Secrets' keys filled in: a key the settings demand
    (the KEK, the staff-pass secret, the statistics key) that no manifest provides would fail here."""
    values, secrets = environment(docs, service)
    known = env_names(SETTINGS[service])
    shared = set(settings_of(docs))
    unknown = {name for name in set(values) - shared | set(secrets) if name.startswith("APUA_") and name not in known}
    assert not unknown, f"{service} is given settings that do not exist: {sorted(unknown)}"
    given = {known[name]: value for name, value in values.items() if name in known}
    given |= {known[name]: example_secret(name) for name, (_, _, optional) in secrets.items() if not optional}
    region_dir = tmp_path / "regions"
    region_dir.mkdir()
    for filename, text in generated(docs, "apua-region")["data"].items():
        (region_dir / filename).write_text(text)
    given["regions_dir"] = region_dir
    settings = SETTINGS[service].model_validate(given)
    assert settings.environment == "production"
    assert settings.kek != DEVELOPMENT_KEK
    for name in ("staff_pass_secret", "statistics_key"):
        assert getattr(settings, name, None) != DEVELOPMENT_PASS_SECRET
    regions = load_regions(settings.regions_dir, settings.regions)
    assert [region.id for region in regions] == settings.regions


def test_every_setting_in_the_shared_configmap_exists(docs: list[Manifest]) -> None:
    known = set().union(*(env_names(cls) for cls in SETTINGS.values()))
    assert not set(settings_of(docs)) - known


def test_forwarded_addresses_are_believed_only_from_the_ingress_controller(docs: list[Manifest]) -> None:
    settings = settings_of(docs)
    assert "FORWARDED_ALLOW_IPS" not in settings  # the app's own list decides, never uvicorn's
    proxies = [p.strip() for p in settings["APUA_TRUSTED_PROXIES"].split(",")]
    assert proxies and "*" not in proxies
    for proxy in proxies:
        assert ipaddress.ip_network(proxy, strict=False).num_addresses < 2**16, proxy


def test_each_overlay_serves_its_own_region_only(docs: list[Manifest], overlay: str) -> None:
    settings = settings_of(docs)
    assert settings["APUA_REGIONS"] == overlay
    region_files = generated(docs, "apua-region")
    assert region_files["data"] == {
        f"{overlay}.yaml": (ROOT / "deploy" / "regions" / f"{overlay}.yaml").read_text(encoding="utf-8")}
    for deployment in of_kind(docs, "Deployment").values():
        pod = deployment["spec"]["template"]["spec"]
        volume = next(v for v in pod["volumes"]
                      if v.get("configMap", {}).get("name") == region_files["metadata"]["name"])
        mount = next(m for m in container(deployment)["volumeMounts"] if m["name"] == volume["name"])
        assert mount["mountPath"] == settings["APUA_REGIONS_DIR"]
    namespaces = of_kind(docs, "Namespace")
    assert list(namespaces) == [f"apua-{overlay}"]
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == f"apua-{overlay}", doc["metadata"]["name"]


def test_services_and_disruption_budgets(docs: list[Manifest]) -> None:
    services, budgets = of_kind(docs, "Service"), of_kind(docs, "PodDisruptionBudget")
    for name, deployment in of_kind(docs, "Deployment").items():
        labels = pod_labels(deployment)
        assert name in services and services[name]["spec"]["selector"].items() <= labels.items()
        assert [p["port"] for p in services[name]["spec"]["ports"]] == [default_port(name)]
        assert name in budgets and selects(budgets[name]["spec"]["selector"], labels)


# --- secrets ---------------------------------------------------------------------------------------


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)
    elif value is not None:
        yield str(value)


def test_no_secret_values_in_the_manifests(docs: list[Manifest]) -> None:
    assert not of_kind(docs, "Secret"), "Secrets are created beside the manifests, never in them"
    for configmap in of_kind(docs, "ConfigMap").values():
        assert not [key for key in configmap.get("data", {}) if SECRET_NAMES.search(key)], configmap["metadata"]
    for deployment in of_kind(docs, "Deployment").values():
        for var in container(deployment).get("env", []):
            if SECRET_NAMES.search(var["name"]):
                assert "secretKeyRef" in var.get("valueFrom", {}), f"{var['name']} must come from a Secret"
    from services.reporting.settings import DEVELOPMENT_STATISTICS_KEY

    known_secrets = (DEVELOPMENT_KEK, DEVELOPMENT_PASS_SECRET, DEVELOPMENT_STATISTICS_KEY)
    for text in strings(docs):
        assert not any(secret in text for secret in known_secrets), "a development secret is in a manifest"
        assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", text), "a URL with a password is in a manifest"


def test_the_readme_names_every_secret_key(docs: list[Manifest]) -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8").splitlines()
    for service in SETTINGS:
        for name, key, _ in environment(docs, service)[1].values():
            assert any(f"`{name}`" in line and f"`{key}`" in line for line in readme), \
                f"deploy/k8s/README.md does not say that Secret {name} holds {key}"
        for name, key in job_env(of_kind(docs, "Job")[f"{service}-migrate"])[1].values():
            assert any(f"`{name}`" in line and f"`{key}`" in line for line in readme), \
                f"deploy/k8s/README.md does not say that Secret {name} holds {key}"


# --- migrations ------------------------------------------------------------------------------------


def job_env(job: Manifest) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """A Job's ConfigMaps and the Secret keys it reads."""
    main = container(job)
    configmaps = [source["configMapRef"]["name"] for source in main.get("envFrom", [])]
    assert not [var for var in main.get("env", []) if "value" in var], "settings come from the ConfigMap"
    secrets = {var["name"]: (var["valueFrom"]["secretKeyRef"]["name"], var["valueFrom"]["secretKeyRef"]["key"])
               for var in main.get("env", [])}
    return configmaps, secrets


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_a_job_migrates_each_service_as_the_owner_and_the_deployment_runs_as_the_app_role(
        docs: list[Manifest], service: str) -> None:
    job = of_kind(docs, "Job")[f"{service}-migrate"]
    deployment = of_kind(docs, "Deployment")[service]
    main, pod = container(job), job["spec"]["template"]["spec"]
    assert main["image"] == container(deployment)["image"]
    assert main["command"] == ["python", "-m", f"services.{service}", "migrate"]
    assert pod["restartPolicy"] in ("Never", "OnFailure") and job["spec"]["backoffLimit"] > 0
    assert job["spec"]["ttlSecondsAfterFinished"] > 0, "gone once done, so that the next release can make it again"
    # The owner's URL only in the Job's own Secret; the Deployment's is another (the app role's).
    configmaps, secrets = job_env(job)
    assert set(secrets) == {"APUA_DATABASE_URL", "APUA_DATABASE_APP_ROLE"}
    assert {name for name, _ in secrets.values()} == {f"apua-{service}-migrate"}
    _, deployment_secrets = environment(docs, service)
    assert deployment_secrets["APUA_DATABASE_URL"][0] == f"apua-{service}"
    assert not {name for name, _, _ in deployment_secrets.values()} & {f"apua-{service}-migrate"}
    # What the Job is given is all migrate reads, in production: no secret of the service's is needed.
    values = {k: v for name in configmaps for k, v in of_kind(docs, "ConfigMap")[name]["data"].items()}
    known = env_names(DatabaseSettings)
    settings = DatabaseSettings.model_validate(
        {**{known[k]: v for k, v in values.items() if k in known}, "database_url": example_secret("APUA_DATABASE_URL"),
         "database_app_role": f"apua_{service}", "service": service})
    assert settings.environment == "production" and not settings.migrates_on_start
    assert settings.db_schema == service
    # Restricted like the services' pods, and no Service or disruption budget takes it for one of theirs.
    assert pod["securityContext"]["runAsNonRoot"] and pod["automountServiceAccountToken"] is False
    assert main["securityContext"]["readOnlyRootFilesystem"] and main["securityContext"]["capabilities"] == {
        "drop": ["ALL"]}
    assert {"cpu", "memory"} <= set(main["resources"]["limits"])
    labels = pod_labels(job)
    for kind in ("Service", "PodDisruptionBudget"):
        for other in of_kind(docs, kind).values():
            assert not selects({"matchLabels": other["spec"]["selector"]} if kind == "Service"
                               else other["spec"]["selector"], labels), f"{kind} {other['metadata']['name']}"


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_a_migrate_job_reaches_only_its_database(docs: list[Manifest], service: str) -> None:
    labels = pod_labels(of_kind(docs, "Job")[f"{service}-migrate"])
    outside, ingress = [], []
    for policy in policies_for(docs, labels):
        ingress += policy["spec"].get("ingress", [])
        for rule in policy["spec"].get("egress", []):
            if not is_dns(rule):
                outside += [(peer_of(peer), tuple(p["port"] for p in rule["ports"])) for peer in rule["to"]]
    assert outside == [database_peer(docs, service)]
    assert ingress == [], "nothing reaches a migrate Job"


# --- network ---------------------------------------------------------------------------------------


def database_peer(docs: list[Manifest], service: str) -> tuple[str, tuple[int, ...]]:
    """Where a service's database is: region.yaml's address, or the pods of the CloudNativePG cluster that
    components/postgres adds (then every database rule names those pods)."""
    region = region_values(settings_of(docs)["APUA_REGIONS"])
    clusters = of_kind(docs, "Cluster")
    if clusters:
        return f"cnpg.io/cluster={next(iter(clusters))}", (5432,)
    return region[f"{service}-database-cidr"], (int(region["database-port"]),)


def peer_of(peer: Manifest) -> str:
    if "ipBlock" in peer:
        return str(peer["ipBlock"]["cidr"])
    labels = peer["podSelector"]["matchLabels"]
    assert set(peer) == {"podSelector"} and list(labels) == ["cnpg.io/cluster"], peer
    return f"cnpg.io/cluster={labels['cnpg.io/cluster']}"


def policies_for(docs: list[Manifest], labels: dict[str, str]) -> list[Manifest]:
    return [p for p in of_kind(docs, "NetworkPolicy").values() if selects(p["spec"]["podSelector"], labels)]


def test_default_deny(docs: list[Manifest]) -> None:
    deny = [p for p in of_kind(docs, "NetworkPolicy").values()
            if p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
            and not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert deny, "no default-deny policy for the namespace"


def is_dns(rule: Manifest) -> bool:
    return all(p["port"] == 53 for p in rule.get("ports", [{"port": None}])) and all(
        peer.get("podSelector", {}).get("matchLabels") == {"k8s-app": "kube-dns"} for peer in rule.get("to", [{}]))


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_each_service_reaches_only_kafka_its_database_and_dns(docs: list[Manifest], service: str) -> None:
    labels = pod_labels(of_kind(docs, "Deployment")[service])
    own = [p for p in policies_for(docs, labels) if p["spec"]["podSelector"] != {}]
    assert own, f"no NetworkPolicy selects {service}"
    brokers = {"strimzi.io/cluster": of_kind(docs, "Kafka").popitem()[0], "strimzi.io/broker-role": "true"}
    kafka = False
    outside = []
    for policy in policies_for(docs, labels):
        for rule in policy["spec"].get("egress", []):
            assert rule.get("to") and rule.get("ports"), f"{policy['metadata']['name']} lets {service} reach anything"
            if is_dns(rule):
                continue
            for peer in rule["to"]:
                if "ipBlock" in peer or "cnpg.io/cluster" in peer.get("podSelector", {}).get("matchLabels", {}):
                    outside.append((peer_of(peer), tuple(p["port"] for p in rule["ports"])))
                else:
                    assert selects(peer["podSelector"], brokers) and "namespaceSelector" not in peer, peer
                    assert [p["port"] for p in rule["ports"]] == [9093]
                    kafka = True
    region = region_values(settings_of(docs)["APUA_REGIONS"])
    database = database_peer(docs, service)
    assert kafka and database in outside, f"{service} must reach the Kafka brokers and its own PostgreSQL"
    allowed = {database}
    if service == "notify":
        allowed |= {(region[f"{gateway}-cidr"], (int(region[f"{gateway}-port"]),)) for gateway in ("smtp", "sms")}
        assert settings_of(docs)["APUA_SMTP_PORT"] == region["smtp-port"]
    if service == "routing":
        allowed |= {(region["oidc-cidr"], (443,))}
    assert set(outside) <= allowed, f"{service} reaches {set(outside) - allowed}"
    assert not [c for c, _ in outside if c.endswith("/0")], f"{service} reaches the whole internet"


@pytest.mark.parametrize("service", sorted(SETTINGS))
def test_only_the_ingress_controller_reaches_the_web_services(docs: list[Manifest], service: str) -> None:
    labels = pod_labels(of_kind(docs, "Deployment")[service])
    rules = [rule for p in policies_for(docs, labels) if p["metadata"]["name"] != "allow-prometheus"
             for rule in p["spec"].get("ingress", [])]
    if service == "notify":
        assert rules == [], "nothing outside needs notify"
        return
    assert rules, f"the ingress controller cannot reach {service}"
    for rule in rules:
        assert [p["port"] for p in rule["ports"]] == [default_port(service)]
        for peer in rule["from"]:
            assert set(peer) == {"namespaceSelector"}
            assert list(peer["namespaceSelector"]["matchLabels"]) == ["kubernetes.io/metadata.name"]


def test_only_prometheus_namespace_reaches_the_services_for_metrics(docs: list[Manifest]) -> None:
    policy = of_kind(docs, "NetworkPolicy")["allow-prometheus"]
    region = region_values(settings_of(docs)["APUA_REGIONS"])
    for service in SETTINGS:
        assert selects(policy["spec"]["podSelector"], pod_labels(of_kind(docs, "Deployment")[service])), service
    assert not selects(policy["spec"]["podSelector"], {"strimzi.io/cluster": "apua"})
    [rule] = policy["spec"]["ingress"]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": region["monitoring-namespace"]}}}]
    assert sorted(p["port"] for p in rule["ports"]) == sorted(default_port(s) for s in SETTINGS)


def test_the_kafka_listener_admits_the_four_services(docs: list[Manifest]) -> None:
    listeners = of_kind(docs, "Kafka").popitem()[1]["spec"]["kafka"]["listeners"]
    assert [listener["port"] for listener in listeners] == [9093]
    assert listeners[0]["tls"] is True and listeners[0]["authentication"] == {"type": "scram-sha-512"}
    peers = listeners[0]["networkPolicyPeers"]
    for deployment in of_kind(docs, "Deployment").values():
        assert any(selects(peer["podSelector"], pod_labels(deployment)) for peer in peers)
    assert not any(selects(peer["podSelector"], {"app.kubernetes.io/name": "other"}) for peer in peers)


# --- Kafka -----------------------------------------------------------------------------------------


def test_kafka_keeps_three_copies_and_needs_two(docs: list[Manifest]) -> None:
    (name, kafka), = of_kind(docs, "Kafka").items()
    config = kafka["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
    assert config["auto.create.topics.enable"] is False
    pools = list(of_kind(docs, "KafkaNodePool").values())
    assert sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"]) == 3
    assert any("controller" in p["spec"]["roles"] for p in pools), "KRaft: the node pool runs the controllers"
    assert all(p["metadata"]["labels"]["strimzi.io/cluster"] == name for p in pools)
    assert settings_of(docs)["APUA_KAFKA_BOOTSTRAP"] == f"{name}-kafka-bootstrap:9093"


def test_topics_are_those_shared_topics_creates(docs: list[Manifest], overlay: str) -> None:
    (cluster, _), = of_kind(docs, "Kafka").items()
    settings = settings_of(docs)
    expected = {t.name: t for t in region_topics(settings["APUA_TOPIC_PREFIX"], overlay, overlay_partitions(docs),
                                                 int(settings["APUA_TOPIC_REPLICATION"]))}
    topics = {t["spec"]["topicName"]: t for t in of_kind(docs, "KafkaTopic").values()}
    assert set(topics) == set(expected)
    for name, topic in topics.items():
        spec, want = topic["spec"], expected[name]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == cluster
        assert spec["partitions"] == want.num_partitions, name
        assert spec["replicas"] == want.replication_factor == 3, name
        assert {key: str(value) for key, value in spec["config"].items()} == want.topic_configs, name
        assert spec["config"]["min.insync.replicas"] == 2, name


def test_the_partition_count_is_set_in_one_place(docs: list[Manifest], overlay: str) -> None:
    region = yaml.safe_load((K8S / "overlays" / overlay / "region.yaml").read_text(encoding="utf-8"))
    assert region["metadata"]["annotations"]["config.kubernetes.io/local-config"] == "true"
    assert "docs/capacity.md" in (K8S / "overlays" / overlay / "region.yaml").read_text(encoding="utf-8")
    assert overlay_partitions(docs) == int(region["data"]["partitions"])
    topics = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(docs, "KafkaTopic").values()}
    for stem in ("cases", "keys", "audit"):
        assert topics[f"apua.{overlay}.{stem}"] == overlay_partitions(docs)


def test_consumers_autoscale_up_to_the_partition_count(docs: list[Manifest], overlay: str) -> None:
    autoscalers = of_kind(docs, "HorizontalPodAutoscaler")
    assert set(autoscalers) == set(CONSUMERS)
    partitions = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in of_kind(docs, "KafkaTopic").values()}
    ceiling = partitions[cases_topic("apua", overlay)]
    deployments = of_kind(docs, "Deployment")
    for name, hpa in autoscalers.items():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= ceiling
        assert "replicas" not in deployments[name]["spec"], f"the autoscaler, not the Deployment, sizes {name}"


def test_the_checks_can_fail(docs: list[Manifest]) -> None:
    """A Deployment without probes or limits, or a topic with one replica, is caught by the checks above."""
    broken = copy.deepcopy(docs)
    main = container(of_kind(broken, "Deployment")["routing"])
    del main["readinessProbe"]
    with pytest.raises(AssertionError):
        test_probes_resources_and_security(broken, "routing")
    topic = of_kind(broken, "KafkaTopic")["cases"]
    topic["spec"]["replicas"] = 1
    with pytest.raises(AssertionError):
        test_topics_are_those_shared_topics_creates(broken, settings_of(broken)["APUA_REGIONS"])
