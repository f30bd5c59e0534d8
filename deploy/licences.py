"""``python -m deploy.licences``: every Python dependency in the locks has a licence the EUPL-1.2 allows.

pip-licenses reads each installed package's licence (its License-Expression, else its classifiers, else its
License field); .ci/licences.toml says which licences are allowed, which only for the tools CI runs (never
in the image: requirements.lock), and which packages were read by hand. A licence expression is allowed when
every part joined by AND (or by pip-licenses' "; " between classifiers) is, and one side of each OR.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / ".ci" / "licences.toml"
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"


def normalised(name: str) -> str:
    """A package's name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock: Path) -> dict[str, str]:
    """{name: version} of every package a lock pins."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", line)
        if match:
            found[normalised(match.group(1))] = match.group(2)
    return found


@dataclass(frozen=True)
class Policy:
    allowed: frozenset[str]
    tools_only: frozenset[str]
    reviewed: dict[str, str]

    @classmethod
    def read(cls, path: Path = POLICY) -> Policy:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(frozenset(data["allowed"]), frozenset(data["tools_only"]),
                   {normalised(name): entry["licence"] for name, entry in data.get("reviewed", {}).items()})

    def verdict(self, expression: str, *, in_image: bool) -> bool:
        """Whether ``expression`` is allowed for a package in the image (``in_image``) or only in the tools."""
        ok = self.allowed if in_image else self.allowed | self.tools_only
        text = expression.strip()
        if text.startswith("(") and text.endswith(")") and text.count("(") == 1:
            text = text[1:-1]
        if "; " in text:
            return all(self.verdict(part, in_image=in_image) for part in text.split("; "))
        if " OR " in text and "(" not in text:
            return any(self.verdict(part, in_image=in_image) for part in text.split(" OR "))
        if " AND " in text:
            parts = re.split(r" AND (?![^(]*\))", text)
            return all(self.verdict(part, in_image=in_image) for part in parts)
        return text in ok


def read_licences(names: list[str]) -> dict[str, str]:
    """{name: licence} of installed packages, as pip-licenses reads them."""
    out = subprocess.run([sys.executable, "-m", "piplicenses", "--from=mixed", "--with-system", "--format=json",
                          "--packages", *names], check=True, capture_output=True, text=True).stdout
    return {normalised(row["Name"]): row["License"] for row in json.loads(out)}


def problems(policy: Policy, runtime: dict[str, str], everything: dict[str, str],
             licences: dict[str, str]) -> list[str]:
    found = []
    for name in sorted(everything):
        licence = policy.reviewed.get(name) or licences.get(name)
        if licence is None:
            found.append(f"{name}: not installed, so its licence cannot be read (install from the lock)")
        elif not policy.verdict(licence, in_image=name in runtime):
            where = "the image (requirements.lock)" if name in runtime else "the tools"
            found.append(f"{name} {everything[name]}: '{licence}' is not allowed in {where} (.ci/licences.toml)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.licences", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    policy = Policy.read()
    runtime, everything = locked(RUNTIME_LOCK), locked(DEV_LOCK)
    missing = sorted(set(runtime) - set(everything))
    if missing:
        sys.stderr.write(f"requirements.lock pins what requirements-dev.lock does not: {missing} (make lock)\n")
        return 1
    found = problems(policy, runtime, everything, read_licences(sorted(everything)))
    for line in found:
        sys.stderr.write(line + "\n")
    sys.stdout.write(f"licences: {len(everything) - len(found)} of {len(everything)} packages allowed\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
