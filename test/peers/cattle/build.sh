#!/usr/bin/env bash
# Builds the real Rancher 1.6 API server (rancher/cattle at the commit Rancher server v1.6.30
# ships) into a cache outside the clone, keyed by version and patch hash, and prints the WAR's path.
#
#   test/peers/cattle/build.sh          build if the cache is missing, print the WAR
#
# Source: $CATTLE_SOURCE_TARBALL, else ../shared/peers/cattle/cattle-<version>-src.tar.gz next to
# the clone, else a git clone at the pinned commit. java17.patch (beside this script) is applied;
# Maven uses a private repository in the cache. Prerequisites: Java 17 and Maven 3.8
# (Debian: apt-get install openjdk-17-jdk-headless maven).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../../scripts/build-cache.sh"
read -r CATTLE_VERSION CATTLE_COMMIT < "$HERE/VERSION"
PATCH="$HERE/java17.patch"
PATCH_HASH=$(sha256sum "$PATCH" | cut -c1-12)
OUT="$CACHE_ROOT/cattle/$CATTLE_VERSION-$PATCH_HASH"
WAR="$OUT/cattle.war"

H2_JAR="$OUT/h2.jar"
# The H2 driver Cattle ships, for the test peer's database reader (CattleDbReader.java).
extract_h2() {
  python3 - "$WAR" "$H2_JAR" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as war:
    name = next(n for n in war.namelist() if n.startswith('WEB-INF/lib/h2-') and n.endswith('.jar'))
    with war.open(name) as src, open(sys.argv[2] + '.tmp', 'wb') as dst:
        shutil.copyfileobj(src, dst)
PY
  mv "$H2_JAR.tmp" "$H2_JAR"
}
cached() { [ -s "$WAR" ] && [ -s "$H2_JAR" ] && echo "$WAR"; }
# Two test runs may both find the cache missing: the second waits for the first, then reuses its build.
use_cached_or_lock cattle-build "$CACHE_ROOT/cattle/.build-$CATTLE_VERSION-$PATCH_HASH.lock" cached

log() { printf '[cattle-build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"
export JAVA_HOME
if [ ! -x "$JAVA_HOME/bin/java" ] && ! command -v java >/dev/null; then
  log "Java 17 is required to build the Cattle test peer (Debian: apt-get install openjdk-17-jdk-headless)"
  exit 1
fi
command -v mvn >/dev/null || { log "Maven is required to build the Cattle test peer (Debian: apt-get install maven)"; exit 1; }

if [ -s "$WAR" ]; then extract_h2; echo "$WAR"; exit 0; fi

build_started=$SECONDS
WORK="$CACHE_ROOT/cattle/work-$CATTLE_VERSION-$PATCH_HASH"
rm -rf "$WORK" && mkdir -p "$WORK" "$OUT"
TARBALL="${CATTLE_SOURCE_TARBALL:-$HERE/../../../../shared/peers/cattle/cattle-$CATTLE_VERSION-src.tar.gz}"
if [ -f "$TARBALL" ]; then
  log "source: $(basename "$TARBALL")"
  tar -xzf "$TARBALL" -C "$WORK"
  mv "$WORK/cattle-$CATTLE_VERSION" "$WORK/src"
else
  log "source: git clone of rancher/cattle at $CATTLE_COMMIT"
  git clone -q https://github.com/rancher/cattle "$WORK/src"
  git -C "$WORK/src" checkout -q "$CATTLE_COMMIT"
fi
patch -s -p1 -d "$WORK/src" < "$PATCH"

# The old maven-war-plugin and some plugins reflect into JDK internals.
opens=""
for p in java.base/java.util java.base/java.lang java.base/java.lang.reflect java.base/java.text \
  java.desktop/java.awt.font java.base/java.io; do opens+=" --add-opens $p=ALL-UNNAMED"; done
export MAVEN_OPTS="-Xmx1g$opens"

log "mvn install with $("$JAVA_HOME/bin/java" -version 2>&1 | head -1) (cold: about 2 min on 2 cores; one line per module)"
( cd "$WORK/src" && mvn -B -T1 -Dmaven.test.skip=true -Dmaven.repo.local="$CACHE_ROOT/cattle/m2" install 9>&- ) \
  | grep --line-buffered -E '^\[INFO\] Building .*\[[0-9]+/[0-9]+\]|BUILD|ERROR' | sed -u 's/^/  /' >&2 \
  || true
built=$(ls "$WORK"/src/code/packaging/app/target/cattle-app-*.war 2>/dev/null | head -1)
[ -n "$built" ] || { log "the Maven build made no WAR (see the errors above)"; exit 1; }
mv "$built" "$WAR.tmp" && mv "$WAR.tmp" "$WAR"
extract_h2
rm -rf "$WORK"
log "done in $((SECONDS - build_started))s: $(du -h "$WAR" | cut -f1) $WAR"
echo "$WAR"
