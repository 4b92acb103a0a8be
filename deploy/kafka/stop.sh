#!/usr/bin/env bash
# Stops the broker that start.sh started on KAFKA_PORT (default 19092), by its pid file,
# removes its data dir (keep it with KAFKA_KEEP_DATA=1; the secured listener's certificates are
# in it) and secured.env. The log stays in <cache>/run/<port>/broker.log. A broker this script did
# not start is left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if pid=$(kafka_running_pid); then
  kafka_log "stopping the broker on $KAFKA_HOST:$KAFKA_PORT (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 300); do # controlled shutdown: usually a few seconds
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kafka_log "still running after 30s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
else
  kafka_log "no broker of ours running on port $KAFKA_PORT"
fi

data_dir=$(cat "$KAFKA_RUN_DIR/data-dir" 2>/dev/null || true)
if [ -n "$data_dir" ] && [ -d "$data_dir" ] && [ "${KAFKA_KEEP_DATA:-0}" != 1 ]; then
  case "$data_dir" in */kafka-"$KAFKA_PORT".*) rm -rf "$data_dir" ;; esac
fi
# With KAFKA_KEEP_DATA=1 the pointer to the data stays too: start.sh with KAFKA_KEEP_DATA=1 starts on it.
rm -f "$KAFKA_PID_FILE" "$KAFKA_SECURED_ENV"
[ "${KAFKA_KEEP_DATA:-0}" = 1 ] || rm -f "$KAFKA_RUN_DIR/data-dir"
