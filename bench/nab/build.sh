#!/usr/bin/env bash
# Builds the peer tool NAB (nabsul/k8s-ecr-login-renew) from source with the patch in
# ../shared/peers/nab/ (AWS_ENDPOINT_URL and KUBECONFIG honoured, nothing else changed) into a
# cache outside the clone, keyed by the commit and the patch's hash; prints the binary's path.
#
#   bench/nab/build.sh      build if the cache is missing, print the binary
#
# Source: the tarball in $NAB_SOURCE (default ../shared/peers/nab beside the checkout) when it is
# there, else a git clone of the upstream repository at $NAB_COMMIT. Go from PATH, no toolchain
# switch (GOTOOLCHAIN=local); modules through the Go module proxy the `go` client is set up for.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../scripts/build-cache.sh"
NAB_COMMIT="${NAB_COMMIT:-02386dee20b30e19070a282b7bf1e734537efa31}"
NAB_SOURCE="${NAB_SOURCE:-$(realpath -m "$HERE/../../../shared/peers/nab")}"
NAB_REPO="https://github.com/nabsul/k8s-ecr-login-renew.git"
PATCH="$NAB_SOURCE/endpoint-and-kubeconfig.patch"
# The patch is not committed here (nothing of NAB is): a clone of the upstream still needs it.
[ -f "$PATCH" ] || { echo "[nab-build] no patch at $PATCH (set NAB_SOURCE to its directory)" >&2; exit 1; }
PATCH_HASH=$(sha256sum "$PATCH" | cut -c1-12)
OUT="$CACHE_ROOT/nab/${NAB_COMMIT:0:12}-patch-$PATCH_HASH"

cached() { [ -x "$OUT/k8s-ecr-login-renew" ] && echo "$OUT/k8s-ecr-login-renew"; }
use_cached_or_lock nab-build "$CACHE_ROOT/nab/.build-${NAB_COMMIT:0:12}-$PATCH_HASH.lock" cached

log() { printf '[nab-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v go >/dev/null || { log "go is required to build NAB"; exit 1; }

started=$SECONDS
WORK="$OUT.work"
rm -rf "$WORK" && mkdir -p "$WORK"
TARBALL=$(ls "$NAB_SOURCE"/k8s-ecr-login-renew-"${NAB_COMMIT:0:7}"*-src.tar.gz 2>/dev/null | head -1 || true)
if [ -n "$TARBALL" ]; then
  log "source: $TARBALL"
  tar -xzf "$TARBALL" -C "$WORK" --strip-components=1
else
  log "source: git clone $NAB_REPO at $NAB_COMMIT"
  git clone --quiet "$NAB_REPO" "$WORK" >&2
  git -C "$WORK" -c advice.detachedHead=false checkout --quiet "$NAB_COMMIT"
fi
log "applying $(basename "$PATCH") (sha256 $PATCH_HASH…)"
patch -d "$WORK" -p1 --forward --quiet < "$PATCH" >&2

log "go build with $(go version | cut -d' ' -f3) (cold module cache: a minute or two)"
cd "$WORK"
# The go.mod names go 1.25.6; a newer local Go builds it as is. -mod=mod lets the patch's import
# of aws-sdk-go's own `aws` package (same module) resolve without editing go.sum by hand.
GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--p=2} -mod=mod" \
  go build -trimpath -ldflags '-s -w' -o "$OUT/k8s-ecr-login-renew.tmp" . 2>&1 | grep -v '^go: downloading' >&2 || true
[ -x "$OUT/k8s-ecr-login-renew.tmp" ] || { log "go build failed (output above)"; exit 1; }
mv "$OUT/k8s-ecr-login-renew.tmp" "$OUT/k8s-ecr-login-renew"
printf 'commit %s\npatch sha256 %s\n%s\n' "$NAB_COMMIT" "$(sha256sum "$PATCH" | cut -d' ' -f1)" "$(go version)" > "$OUT/BUILD-INFO"
cd / && rm -rf "$WORK"
log "done in $((SECONDS - started))s: $OUT/k8s-ecr-login-renew ($(du -h "$OUT/k8s-ecr-login-renew" | cut -f1))"
echo "$OUT/k8s-ecr-login-renew"
