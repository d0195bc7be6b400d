#!/usr/bin/env bash
# Installs tinyproxy from Debian's packages when it is missing: the HTTP proxy peer that proves
# proxy settings are honoured. Runs as root on these machines (CI included); prints each step.
set -euo pipefail

log() { printf '[tinyproxy-install] %s\n' "$*" >&2; }

if command -v tinyproxy >/dev/null; then
  log "already installed: $(command -v tinyproxy)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { log "not root and no sudo: install tinyproxy by hand"; exit 1; }
  SUDO=sudo
fi
log "apt-get update"
$SUDO apt-get update -qq >&2
log "apt-get install -y tinyproxy"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends tinyproxy >&2
# The package starts a system-wide daemon on :8888 where an init system runs; tests start their own.
if [ -d /run/systemd/system ]; then
  $SUDO systemctl disable --now tinyproxy >&2 2>/dev/null || true
fi
log "installed: $(tinyproxy -v 2>&1 | head -1)"
