"""A release: the locks with hashes are what install.sh, the Dockerfile and make use, and there is one version."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from prometheus_client import generate_latest

from deploy.licences import locked, normalised
from shared.metrics import Metrics
from shared.runtime import ServiceRuntime
from shared.settings import ROOT
from shared.version import version
from tests.support import APPS, settings_for

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
RUNTIME, DEV = locked(ROOT / "requirements.lock"), locked(ROOT / "requirements-dev.lock")


def _requirements(extra: str | None) -> list[Requirement]:
    project = PYPROJECT["project"]
    names = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(text) for text in names]


def _hashed_entries(lock: str) -> dict[str, int]:
    """{package: how many hashes} of each entry of a lock."""
    text = (ROOT / lock).read_text(encoding="utf-8")
    entries = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==\S+((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)", text, re.M)
    return {normalised(name): hashes.count("--hash=") for name, hashes in entries}


@pytest.mark.parametrize("lock,extras", [("requirements.lock", [None]), ("requirements-dev.lock", [None, "dev"])])
def test_every_dependency_is_pinned_with_hashes(lock: str, extras: list[str | None]) -> None:
    pins = locked(ROOT / lock)
    for requirement in (r for extra in extras for r in _requirements(extra)):
        name = normalised(requirement.name)
        assert name in pins, f"{requirement} is not in {lock}: make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{lock} pins {name} {pins[name]}"
    hashes = _hashed_entries(lock)
    assert set(hashes) == set(pins)
    assert [name for name, count in hashes.items() if count == 0] == []


def test_the_image_lock_agrees_with_the_tools_lock_and_has_no_tools() -> None:
    assert {name: DEV[name] for name in RUNTIME} == RUNTIME
    assert not {"pytest", "mypy", "playwright", "pip-audit"} & set(RUNTIME)


def test_the_build_backend_is_locked_as_pyproject_names_it() -> None:
    backend = [Requirement(text) for text in PYPROJECT["build-system"]["requires"]]
    declared = [Requirement(line) for line in (ROOT / "build-requirements.in").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert {(r.name, str(r.specifier)) for r in backend} == {(r.name, str(r.specifier)) for r in declared}
    for requirement in backend:
        assert requirement.specifier.contains(RUNTIME[normalised(requirement.name)])


def test_install_sh_installs_the_dev_lock_with_hashes_and_nothing_unlocked() -> None:
    script = (ROOT / "deploy" / "local" / "install.sh").read_text(encoding="utf-8")
    assert '"${pip_install[@]}" --require-hashes -r requirements-dev.lock' in script
    assert '"${pip_install[@]}" --no-deps --no-build-isolation -e .' in script
    # Every pip that installs is one of those two: no other line may install past the lock.
    installs = [line for line in script.splitlines() if re.search(r"pip install|pip_install\[@\]", line)
                and not line.lstrip().startswith(("#", "pip_install=("))]
    assert installs == ['"${pip_install[@]}" --require-hashes -r requirements-dev.lock',
                        '"${pip_install[@]}" --no-deps --no-build-isolation -e .']
    assert "pip install -q --disable-pip-version-check --root-user-action=ignore -e" not in script


def test_the_dockerfile_installs_the_lock_in_a_layer_of_its_own_from_a_pinned_base() -> None:
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}$", DOCKERFILE, re.M)
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, re.M) == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]
    lock_install = DOCKERFILE.index("pip install --require-hashes -r requirements.lock")
    # The dependency layer comes before any of the code, so a change of the code reuses it.
    assert DOCKERFILE.index("COPY requirements.lock ./") < lock_install < DOCKERFILE.index("COPY shared")
    assert "pip install --no-cache-dir --no-deps --no-build-isolation ." in DOCKERFILE
    assert "requirements-dev.lock" not in DOCKERFILE


def test_the_image_carries_oci_labels_from_the_build_arguments() -> None:
    labels = dict(re.findall(r"(org\.opencontainers\.image\.[a-z.]+)=\"([^\"]*)\"", DOCKERFILE))
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    assert labels["org.opencontainers.image.revision"] == "${REVISION}"
    assert labels["org.opencontainers.image.created"] == "${CREATED}"
    assert labels["org.opencontainers.image.licenses"] == PYPROJECT["project"]["license"]
    image = subprocess.run(["make", "-n", "image"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    assert f"--build-arg VERSION={PYPROJECT['project']['version']} " in image
    assert f"-t pyyda-apua:{PYPROJECT['project']['version']}" in image


def test_make_lock_writes_both_locks_with_hashes() -> None:
    plan = subprocess.run(["make", "-n", "lock"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    lines = [line for line in plan.splitlines() if "uv pip compile" in line]
    assert len(lines) == 2 and all("--generate-hashes" in line for line in lines)
    assert "--extra dev -o requirements-dev.lock" in lines[0]
    assert "-c requirements-dev.lock -o requirements.lock" in lines[1]


def test_updates_are_proposed_for_pip_npm_and_the_base_image() -> None:
    config = json.loads((ROOT / "renovate.json").read_text(encoding="utf-8"))
    assert set(config["enabledManagers"]) == {"pip-compile", "npm", "custom.regex"}
    patterns = [re.compile(p.strip("/")) for p in config["pip-compile"]["managerFilePatterns"]]
    assert all(any(p.search(lock) for p in patterns) for lock in ("requirements.lock", "requirements-dev.lock"))
    # The base image's digest is found where the Dockerfile writes it, and both locks' headers hold the command
    # Renovate reruns to regenerate them.
    (base,) = config["customManagers"]
    found = re.search(base["matchStrings"][0].replace("(?<", "(?P<"), DOCKERFILE)
    assert found and found["depName"] == "python" and found["currentValue"] == "3.11-slim-bookworm"
    for lock in ("requirements.lock", "requirements-dev.lock"):
        header = (ROOT / lock).read_text(encoding="utf-8").splitlines()[:2]
        assert header[0] == "# This file was autogenerated by uv via the following command:"
        assert "uv pip compile pyproject.toml build-requirements.in" in header[1] and "--generate-hashes" in header[1]
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    npm_lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    assert set(package["devDependencies"]) <= {name.removeprefix("node_modules/") for name in npm_lock["packages"]}


def test_one_version_everywhere() -> None:
    assert version() == PYPROJECT["project"]["version"]
    kustomization = yaml.safe_load((ROOT / "deploy/k8s/base/kustomization.yaml").read_text(encoding="utf-8"))
    assert [image["newTag"] for image in kustomization["images"] if image["name"] == "pyyda-apua"] == [version()]


@pytest.mark.parametrize("service", ["intake", "routing", "notify", "reporting"])
def test_openapi_and_build_info_report_the_version(service: str) -> None:
    settings = settings_for(service, prefix="p", dsn="postgresql://x@127.0.0.1:1/x", bootstrap="127.0.0.1:1")
    assert APPS[service](settings).openapi()["info"]["version"] == version()
    scraped = generate_latest(Metrics(ServiceRuntime(settings)).registry).decode()
    assert f'apua_build_info{{service="{service}",version="{version()}"}} 1.0' in scraped


def test_kubernetes_runs_the_one_image_in_every_container_of_ours() -> None:
    images = set()
    for path in (ROOT / "deploy" / "k8s" / "base").glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            spec = (document or {}).get("spec", {})
            pod = spec.get("jobTemplate", {}).get("spec", spec).get("template", {}).get("spec", {})
            images |= {c["image"] for c in pod.get("containers", []) + pod.get("initContainers", [])}
    assert images == {"pyyda-apua"}


def test_compose_runs_one_image_for_the_services_and_migrate() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    ours = {name for name, service in compose.items() if "build" in service}
    assert {"intake", "routing", "notify", "reporting", "migrate"} <= ours
    assert {compose[name]["image"] for name in ours} == {"pyyda-apua"}


def test_the_release_documents_say_what_an_adopter_looks_for() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    assert headings[0] == "Unreleased" and PYPROJECT["project"]["version"] in headings
    assert set(re.findall(r"^### (\w+)", changelog, re.M)) <= {
        "Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert all(command in contributing for command in ("make run", "make test", "make translations", "make lock"))
    assert "Report a vulnerability" in (ROOT / "SECURITY.md").read_text(encoding="utf-8")
