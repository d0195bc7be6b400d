#!/usr/bin/env bash
# Makes the root filesystem of a local Node base image, since no base image can be pulled here:
# Debian from Debian's packages (debootstrap --variant=minbase), one Node binary and npm from the
# npm registry (as official Node images carry it: the Containerfile's build stage runs npm ci).
# Cached outside the clone, keyed by the suite, the Node and npm versions and this recipe's own
# hash, so a changed recipe rebuilds and CI and later runs reuse the tarball.
#
#   deploy/image/base-rootfs.sh SUITE NODE_BINARY NODE_VERSION NPM_VERSION   → prints the tarball path
#
# Needs root (debootstrap) and npm; installs debootstrap from Debian's packages when it is missing.
# ECR_REFRESH_DEBIAN_MIRROR overrides the mirror, which is otherwise this machine's own apt source.
set -euo pipefail

SUITE=$1 NODE_BINARY=$2 NODE_VERSION=$3 NPM_VERSION=$4
RECIPE=$(sha256sum "$0" | cut -c1-12)
source "$(dirname "$0")/../../scripts/build-cache.sh"
OUT="$CACHE_ROOT/image/base-$SUITE-node$NODE_VERSION-npm$NPM_VERSION-$RECIPE"
TARBALL="$OUT/rootfs.tar"

cached() { [ -s "$TARBALL" ] && echo "$TARBALL"; }

log() { printf '[image-base %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "debootstrap needs root: run as root"; exit 1; }

# Two runs may both find the cache missing: the second waits for the first, then reuses its work.
use_cached_or_lock image-base "$OUT/.lock" cached

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap from Debian's packages"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >&2
fi

# This machine's apt source for the main archive is the one mirror known to be reachable.
debian_mirror() {
  if [ -n "${ECR_REFRESH_DEBIAN_MIRROR:-}" ]; then
    echo "$ECR_REFRESH_DEBIAN_MIRROR"
    return
  fi
  local sources=(/etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list)
  { cat "${sources[@]}" 2>/dev/null || true; } \
    | grep -E '^[[:space:]]*(URIs:|deb[[:space:]])' \
    | grep -oE 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' | head -1 | tr -d '[:space:]'
}
MIRROR=$(debian_mirror || true)
[ -n "$MIRROR" ] || { log "no Debian mirror in this machine's apt sources: set ECR_REFRESH_DEBIAN_MIRROR"; exit 1; }

started=$SECONDS
ROOTFS="$OUT/rootfs"
rm -rf "$ROOTFS" "$TARBALL.tmp"
log "debootstrap --variant=minbase $SUITE from $MIRROR (cold: under a minute to a few)"
# Node's official Linux binary links libatomic, which minbase does not carry.
if ! debootstrap --variant=minbase --arch=amd64 --include=libatomic1 "$SUITE" "$ROOTFS" "$MIRROR" >"$OUT/debootstrap.log" 2>&1; then
  tail -20 "$OUT/debootstrap.log" >&2
  exit 1
fi

install -m 0755 "$NODE_BINARY" "$ROOTFS/usr/local/bin/node"
log "npm $NPM_VERSION from the npm registry"
# Trust what the host trusts (a TLS-intercepting proxy's CA) even when this npm runs on a Node
# whose prefix has no npmrc naming that CA.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
npm pack --silent "npm@$NPM_VERSION" --pack-destination "$OUT" >/dev/null
mkdir -p "$ROOTFS/usr/local/lib/node_modules/npm"
tar -xzf "$OUT/npm-$NPM_VERSION.tgz" --strip-components=1 --no-same-owner -C "$ROOTFS/usr/local/lib/node_modules/npm"
rm "$OUT/npm-$NPM_VERSION.tgz"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
# What a runtime image never reads: package indexes and caches, documentation, logs.
rm -rf "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/* \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/tmp/*
# The binary must run on this Debian's libraries, not just on the host's.
node_in_base=$(chroot "$ROOTFS" /usr/local/bin/node --version)
npm_in_base=$(chroot "$ROOTFS" /usr/local/bin/node /usr/local/bin/npm --version)
log "node $node_in_base and npm $npm_in_base run in the base"

tar --numeric-owner --sort=name -C "$ROOTFS" -cf "$TARBALL.tmp" .
mv "$TARBALL.tmp" "$TARBALL"
rm -rf "$ROOTFS"
log "done in $((SECONDS - started))s: $(du -h "$TARBALL" | cut -f1) in $TARBALL"
echo "$TARBALL"
