#!/usr/bin/env bash
# Prints the path of a helm binary as the last line of stdout (progress on stderr), building it
# once from the Go module proxy (helm.sh/helm/v3/cmd/helm@$HELM_VERSION) into .deploy-cache/bin,
# which is gitignored: later runs reuse it at once. HELM=/path/to/helm uses that binary instead.
# Exit 1, saying why on stderr, when there is no helm and none can be built (no Go toolchain, no
# module proxy): callers skip what needs it and say so.
#   HELM_VERSION  the helm release to build (default v3.22.0)
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -n "${HELM:-}" ]; then
  [ -x "$HELM" ] || { echo "helm: HELM=$HELM is not an executable" >&2; exit 1; }
  echo "$HELM"
  exit 0
fi

version="${HELM_VERSION:-v3.22.0}"
bin="$PWD/.deploy-cache/bin/helm-$version"
if [ -x "$bin" ] && "$bin" version --short >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do [ -x "$g" ] && PATH="$(dirname "$g"):$PATH" && break; done
fi
command -v go >/dev/null 2>&1 || { echo "helm: no Go toolchain to build helm $version with (go install from the module proxy)" >&2; exit 1; }

echo "helm: building helm $version with $(go version) from the Go module proxy (once; cached in .deploy-cache/bin)" >&2
mkdir -p "$(dirname "$bin")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# -X as helm's own Makefile sets them: `helm version` names the release (a plain go install says
# only v3.NN), and the Kubernetes version that `helm template` and `helm lint` assume by default is
# the one of its client-go (a plain go install says 1.20).
if ! gomod="$(go mod download -json "helm.sh/helm/v3@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')" || [ ! -f "$gomod" ]; then
  echo "helm: go mod download helm.sh/helm/v3@$version failed (is the Go module proxy reachable?)" >&2
  exit 1
fi
client_go="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -n1)"
kube=(-X "helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1" -X "helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$client_go"
  -X "helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1" -X "helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$client_go")
[ -n "$client_go" ] || kube=()
if ! GOBIN="$tmp" GOFLAGS=-mod=mod go install -trimpath \
  -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version ${kube[*]}" \
  "helm.sh/helm/v3/cmd/helm@$version" >&2; then
  echo "helm: go install helm.sh/helm/v3/cmd/helm@$version failed (see above)" >&2
  exit 1
fi
mv "$tmp/helm" "$bin"
"$bin" version --short >&2
echo "$bin"
