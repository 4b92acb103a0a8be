#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for tests and prints DATABASE_URL=... as the last line
# of stdout (progress goes to stderr). Idempotent: a server already up on the port is reused.
#   LEDGER_PG_DIR      cluster directory (default /tmp/ledger-pg)
#   LEDGER_PG_PORT     port on 127.0.0.1 (default 54329)
#   LEDGER_PG_TLS_DIR  its TLS files (default <cluster dir>-tls): made once by deploy/tls/make-certs.sh,
#                      ca.crt (what a client trusts), server.crt/server.key (localhost, 127.0.0.1)
#
# TLS is on (ssl=on) and optional: plain connections work as before, and a client may ask for
# TLS and verify the server, e.g.
#   postgres://postgres@127.0.0.1:54329/ledger?sslmode=verify-full&sslrootcert=/tmp/ledger-pg-tls/ca.crt
# Without openssl the server runs without TLS (and the TLS tests say they are skipped).
set -euo pipefail

dir="${LEDGER_PG_DIR:-/tmp/ledger-pg}"
port="${LEDGER_PG_PORT:-54329}"
tls_dir="${LEDGER_PG_TLS_DIR:-${dir%/}-tls}"
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

# TLS files once (a key readable by the server's user only), then ssl=on in the cluster's
# postgresql.auto.conf: the settings are reloadable, so a server already running (ours) gets them
# without a restart, and every later start has them.
ensure_tls() {
  if ! bash "$(dirname "${BASH_SOURCE[0]}")/../tls/make-certs.sh" "$tls_dir" localhost; then
    log "no TLS certificates (see above): running without TLS"
    return 0
  fi
  tls_dir=$(cd "$tls_dir" && pwd -P) # the server reads relative paths from its data directory
  chmod 755 "$tls_dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$tls_dir/server.key"
  if [ "$(psql_admin -c 'SHOW ssl')" = on ] && [ "$(psql_admin -c 'SHOW ssl_cert_file')" = "$tls_dir/server.crt" ]; then
    return 0
  fi
  if [ "$(psql_admin -c 'SHOW data_directory')" != "$(cd "$dir" && pwd -P)" ]; then
    log "the server on port $port is not the cluster in $dir: its TLS is left as it is"
    return 0
  fi
  psql_admin -c "ALTER SYSTEM SET ssl_cert_file = '$tls_dir/server.crt'" \
    -c "ALTER SYSTEM SET ssl_key_file = '$tls_dir/server.key'" \
    -c "ALTER SYSTEM SET ssl = on" -c "SELECT pg_reload_conf()" >/dev/null
  for _ in $(seq 1 20); do
    [ "$(psql_admin -c 'SHOW ssl')" = on ] && { log "TLS on (CA $tls_dir/ca.crt)"; return 0; }
    sleep 0.25
  done
  log "TLS could not be switched on (see $dir/server.log); plain connections only"
  psql_admin -c "ALTER SYSTEM RESET ssl" -c "SELECT pg_reload_conf()" >/dev/null
}

ensure_db() {
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '${db}'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE ${db}"
  fi
}

if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  log "already running on port $port"
  ensure_tls
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

ensure_tls
ensure_db
echo "DATABASE_URL=${url}"
