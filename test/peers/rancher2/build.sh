#!/usr/bin/env bash
# Builds the real Rancher 2.x server (the `rancher` binary of rancher/rancher at the tag in VERSION)
# from source into a cache outside the clone, keyed by version, and prints the binary's path.
#
#   test/peers/rancher2/build.sh        build if the cache is missing, print the binary
#
# Source: $RANCHER2_SOURCE_DIR, else ../shared/peers/rancher2/ next to the clone (tarballs), else a
# git clone at the tag. loopback.patch (beside this script) adds `--bind-host` and binds the
# extension API server's fixed port 6666 to 127.0.0.1, so that nothing listens beyond loopback.
# The Go module proxy refuses rancher/rancher itself and four modules of
# v2.15.0 (ali-operator, cluster-api-provider-rke2, gke-operator, remotedialer-proxy): each is
# unpacked from its tarball (or cloned at the version go.mod requires) and used with a `replace`.
# Cold: about 10 min on 2 cores, 6 GB of memory, 2.4 GB of modules, +6.7 GB of Go build cache.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../../scripts/build-cache.sh"
RANCHER_VERSION="${RANCHER2_VERSION:-$(cat "$HERE/VERSION")}"
OUT="$CACHE_ROOT/rancher2/$RANCHER_VERSION"
BIN="$OUT/bin/rancher"
PATCH="$HERE/loopback.patch"
PATCH_HASH=$(sha256sum "$PATCH" | cut -c1-12)
REFUSED_MODULES="ali-operator cluster-api-provider-rke2 gke-operator remotedialer-proxy"

# The binary counts only when built with this patch: a changed patch builds again (warm: a minute or two).
cached() { [ -x "$BIN" ] && [ "$(cat "$OUT/patch.sha256" 2>/dev/null)" = "$PATCH_HASH" ] && echo "$BIN"; }
# Two test runs may both find the cache missing: the second waits for the first, then reuses its build.
use_cached_or_lock rancher2-build "$CACHE_ROOT/rancher2/.build-$RANCHER_VERSION.lock" cached

log() { printf '[rancher2-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v go >/dev/null || { log "go is required to build the Rancher 2.x test peer"; exit 1; }

build_started=$SECONDS
SOURCES="${RANCHER2_SOURCE_DIR:-$HERE/../../../../shared/peers/rancher2}"
WORK="$CACHE_ROOT/rancher2/work-$RANCHER_VERSION"
rm -rf "$WORK" && mkdir -p "$WORK/modules" "$OUT/bin"

unpack() { # tarball-name top-folder destination git-url tag
  if [ -f "$SOURCES/$1" ]; then
    log "source: $1"
    mkdir -p "$WORK/unpack" && tar -xzf "$SOURCES/$1" -C "$WORK/unpack" && mv "$WORK/unpack/$2" "$3"
  else
    log "source: git clone of $4 at $5"
    git -c advice.detachedHead=false clone -q --depth 1 --branch "$5" "$4" "$3"
  fi
}
unpack "rancher-$RANCHER_VERSION-src.tar.gz" "rancher-$RANCHER_VERSION" "$WORK/src" \
  https://github.com/rancher/rancher "$RANCHER_VERSION"
cd "$WORK/src"
patch -s -p1 < "$PATCH"
for name in $REFUSED_MODULES; do
  version=$(go mod edit -json | python3 -c 'import json,sys
want = "github.com/rancher/" + sys.argv[1]
print(next(r["Version"] for r in json.load(sys.stdin)["Require"] if r["Path"] == want))' "$name")
  unpack "$name-$version-src.tar.gz" "$name" "$WORK/modules/$name" "https://github.com/rancher/$name" "$version"
  go mod edit -replace="github.com/rancher/$name=$WORK/modules/$name"
done

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=mod -p=2"
log "go build rancher $RANCHER_VERSION with $(go version | cut -d' ' -f3)" \
  "(cold: about 10 min on 2 cores, 6 GB of memory; progress: one line a minute)"
# The ticker must not hold stdout (a caller reading `$(build.sh)` would wait for its sleep to end),
# and it kills its own sleep when stopped, so nothing is left behind.
( trap 'kill $! 2>/dev/null; exit 0' TERM
  while :; do sleep 60 & wait $!; log "  still building rancher ($((SECONDS - build_started))s)"; done ) >/dev/null 9>&- &
ticker=$!
rm -f "$BIN.tmp"
go build -tags k8s -trimpath \
  -ldflags "-s -w -X github.com/rancher/rancher/pkg/version.Version=$RANCHER_VERSION" \
  -o "$BIN.tmp" . 2>&1 9>&- | grep -v '^go: downloading' >&2 || true
kill "$ticker" 2>/dev/null || true
[ -x "$BIN.tmp" ] || { log "the Go build made no binary (see the errors above)"; exit 1; }
mv "$BIN.tmp" "$BIN"
echo "$PATCH_HASH" > "$OUT/patch.sha256"
cp go.mod "$OUT/"
cd / && rm -rf "$WORK"
log "done in $((SECONDS - build_started))s: $(du -h "$BIN" | cut -f1) $BIN"
echo "$BIN"
