#!/usr/bin/env bash
# Resolves the Kafka broker's jars from Maven Central into the cache (default
# <repo>/.deploy-cache/kafka/libs, gitignored) and compiles the topic helper into
# <cache>/tools. Skips whatever is already there for the same pom.xml / helper source.
# Needs: java 17+ (JDK, for javac) and mvn. Env: KAFKA_CACHE_DIR, KAFKA_VERSION (overrides
# the pom's tested version), MVN_ARGS (extra maven arguments, e.g. -o or -Dmaven.repo.local=...).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for tool in java javac mvn; do
  command -v "$tool" >/dev/null || { kafka_log "$tool not found (needs a JDK 17+ and Maven)"; exit 1; }
done

mkdir -p "$KAFKA_CACHE_DIR"
# one fetch at a time (parallel CI jobs on one machine share the cache)
if command -v flock >/dev/null; then
  exec 9>"$KAFKA_CACHE_DIR/.fetch.lock"
  flock 9
fi

libs_stamp=$( { cat "$KAFKA_DEPLOY_DIR/pom.xml"; echo "KAFKA_VERSION=${KAFKA_VERSION:-}"; } | sha256sum | cut -c1-16)
if [ "$(cat "$KAFKA_LIBS_DIR/.fetched" 2>/dev/null)" = "$libs_stamp" ]; then
  kafka_log "jars already in $KAFKA_LIBS_DIR"
else
  kafka_log "fetching the broker's jars from Maven Central into $KAFKA_LIBS_DIR"
  tmp="$KAFKA_CACHE_DIR/libs.tmp.$$"
  rm -rf "$tmp"
  version_arg=()
  [ -n "${KAFKA_VERSION:-}" ] && version_arg=("-Dkafka.version=$KAFKA_VERSION")
  started=$(date +%s)
  # shellcheck disable=SC2086
  if ! mvn -q -B -f "$KAFKA_DEPLOY_DIR/pom.xml" "${version_arg[@]}" ${MVN_ARGS:-} \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_CACHE_DIR/fetch.log" 2>&1; then
    cat "$KAFKA_CACHE_DIR/fetch.log" >&2
    rm -rf "$tmp"
    kafka_log "fetch failed"
    exit 1
  fi
  echo "$libs_stamp" >"$tmp/.fetched"
  rm -rf "$KAFKA_LIBS_DIR"
  mv "$tmp" "$KAFKA_LIBS_DIR"
  kafka_log "fetched $(ls "$KAFKA_LIBS_DIR"/*.jar | wc -l) jars ($(du -sh "$KAFKA_LIBS_DIR" | cut -f1)) in $(( $(date +%s) - started ))s"
fi

tools_stamp=$(sha256sum "$KAFKA_DEPLOY_DIR/EnsureTopics.java" | cut -c1-16)-$libs_stamp
if [ "$(cat "$KAFKA_TOOLS_DIR/.built" 2>/dev/null)" != "$tools_stamp" ]; then
  rm -rf "$KAFKA_TOOLS_DIR"
  mkdir -p "$KAFKA_TOOLS_DIR"
  javac -nowarn -d "$KAFKA_TOOLS_DIR" -cp "$KAFKA_LIBS_DIR/*" "$KAFKA_DEPLOY_DIR/EnsureTopics.java"
  echo "$tools_stamp" >"$KAFKA_TOOLS_DIR/.built"
fi
