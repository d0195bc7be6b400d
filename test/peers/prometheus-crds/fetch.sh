#!/usr/bin/env bash
# Fetches the ServiceMonitor and PodMonitor CustomResourceDefinitions of the Prometheus Operator
# from its official Go module (the module zip holds them under example/prometheus-operator-crd/)
# into a cache outside the clone, keyed by version, so the chart's monitors are checked by a real
# API server against their real schemas.
#
#   test/peers/prometheus-crds/fetch.sh     fetch if the cache is missing, print the CRD file's path
#   PROMETHEUS_OPERATOR_VERSION=0.85.0 test/peers/prometheus-crds/fetch.sh
set -euo pipefail

VERSION="${PROMETHEUS_OPERATOR_VERSION:-$(cat "$(dirname "$0")/VERSION")}"
source "$(dirname "$0")/../../../scripts/build-cache.sh"
OUT="$CACHE_ROOT/prometheus-crds/v$VERSION"

cached() { [ -s "$OUT/monitors.yaml" ] && echo "$OUT/monitors.yaml"; }
use_cached_or_lock prometheus-crds "$CACHE_ROOT/prometheus-crds/.fetch-v$VERSION.lock" cached

log() { printf '[prometheus-crds %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v go >/dev/null || { log "go is required to fetch the Prometheus Operator module"; exit 1; }

MODULE="github.com/prometheus-operator/prometheus-operator@v$VERSION"
log "fetching $MODULE"
# A throwaway module cache: the module is only read for two YAML files.
GOMODCACHE="$OUT/modcache" GOFLAGS=-modcacherw go mod download -json "$MODULE" 9>&- >"$OUT.download.json"
DIR=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' "$OUT.download.json")
CRDS="$DIR/example/prometheus-operator-crd"
mkdir -p "$OUT"
{
  cat "$CRDS/monitoring.coreos.com_servicemonitors.yaml"
  echo '---'
  cat "$CRDS/monitoring.coreos.com_podmonitors.yaml"
} >"$OUT/monitors.yaml.tmp"
mv "$OUT/monitors.yaml.tmp" "$OUT/monitors.yaml"
rm -rf "$OUT/modcache" "$OUT.download.json"
log "done: $(du -sh "$OUT/monitors.yaml" | cut -f1)"
echo "$OUT/monitors.yaml"
