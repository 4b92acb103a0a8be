#!/usr/bin/env bash
# Stops the test cluster started by start.sh (same LEDGER_PG_DIR). Does nothing if it is not running.
#   LEDGER_PG_STOP_MODE  pg_ctl's shutdown mode: fast (default), smart, or immediate (a crash:
#                        no checkpoint, the next start recovers from the WAL; the fault tests use it)
set -euo pipefail

dir="${LEDGER_PG_DIR:-/tmp/ledger-pg}"
mode="${LEDGER_PG_STOP_MODE:-fast}"
case "$mode" in smart | fast | immediate) ;; *) echo "postgres: LEDGER_PG_STOP_MODE must be smart, fast or immediate" >&2; exit 2 ;; esac
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
if [ -z "$bin" ] || [ ! -f "$dir/postmaster.pid" ]; then
  echo "postgres: not running ($dir)" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  (cd / && runuser -u postgres -- "$bin/pg_ctl" -D "$dir" -m "$mode" -w stop) >&2
else
  "$bin/pg_ctl" -D "$dir" -m "$mode" -w stop >&2
fi
