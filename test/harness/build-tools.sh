#!/usr/bin/env bash
# Builds kubectl and helm from the Go module proxy into a cache folder outside the repository, the way
# build-control-plane.sh builds kube-apiserver (docs/adr/0009-image-and-release.md). Prints the absolute
# path of each requested binary on stdout, one per line, in argument order; progress goes to stderr.
#   usage: build-tools.sh [kubectl] [helm] [kind] [actionlint]     (no argument: kubectl and helm)
# kind (npm run e2e:kind, Docker hosts only) and actionlint (the release workflow's test) are built on
# first use only.
# Idempotent and safe to run concurrently: each tool is built under its own flock, into a temp file
# that is renamed into place, so a crash or a second caller never sees a half-written binary.
set -euo pipefail

# kubectl within one minor of the control plane (kube-apiserver 1.34.4): the same k8s.io/kubernetes tag,
# so a machine that built the control plane already holds its modules and most compiled packages.
KUBECTL_VERSION="${CERTBRIDGE_KUBECTL_VERSION:-1.34.4}"
# helm v4 installs straight from the proxy (no replace directives in its go.mod).
HELM_VERSION="${CERTBRIDGE_HELM_VERSION:-4.3.2}"
KIND_VERSION="${CERTBRIDGE_KIND_VERSION:-0.33.0}"
ACTIONLINT_VERSION="${CERTBRIDGE_ACTIONLINT_VERSION:-1.7.12}"
CACHE_ROOT="${CERTBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/certbridge}"
TOOLS_DIR="$CACHE_ROOT/tools"

kubectl_path() { echo "$TOOLS_DIR/kubectl-v$KUBECTL_VERSION/kubectl"; }
helm_path() { echo "$TOOLS_DIR/helm-v$HELM_VERSION/helm"; }
kind_path() { echo "$TOOLS_DIR/kind-v$KIND_VERSION/kind"; }
actionlint_path() { echo "$TOOLS_DIR/actionlint-v$ACTIONLINT_VERSION/actionlint"; }

need_go() {
  command -v go >/dev/null || { echo "go is required to build kubectl and helm (or put a compatible one on PATH)" >&2; exit 1; }
}

# A wrapper module that requires k8s.io/kubernetes and replaces its staging modules with their
# published tags (same generator as build-control-plane.sh), then builds cmd/kubectl.
build_kubectl() {
  local out; out=$(kubectl_path)
  local src="$CACHE_ROOT/src/kubectl-$KUBECTL_VERSION"
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
  rm -rf "$src" && mkdir -p "$src" "$(dirname "$out")" && cd "$src"
  go mod init local/kubectl-bin >/dev/null 2>&1
  local upstream
  upstream=$(go mod download -json "k8s.io/kubernetes@v$KUBECTL_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*$/\1/p')
  local go_line godebug_line
  go_line=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream" | head -1)
  godebug_line=$(sed -n 's/^godebug \(.*\)$/\1/p' "$upstream" | head -1)
  go mod edit -go="$go_line"
  [[ -n "$godebug_line" ]] && go mod edit -godebug="$godebug_line"
  go mod edit -require="k8s.io/kubernetes@v$KUBECTL_VERSION" -tool=k8s.io/kubernetes/cmd/kubectl
  local staging m
  staging=$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$upstream")
  for m in $staging; do go mod edit -replace="$m=$m@v0.${KUBECTL_VERSION#1.}"; done
  go mod tidy
  local minor="${KUBECTL_VERSION#1.}"; minor="${minor%%.*}"
  # `kubectl version` reads client-go's version package; component-base's is stamped too, as upstream does.
  local stamp="" pkg
  for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    stamp+=" -X $pkg.gitVersion=v$KUBECTL_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    stamp+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  # The control plane's tags, so both builds share the Go build cache.
  go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags "-s -w$stamp" -o "$out.tmp.$$" k8s.io/kubernetes/cmd/kubectl
  mv "$out.tmp.$$" "$out"
}

# `go install pkg@version` into a private GOBIN, then renamed into place. The module's go line may be
# newer than the local Go: the go command then fetches that toolchain through the proxy.
go_install() {
  local out=$1 pkg=$2 ldflags=$3
  local bin="$TOOLS_DIR/.build.$(basename "$out").$$"
  export CGO_ENABLED=0 GOFLAGS= GOBIN="$bin"
  rm -rf "$bin" && mkdir -p "$bin" "$(dirname "$out")"
  go install -trimpath -ldflags "-s -w $ldflags" "$pkg"
  mv "$bin/$(basename "$out")" "$out.tmp.$$" && mv "$out.tmp.$$" "$out"
  rm -rf "$bin"
}

build_helm() {
  go_install "$(helm_path)" "helm.sh/helm/v4/cmd/helm@v$HELM_VERSION" \
    "-X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v4/internal/version.metadata= -X helm.sh/helm/v4/internal/version.gitTreeState=clean"
}

build_kind() {
  go_install "$(kind_path)" "sigs.k8s.io/kind@v$KIND_VERSION" ""
}

build_actionlint() {
  go_install "$(actionlint_path)" "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" \
    "-X github.com/rhysd/actionlint.version=v$ACTIONLINT_VERSION"
}

ensure() {
  local tool=$1 out
  out=$("${tool}_path")
  if [[ ! -x "$out" ]]; then
    mkdir -p "$TOOLS_DIR"
    # One builder per tool at a time; a waiting caller finds the binary once the lock is free.
    exec 9>"$TOOLS_DIR/.$tool.lock"
    flock 9
    if [[ ! -x "$out" ]]; then
      need_go
      local version_var="${tool^^}_VERSION" start
      start=$(date +%s)
      echo "building $tool v${!version_var} from the Go module proxy (first use only; a few minutes on 2 cores)" >&2
      ("build_$tool") >&2
      echo "built $tool v${!version_var} in $(( $(date +%s) - start ))s: $out" >&2
    fi
    exec 9>&-
  fi
  echo "$out"
}

[[ $# -gt 0 ]] || set -- kubectl helm
for tool in "$@"; do
  case "$tool" in
    kubectl|helm|kind|actionlint) ensure "$tool" ;;
    *) echo "usage: build-tools.sh [kubectl] [helm] [kind] [actionlint]" >&2; exit 2 ;;
  esac
done
