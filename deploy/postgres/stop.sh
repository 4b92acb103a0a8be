#!/usr/bin/env bash
# Stops the test cluster started by start.sh (same LEDGER_PG_DIR). Does nothing if it is not running.
set -euo pipefail

dir="${LEDGER_PG_DIR:-/tmp/ledger-pg}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
if [ -z "$bin" ] || [ ! -f "$dir/postmaster.pid" ]; then
  echo "postgres: not running ($dir)" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  (cd / && runuser -u postgres -- "$bin/pg_ctl" -D "$dir" -m fast -w stop) >&2
else
  "$bin/pg_ctl" -D "$dir" -m fast -w stop >&2
fi
