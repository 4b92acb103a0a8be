#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for tests and prints DATABASE_URL=... as the last line
# of stdout (progress goes to stderr). Idempotent: a server already up on the port is reused.
#   LEDGER_PG_DIR   cluster directory (default /tmp/ledger-pg)
#   LEDGER_PG_PORT  port on 127.0.0.1 (default 54329)
set -euo pipefail

dir="${LEDGER_PG_DIR:-/tmp/ledger-pg}"
port="${LEDGER_PG_PORT:-54329}"
db=ledger
url="postgres://postgres@127.0.0.1:${port}/${db}"
log() { echo "postgres: $*" >&2; }

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  log "server binaries missing: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2 && apt-get install -y postgresql >&2
  bin="$(find_bin)"
fi
[ -x "$bin/pg_ctl" ] || { log "no pg_ctl under /usr/lib/postgresql/*/bin"; exit 1; }

# The server refuses to run as root: as root, run it as the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
psql_admin() { "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAq "$@"; }

ensure_db() {
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '${db}'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE ${db}"
  fi
}

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  log "already running on port $port"
  ensure_db
  echo "DATABASE_URL=${url}"
  exit 0
fi

if [ ! -f "$dir/PG_VERSION" ]; then
  log "creating cluster in $dir"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  # Superuser "postgres" whatever the OS user; trust auth: a local throwaway test cluster.
  as_owner "$bin/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --no-locale >&2
fi

# Throwaway cluster: durability is not needed, so fsync is off. The socket lives in the cluster
# dir because /var/run/postgresql may be missing or not writable.
log "starting on 127.0.0.1:$port"
as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 start \
  -o "-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c full_page_writes=off -c max_connections=200" >&2

for _ in $(seq 1 60); do
  "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || { log "not ready, see $dir/server.log"; exit 1; }

ensure_db
echo "DATABASE_URL=${url}"
