#!/usr/bin/env bash
# Schemathesis (from PyPI) against the OpenAPI document of a throwaway ledger: installs it into a
# venv under .deploy-cache/schemathesis when missing, starts the service on a free port with a
# fresh admin key and PGlite in memory (simulated clock, no rate limit, no slowing of failed keys:
# the generated requests come fast, some without a key), runs `st run` bounded in examples and
# time (deploy/schemathesis.toml says what the document cannot), stops the service. Exits with
# schemathesis's status: 0 only with no failure. ST_MAX_EXAMPLES / ST_TIMEOUT_S change the bounds.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
CACHE=.deploy-cache/schemathesis
VENV="$CACHE/venv"
mkdir -p "$CACHE"
if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
  echo "installing schemathesis==$VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
fi

port="$(node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")"
key="$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")"
log="$CACHE/ledger.log"

env -u DATABASE_URL -u KAFKA_BROKERS -u LEDGER_DATA_DIR -u LEDGER_AUTH \
  LEDGER_STORE=pglite LEDGER_ADMIN_KEY="$key" PORT="$port" \
  LEDGER_SIMULATION=true LEDGER_SIMULATION_START=2026-01-01T00:00:00Z \
  LEDGER_RATE_LIMIT=0 LEDGER_AUTH_FAILURES=1000000 \
  node --max-semi-space-size=32 -r ./deploy/register.js apps/ledger/src/main.ts >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT

# Up when the OpenAPI document answers (at most 90 s).
for _ in $(seq 1 180); do
  if node -e "fetch('http://127.0.0.1:$port/docs/json').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    up=1
    break
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "the ledger did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done
[ "${up:-}" = 1 ] || { echo "the ledger did not answer within 90 s" >&2; exit 1; }

status=0
# Run from the cache: schemathesis keeps its own state (.schemathesis/) in the working directory.
config="$PWD/deploy/schemathesis.toml"
(cd "$CACHE" && timeout "${ST_TIMEOUT_S:-300}" venv/bin/st --config-file "$config" run "http://127.0.0.1:$port/docs/json" \
  -H "Authorization: Bearer $key" --max-examples "${ST_MAX_EXAMPLES:-10}" --no-color) || status=$?
[ "$status" = 124 ] && echo "schemathesis did not finish within ${ST_TIMEOUT_S:-300} s" >&2
exit "$status"
