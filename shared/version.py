"""The project's one version: pyproject.toml's, as the installed package's metadata tells it.

Nothing else writes a version down: /openapi.json's ``info.version``, the ``apua_build_info`` metric and
the image's ``org.opencontainers.image.version`` label (the Dockerfile checks its build argument against
this) all read it. A release changes pyproject.toml, and the image tag Kubernetes' base deploys
(deploy/k8s/base/kustomization.yaml), which tests/unit/test_release.py holds equal to it.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version as installed_version

from prometheus_client import CollectorRegistry, Info

DISTRIBUTION = "pyyda-apua"


@cache
def version() -> str:
    """The installed package's version (a checkout runs the editable install of `make install`)."""
    return installed_version(DISTRIBUTION)


def register_build_info(registry: CollectorRegistry, service: str) -> None:
    """``apua_build_info{service, version} 1``: which release each instance runs, for dashboards and alerts
    that compare instances during a rollout."""
    Info("apua_build", "The release this instance runs", ["service"], registry=registry).labels(service).info(
        {"version": version()})
