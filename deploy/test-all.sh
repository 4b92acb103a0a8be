#!/usr/bin/env bash
# Runs the whole test suite with its servers: installs dependencies when needed (npm packages,
# which build the dashboard; Debian's Chromium for the browser test), lints (and checks formatting
# once the tree is formatted), validates the deployment files (deploy/validate.sh), starts a
# throwaway PostgreSQL unless DATABASE_URL is set and a Kafka broker unless KAFKA_BROKERS is set
# (both with TLS, see below), then `npm test` with its arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm ci writes node_modules/.package-lock.json: older than package-lock.json means stale.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi

# Types, lint, then formatting (before any server is started, so a failure leaves nothing running).
# Either failing fails this script. The format check is switched on by the commit that formats
# the whole tree (npm run format), which also adds the marker file .prettier-formatted.
npm run typecheck
npm run lint
if [ -f .prettier-formatted ]; then
  npm run format:check
else
  echo "format:check skipped: no .prettier-formatted yet (the tree is not formatted)" >&2
fi

# The deployment files, still before any server: docker-compose.yml (`docker-compose config`,
# Debian's docker-compose installed when missing) and the Helm chart (`helm lint --strict`,
# `helm template`; helm built once from the Go module proxy into .deploy-cache/bin). An invalid
# file fails the run; test/deploy/manifests.spec.ts then checks every rendered object's schema.
bash deploy/validate.sh

# openssl makes the test servers' certificates (deploy/tls/make-certs.sh): PostgreSQL's TLS and
# Kafka's SASL_SSL listener, whose tests are skipped without them. Installed here when missing.
if ! command -v openssl >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y openssl >&2 || { apt-get update >&2 && apt-get install -y openssl >&2; } || true
fi
# The dashboard's browser test (test/browser) drives Debian's Chromium through playwright-core
# (Playwright's own browser download cannot work here).
if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium missing: installing Debian's package" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2 && apt-get install -y chromium >&2
fi

# Schemathesis (test/e2e/schemathesis.e2e-spec.ts, deploy/schemathesis.sh) is installed from PyPI
# into a venv: python3 needs its venv module (Debian's python3-venv). Installed here when missing.
if command -v python3 >/dev/null && ! python3 -c 'import venv, ensurepip' 2>/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y python3-venv >&2 || { apt-get update >&2 && apt-get install -y python3-venv >&2; } || true
fi

# Both scripts also serve TLS: PostgreSQL with ssl=on (plain connections too), Kafka with a second,
# SASL_SSL listener on 19094 (its client settings in .deploy-cache/kafka/run/19092/secured.env).
if [ -z "${DATABASE_URL:-}" ]; then
  line="$(bash deploy/postgres/start.sh | tail -n1)"
  export DATABASE_URL="${line#DATABASE_URL=}"
fi
echo "DATABASE_URL=${DATABASE_URL}" >&2

# kafka: started here when deploy/kafka/start.sh exists
if [ -z "${KAFKA_BROKERS:-}" ] && [ -x deploy/kafka/start.sh ]; then
  line="$(deploy/kafka/start.sh | tail -n1)"
  export KAFKA_BROKERS="${line#KAFKA_BROKERS=}"
  echo "KAFKA_BROKERS=${KAFKA_BROKERS}" >&2
fi

exec npm test -- "$@"
