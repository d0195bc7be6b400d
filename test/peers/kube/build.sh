#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the official Go modules (no release download exists here)
# into a cache outside the clone, keyed by version, so CI and later runs reuse them.
#
#   test/peers/kube/build.sh            build if the cache is missing, print the bin dir
#   KUBE_VERSION=1.36.3 test/peers/kube/build.sh
#
# Why a wrapper module: k8s.io/kubernetes requires its staging modules at v0.0.0 and points them
# at ./staging with `replace`, which a consumer ignores; each must be replaced by the tag that
# matches the release (k8s v1.X.Y => staging v0.X.Y). See kubernetes/kubernetes#79384.
set -euo pipefail

source "$(dirname "$0")/../../../scripts/build-cache.sh"
KUBE_VERSION="${KUBE_VERSION:-$(cat "$(dirname "$0")/VERSION")}"
OUT="$CACHE_ROOT/kube/v$KUBE_VERSION"

cached() { [ -x "$OUT/bin/kube-apiserver" ] && [ -x "$OUT/bin/etcd" ] && echo "$OUT/bin"; }
# Two test runs may both find the cache missing: the second waits for the first, then reuses its build.
use_cached_or_lock kube-build "$CACHE_ROOT/kube/.build-v$KUBE_VERSION.lock" cached

log() { printf '[kube-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v go >/dev/null || { log "go is required to build the test API server"; exit 1; }


build_started=$SECONDS
MINOR=$(echo "$KUBE_VERSION" | cut -d. -f2)
STAGING_VERSION="0.${KUBE_VERSION#1.}"
WORK="$CACHE_ROOT/kube/work-v$KUBE_VERSION"
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT/bin.tmp"
cd "$WORK"

log "building kube-apiserver v$KUBE_VERSION and its etcd with $(go version | cut -d' ' -f3) (cold: about 7 min on 2 cores)"
cat > go.mod <<MOD
module ecr-refresh.local/kubebin

go 1.26
MOD
cat > tools.go <<'GO'
//go:build tools

// Package tools keeps `go mod tidy` from dropping the binaries' requirements; never compiled.
package tools

import (
	_ "go.etcd.io/etcd/server/v3"
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
GO

log "resolving modules"
UPSTREAM_GOMOD=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
for module in $(sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => \./staging/.*#\1#p' "$UPSTREAM_GOMOD"); do
  go mod edit -replace="$module=$module@v$STAGING_VERSION"
done
go mod edit -require="k8s.io/kubernetes@v$KUBE_VERSION"
# Copy upstream's runtime defaults: dependency godebug lines are ignored by the main module.
if godebug=$(grep -m1 '^godebug ' "$UPSTREAM_GOMOD"); then echo "$godebug" >> go.mod; fi
go mod tidy 2>&1 | grep -v '^go: downloading' >&2 || true

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--p=2}"
LDFLAGS="-s -w -X k8s.io/component-base/version.gitVersion=v$KUBE_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$MINOR \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

build() { # name package
  local started=$SECONDS
  log "go build $1 (progress: one line a minute)"
  # The ticker must not hold stdout (a caller reading `$(build.sh)` would wait for its sleep to end),
  # and it kills its own sleep when stopped, so nothing is left behind.
  ( trap 'kill $! 2>/dev/null; exit 0' TERM
    while :; do sleep 60 & wait $!; log "  still building $1 ($((SECONDS - started))s)"; done ) >/dev/null 9>&- &
  local ticker=$!
  go build -trimpath -ldflags "$3" -o "$OUT/bin.tmp/$1" "$2" 9>&- || { kill "$ticker"; exit 1; }
  kill "$ticker" 2>/dev/null || true
  log "built $1 in $((SECONDS - started))s"
}
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$LDFLAGS"
build etcd go.etcd.io/etcd/server/v3 "-s -w"

"$OUT/bin.tmp/kube-apiserver" --version >&2
rm -rf "$OUT/bin" && mv "$OUT/bin.tmp" "$OUT/bin"
cp go.mod go.sum "$OUT/"
rm -rf "$WORK"
log "done in $((SECONDS - build_started))s: $(du -sh "$OUT/bin" | cut -f1) in $OUT/bin"
echo "$OUT/bin"
