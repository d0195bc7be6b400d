# Sourced by the scripts that build test peers and image bases into the cache outside the clone
# (test/peers/kube/build.sh, test/peers/helm/build.sh, deploy/image/base-rootfs.sh).
#
#   CACHE_ROOT                      the cache: $ECR_REFRESH_CACHE, else ~/.cache/ecr-refresh
#   use_cached_or_lock NAME LOCK CHECK...
#       runs CHECK (a command that succeeds when the cached result is there) and exits the
#       calling script with status 0 if it is; otherwise takes an exclusive lock on LOCK, waiting
#       for another build of the same thing, and checks again, since that build may have made it.

CACHE_ROOT="${ECR_REFRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ecr-refresh}"

use_cached_or_lock() {
  local name=$1 lock=$2
  shift 2
  if "$@"; then exit 0; fi
  mkdir -p "$(dirname "$lock")"
  exec 9>"$lock"
  if ! flock -n 9; then
    printf '[%s %s] another build is running: waiting for it\n' "$name" "$(date +%H:%M:%S)" >&2
    flock 9
  fi
  if "$@"; then exit 0; fi
}
