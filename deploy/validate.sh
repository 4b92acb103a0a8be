#!/usr/bin/env bash
# Checks the deployment files without running them (no Docker engine, no cluster). deploy/test-all.sh
# calls it before any server starts; any failure here fails the run.
#  1. docker-compose.yml with `docker-compose config` (Debian's docker-compose, installed when
#     missing), on its own and with deploy/compose/kurrentdb.yml and the kurrentdb profile; also with
#     `docker compose` (Compose v2) where the machine has it.
#  2. The Helm chart deploy/helm/usage-ledger: `helm lint --strict` and `helm template` with its
#     default values and each ci/*-values.yaml (and at the oldest Kubernetes it allows). helm is built
#     once from the Go module proxy (deploy/helm/ensure-helm.sh, cached in .deploy-cache/bin); where
#     it cannot be, this part is skipped saying why, and test/deploy/manifests.spec.ts (which checks
#     every rendered object against the Kubernetes schemas of kubernetes-models) reports its skip.
# Re-runs are quick: nothing is installed or built twice.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "validate: $*" >&2; }

# ---- 1. docker-compose.yml ----
if ! command -v docker-compose >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    log "docker-compose missing: installing Debian's package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y docker-compose >&2 || { apt-get update >&2 && apt-get install -y docker-compose >&2; }
  fi
fi
command -v docker-compose >/dev/null 2>&1 || {
  log "docker-compose is missing and could not be installed (Debian's docker-compose package, as root)"
  exit 1
}

compose_check() { # <label> <compose command...>: every variant of the file must be valid
  local label="$1"
  shift
  "$@" -f docker-compose.yml config -q
  "$@" -f docker-compose.yml -f deploy/compose/kurrentdb.yml --profile kurrentdb config -q
  local services
  services="$("$@" -f docker-compose.yml --profile kurrentdb config --services | sort | tr '\n' ' ')"
  log "$label: docker-compose.yml valid (alone and with deploy/compose/kurrentdb.yml); services: $services"
}
compose_check "$(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /')" docker-compose
if docker compose version >/dev/null 2>&1; then
  compose_check "docker compose $(docker compose version --short 2>/dev/null)" docker compose
fi

# ---- 2. the Helm chart ----
chart=deploy/helm/usage-ledger
if ! helm="$(bash deploy/helm/ensure-helm.sh | tail -n1)" || [ ! -x "$helm" ]; then
  log "helm chart: skipped, no helm could be had (reason above); test/deploy/manifests.spec.ts says so too"
  exit 0
fi
renders=0
for values in "" "$chart"/ci/*-values.yaml; do
  args=()
  [ -n "$values" ] && args=(-f "$values")
  "$helm" lint --strict "$chart" "${args[@]}" >&2
  "$helm" template ledger "$chart" "${args[@]}" >/dev/null
  "$helm" template ledger "$chart" "${args[@]}" --kube-version 1.25.0 >/dev/null
  renders=$((renders + 1))
done
log "helm chart: $("$helm" version --short) lint --strict and template pass with $renders sets of values"
