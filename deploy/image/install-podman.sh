#!/usr/bin/env bash
# Installs podman and runc from Debian's packages when either is missing: the machines here have
# no Docker engine, and podman with runc (not crun) runs containers in their sandbox.
# Runs as root on these machines (CI included); prints each step to stderr.
set -euo pipefail

log() { printf '[podman-install] %s\n' "$*" >&2; }

if command -v podman >/dev/null && command -v runc >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { log "not root and no sudo: install podman and runc by hand"; exit 1; }
  SUDO=sudo
fi
command -v apt-get >/dev/null || { log "no apt-get: install podman and runc by hand"; exit 1; }
log "apt-get update"
$SUDO apt-get update -qq >&2
log "apt-get install -y podman runc"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq podman runc >&2
log "installed: $(podman --version)"
