#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the Go module proxy into a cache folder outside the repository,
# laid out as KUBEBUILDER_ASSETS expects. Idempotent: skips the build when both binaries exist.
# Why a wrapper module: k8s.io/kubernetes requires its staging modules at v0.0.0 with local replaces,
# so `go install` cannot build it directly (see docs/adr/0002-test-control-plane.md).
set -euo pipefail

K8S_VERSION="${CERTBRIDGE_K8S_VERSION:-1.34.4}"
ETCD_VERSION="${CERTBRIDGE_ETCD_VERSION:-3.6.4}"
CACHE_ROOT="${CERTBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/certbridge}/envtest"
OUT="$CACHE_ROOT/k8s-$K8S_VERSION"

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/etcd" ]]; then
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "go is required to build the test control plane" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$OUT"
start=$(date +%s)

build_apiserver() {
  local src="$CACHE_ROOT/src/k8s-$K8S_VERSION"
  rm -rf "$src" && mkdir -p "$src" && cd "$src"
  go mod init local/k8s-bins >/dev/null 2>&1
  local upstream
  upstream=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*$/\1/p')
  local go_line godebug_line
  go_line=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream" | head -1)
  godebug_line=$(sed -n 's/^godebug \(.*\)$/\1/p' "$upstream" | head -1)
  go mod edit -go="$go_line"
  [[ -n "$godebug_line" ]] && go mod edit -godebug="$godebug_line"
  go mod edit -require="k8s.io/kubernetes@v$K8S_VERSION" -tool=k8s.io/kubernetes/cmd/kube-apiserver
  local staging
  staging=$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$upstream")
  for m in $staging; do go mod edit -replace="$m=$m@v0.${K8S_VERSION#1.}"; done
  go mod tidy
  local minor="${K8S_VERSION#1.}"; minor="${minor%%.*}"
  go build -trimpath -tags=selinux,notest,grpcnotrace \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION \
      -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor \
      -X k8s.io/component-base/version.gitTreeState=clean \
      -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z" \
    -o "$OUT/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  mv "$OUT/kube-apiserver.tmp" "$OUT/kube-apiserver"
}

build_etcd() {
  local src="$CACHE_ROOT/src/etcd-$ETCD_VERSION"
  rm -rf "$src" && mkdir -p "$src" && cd "$src"
  go mod init local/etcd-bin >/dev/null 2>&1
  go mod edit -go=1.24.0 -require="go.etcd.io/etcd/server/v3@v$ETCD_VERSION" -tool=go.etcd.io/etcd/server/v3
  go mod tidy
  go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=v$ETCD_VERSION" \
    -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$OUT/etcd.tmp" "$OUT/etcd"
}

[[ -x "$OUT/etcd" ]] || (build_etcd) >&2
[[ -x "$OUT/kube-apiserver" ]] || (build_apiserver) >&2
echo "built kube-apiserver v$K8S_VERSION and etcd v$ETCD_VERSION in $(( $(date +%s) - start ))s" >&2
echo "$OUT"
