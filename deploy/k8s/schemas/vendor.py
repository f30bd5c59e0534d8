"""Writes the OpenAPI schema of a CRD as deploy/k8s/schemas/<group>/<kind>-<version>.json, without its
descriptions (most of its size), for tests/unit/test_k8s_operate.py to validate the manifests against:

    python deploy/k8s/schemas/vendor.py <the CRD's YAML>...

The CRDs are those of the operators' release tags named in README.md beside this file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def without_descriptions(schema: Any) -> Any:
    if isinstance(schema, dict):
        # A property may be called "description" too (a Cluster's spec.description): only the text goes.
        return {key: without_descriptions(value) for key, value in schema.items()
                if not (key == "description" and isinstance(value, str))}
    if isinstance(schema, list):
        return [without_descriptions(item) for item in schema]
    return schema


def vendor(crd_path: Path) -> list[Path]:
    crd = yaml.safe_load(crd_path.read_text(encoding="utf-8"))
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    written = []
    for version in crd["spec"]["versions"]:
        if not version.get("served"):
            continue
        out = HERE / group / f"{kind}-{version['name']}.json"
        out.parent.mkdir(exist_ok=True)
        schema = without_descriptions(version["schema"]["openAPIV3Schema"])
        out.write_text(json.dumps(schema, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
        written.append(out)
    return written


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        for path in vendor(Path(arg)):
            sys.stdout.write(f"{path.relative_to(HERE)}\n")
