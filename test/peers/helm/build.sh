#!/usr/bin/env bash
# Builds helm from its official Go module (no release download exists here) into a cache outside
# the clone, keyed by version, as test/peers/kube/build.sh does for kube-apiserver.
#
#   test/peers/helm/build.sh            build if the cache is missing, print the helm binary's path
#   HELM_VERSION=4.3.0 test/peers/helm/build.sh
#
# helm's go.mod has no `replace` lines, so `go install module/cmd@version` resolves exactly the
# dependency versions helm's own release uses: no wrapper module is needed.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-$(cat "$(dirname "$0")/VERSION")}"
MAJOR="${HELM_VERSION%%.*}"
source "$(dirname "$0")/../../../scripts/build-cache.sh"
OUT="$CACHE_ROOT/helm/v$HELM_VERSION"

cached() { [ -x "$OUT/bin/helm" ] && echo "$OUT/bin/helm"; }
# Two test runs may both find the cache missing: the second waits for the first, then reuses its build.
use_cached_or_lock helm-build "$CACHE_ROOT/helm/.build-v$HELM_VERSION.lock" cached

log() { printf '[helm-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v go >/dev/null || { log "go is required to build helm"; exit 1; }


started=$SECONDS
MODULE="helm.sh/helm/v$MAJOR"
log "building helm v$HELM_VERSION with $(go version | cut -d' ' -f3)"
rm -rf "$OUT/bin.tmp" && mkdir -p "$OUT/bin.tmp"
# The version variables are the ones helm's Makefile stamps; without them `helm version` says v4.x-dev.
CGO_ENABLED=0 GOBIN="$OUT/bin.tmp" GOFLAGS="${GOFLAGS:--p=2}" go install -trimpath \
  -ldflags "-s -w -X $MODULE/internal/version.version=v$HELM_VERSION -X $MODULE/internal/version.gitTreeState=clean" \
  "$MODULE/cmd/helm@v$HELM_VERSION" 9>&-
"$OUT/bin.tmp/helm" version >&2
rm -rf "$OUT/bin" && mv "$OUT/bin.tmp" "$OUT/bin"
log "done in $((SECONDS - started))s: $(du -sh "$OUT/bin/helm" | cut -f1)"
echo "$OUT/bin/helm"
