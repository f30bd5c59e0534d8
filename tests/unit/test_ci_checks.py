"""CI's audit reads the lock and fails on findings, says out loud when it could not ask, and checks licences."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from shared.settings import ROOT

# Stands in for Python: answers the advisory-source probe (`python -`) with $PROBE, and records pip-audit's
# command line, exiting as pip-audit would ($AUDIT_STATUS: 1 when it found a vulnerable package).
STUB = """#!/bin/sh
if [ "$1" = "-" ]; then cat >/dev/null; [ -n "$PROBE" ] && echo "$PROBE"; exit 0; fi
echo "$@" > "$CALLS"
exit "${AUDIT_STATUS:-0}"
"""


def _audit(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    stub = tmp_path / "python"
    stub.write_text(STUB)
    stub.chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if k != "APUA_AUDIT_REQUIRED"}
    return subprocess.run(["bash", str(ROOT / ".ci" / "audit")], capture_output=True, text=True, timeout=60,
                          env={**clean, "PYTHON": str(stub), "CALLS": str(tmp_path / "calls"), **env})


def test_the_audit_reads_the_lock_by_its_hashes(tmp_path: Path) -> None:
    done = _audit(tmp_path, PROBE="osv")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "calls").read_text().split() == [
        "-m", "pip_audit", "--strict", "--progress-spinner", "off", "-s", "osv",
        "--disable-pip", "--require-hashes", "-r", "requirements-dev.lock"]


def test_a_finding_fails_ci(tmp_path: Path) -> None:
    assert _audit(tmp_path, PROBE="pypi", AUDIT_STATUS="1").returncode == 1


@pytest.mark.parametrize("required,status", [("", 0), ("1", 2)])
def test_no_advisory_source_is_said_and_fails_only_a_release(tmp_path: Path, required: str, status: int) -> None:
    done = _audit(tmp_path, PROBE="", APUA_AUDIT_REQUIRED=required)
    assert done.returncode == status
    assert "SECURITY AUDIT SKIPPED" in done.stderr and not (tmp_path / "calls").exists()


def test_ci_checks_licences_and_advisories_after_installing_from_the_lock() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    order = [run.index(step) for step in ("bash deploy/local/install.sh", ".ci/licences", ".ci/audit", "make test")]
    assert order == sorted(order)
    licences = (ROOT / ".ci" / "licences").read_text(encoding="utf-8")
    assert '"$PYTHON" -m reuse lint' in licences and '"$PYTHON" -m deploy.licences' in licences
