#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine, skipping what is already there:
# Java 17+, Maven and PostgreSQL from Debian's packages, the Python packages, and Kafka's jars.
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
command -v wrk >/dev/null 2>&1 || need+=(wrk)  # make bench's load tool
# The browser tests drive Debian's chromium (never a downloaded browser) and load axe-core from npm.
if [ "${APUA_SKIP_BROWSER:-}" != "1" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
  command -v npm >/dev/null 2>&1 || need+=(npm)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
  # Debian starts a cluster of its own on 5432; the project runs private clusters instead.
  if [[ " ${need[*]} " == *" postgresql "* ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
    for conf in /etc/postgresql/*/main; do
      [ -d "$conf" ] && $sudo pg_ctlcluster "$(basename "$(dirname "$conf")")" main stop 2>/dev/null || true
    done
  fi
fi

PYTHON=${PYTHON:-python3}
# Exactly the versions of the lock (`make lock`), each file checked against its hash; then the project itself,
# editable, with nothing more to resolve.
pip_install=("$PYTHON" -m pip install -q --disable-pip-version-check --root-user-action=ignore)
"${pip_install[@]}" --require-hashes -r requirements-dev.lock
"${pip_install[@]}" --no-deps --no-build-isolation -e .
if [ "${APUA_SKIP_BROWSER:-}" != "1" ] && [ ! -f node_modules/axe-core/axe.min.js ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
"$PYTHON" -m deploy.local.infra fetch >/dev/null
# kustomize and Strimzi's CRDs, once, for tests/unit/test_k8s.py.
PYTHON="$PYTHON" bash deploy/k8s/fetch-tools.sh
echo "installed: Python packages, Kafka jars in .cache/kafka, PostgreSQL $(ls /usr/lib/postgresql | sort -V | tail -1)"
