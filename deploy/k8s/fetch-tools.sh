#!/usr/bin/env bash
# What tests/unit/test_k8s.py needs to render and check deploy/k8s, fetched once into .cache/k8s/ and
# reused offline after that (deploy/local/install.sh runs this):
#   * kustomize, built with `go install` from the Go module proxy (about a minute the first time);
#   * the CRDs of Strimzi's kafka.strimzi.io/v1 API (Kafka, KafkaNodePool, KafkaTopic, KafkaUser), taken from
#     Strimzi's api test jar on Maven Central (0.3 MB), where Strimzi's build writes them.
# Nothing third-party is fetched into the repository. The test reads the two versions below from this file.
# CloudNativePG and the Prometheus Operator publish their CRDs on no registry the project reaches: their
# schemas are kept in deploy/k8s/schemas instead (its README.md says from which release).
set -euo pipefail
cd "$(dirname "$0")/../.."

KUSTOMIZE_VERSION=v5.8.2   # v5.8.3 and later need Go 1.27
STRIMZI_VERSION=0.51.0     # the last release whose api test jar carries the generated CRDs

cache=.cache/k8s
kustomize_dir="$cache/kustomize/$KUSTOMIZE_VERSION"
if [ ! -x "$kustomize_dir/kustomize" ]; then
  if command -v go >/dev/null 2>&1; then
    echo "building kustomize $KUSTOMIZE_VERSION into $kustomize_dir (once)"
    mkdir -p "$kustomize_dir"
    GOBIN="$PWD/$kustomize_dir" GOTOOLCHAIN=local GOFLAGS=-modcacherw \
      go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" \
      || echo "kustomize $KUSTOMIZE_VERSION could not be built; tests/unit/test_k8s.py falls back to kubectl kustomize"
  else
    echo "no Go toolchain: tests/unit/test_k8s.py falls back to kubectl kustomize"
  fi
fi

crd_dir="$cache/strimzi/$STRIMZI_VERSION"
if [ ! -f "$crd_dir/044-Crd-kafkauser.yaml" ] && ! command -v mvn >/dev/null 2>&1; then
  echo "Maven (mvn) is needed once to fetch Strimzi's CRDs; tests/unit/test_k8s.py fails in CI without them" >&2
elif [ ! -f "$crd_dir/044-Crd-kafkauser.yaml" ]; then
  echo "fetching Strimzi $STRIMZI_VERSION's CRDs into $crd_dir (once)"
  jar_dir=$(mktemp -d)
  trap 'rm -rf "$jar_dir"' EXIT
  if log=$(mvn -q -B dependency:copy -Dartifact="io.strimzi:api:$STRIMZI_VERSION:jar:tests" \
             -DoutputDirectory="$jar_dir" 2>&1); then
    mkdir -p "$crd_dir"
    # The user's CRD last: its presence says the set is complete.
    "${PYTHON:-python3}" - "$jar_dir/api-$STRIMZI_VERSION-tests.jar" "$crd_dir" <<'EOF'
import sys
import zipfile
from pathlib import Path

jar, out = sys.argv[1], Path(sys.argv[2])
with zipfile.ZipFile(jar) as archive:
    for name in ("040-Crd-kafka.yaml", "045-Crd-kafkanodepool.yaml", "043-Crd-kafkatopic.yaml",
                 "044-Crd-kafkauser.yaml"):
        (out / name).write_bytes(archive.read(f"crds/v1/{name}"))
EOF
  else
    echo "$log" >&2
    echo "Strimzi's CRDs could not be fetched; tests/unit/test_k8s.py fails in CI until they are" >&2
  fi
fi
