#!/usr/bin/env bash
# Builds cert-manager's controller (our launcher in tools/cert-manager-controller over cert-manager's
# library packages from the Go module proxy) and copies the pinned release's CRDs beside it, into a cache
# folder outside the repository, the way build-control-plane.sh builds kube-apiserver.
# See docs/adr/0014-cert-manager-launcher.md for why a launcher and not cert-manager's own main.
# Prints the output folder on stdout (cert-manager-controller and crds/*.yaml in it); progress on stderr.
# Idempotent and safe to run concurrently: the folder's name carries the cert-manager version and a hash
# of the launcher's sources, so an edited launcher is rebuilt; one builder at a time under a flock, into
# a temp file renamed into place.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="$(cd "$HERE/../../tools/cert-manager-controller" && pwd)"
CACHE_ROOT="${CERTBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/certbridge}/cert-manager"

# The version is go.mod's require, so the launcher's module is the one place that pins it.
CM_VERSION=$(awk '$1 == "github.com/cert-manager/cert-manager" && $2 ~ /^v/ { print $2 } $1 == "require" && $2 == "github.com/cert-manager/cert-manager" { print $3 }' "$SRC/go.mod" | head -1)
[[ -n "$CM_VERSION" ]] || { echo "no github.com/cert-manager/cert-manager require in $SRC/go.mod" >&2; exit 1; }
SOURCES_HASH=$(cd "$SRC" && cat go.mod go.sum $(ls ./*.go | sort) | sha256sum | cut -c1-12)
OUT="$CACHE_ROOT/$CM_VERSION-$SOURCES_HASH"

ready() { [[ -x "$OUT/cert-manager-controller" && -f "$OUT/crds/.complete" ]]; }

if ready; then
  echo "$OUT"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.build.lock"
flock 9
if ready; then
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "go is required to build cert-manager's controller" >&2; exit 1; }
# The launcher's committed go.sum is the lock: -mod=readonly fails rather than resolve anything new.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
mkdir -p "$OUT"
start=$(date +%s)
echo "building cert-manager $CM_VERSION's controller from the Go module proxy (first use only; several minutes on 2 cores)" >&2

copy_crds() {
  local dir
  dir=$(cd "$SRC" && go mod download -json "github.com/cert-manager/cert-manager@$CM_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*$/\1/p')
  [[ -d "$dir/deploy/crds" ]] || { echo "the $CM_VERSION module holds no deploy/crds" >&2; exit 1; }
  rm -rf "$OUT/crds" && mkdir -p "$OUT/crds"
  cp "$dir"/deploy/crds/*.yaml "$OUT/crds/"
  chmod 0644 "$OUT"/crds/*.yaml
  touch "$OUT/crds/.complete"
}

build_controller() {
  local pkg=github.com/cert-manager/cert-manager/pkg/util
  cd "$SRC"
  # nice: tests and other builds share the machine's cores; -p defaults to the core count.
  nice -n "${CERTBRIDGE_BUILD_NICE:-10}" go build -trimpath \
    -ldflags "-s -w -X $pkg.AppVersion=$CM_VERSION -X $pkg.AppGitState=clean" \
    -o "$OUT/cert-manager-controller.tmp.$$" .
  mv "$OUT/cert-manager-controller.tmp.$$" "$OUT/cert-manager-controller"
}

(copy_crds) >&2
(build_controller) >&2
echo "built cert-manager $CM_VERSION's controller in $(( $(date +%s) - start ))s: $OUT" >&2
echo "$OUT"
