#!/usr/bin/env bash
# Builds the operator image from the repository's Dockerfile with buildah (no Docker engine needed),
# on a Node base assembled here when none is given: base images cannot be pulled on machines that reach
# only package registries, so the base is made of Debian packages (glibc, libstdc++, busybox) and the
# pinned `node` npm package's binary (docs/adr/0009-image-and-release.md).
#   usage: build-image.sh [--tag NAME] [--base IMAGE] [--rebuild-base]
#   --base IMAGE: any Node 26 image with npm and a shell already in buildah's storage (skips assembly)
# Prints the image name as the last line of stdout; progress goes to stderr. Runs as root with the vfs
# storage driver and chroot isolation (what works without a container runtime's daemon or user
# namespaces); storage lives in the cache, not in /var/lib/containers.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE_ROOT="${CERTBRIDGE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/certbridge}"
IMAGE_CACHE="$CACHE_ROOT/image"
STORAGE="${CERTBRIDGE_IMAGE_STORAGE:-$IMAGE_CACHE/storage}"
NPM_VERSION="${CERTBRIDGE_BASE_NPM_VERSION:-11.19.1}"
# The runtime's shared libraries (from `ldd node`) and a static busybox for the shell RUN steps need.
DEBS=(libc6 libstdc++6 libgcc-s1 libatomic1 busybox-static)

TAG="localhost/certbridge:dev"
BASE=""
REBUILD_BASE=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --base) BASE="$2"; shift 2 ;;
    --rebuild-base) REBUILD_BASE=1; shift ;;
    *) echo "usage: build-image.sh [--tag NAME] [--base IMAGE] [--rebuild-base]" >&2; exit 2 ;;
  esac
done

command -v buildah >/dev/null || { echo "buildah is required (Debian: apt-get install -y buildah)" >&2; exit 1; }
bah() { buildah --root "$STORAGE" --runroot "$IMAGE_CACHE/run" --storage-driver vfs "$@"; }
log() { echo "[image] $*" >&2; }

# The pinned Node from node_modules (the `node` devDependency), the same binary the tests run on.
node_version() { sed -n 's/^ *"version": "\(.*\)",*$/\1/p' "$REPO/node_modules/node/package.json" | head -1; }
node_binary() { readlink -f "$REPO/node_modules/.bin/node"; }

assemble_base() {
  local name=$1 root="$IMAGE_CACHE/rootfs" debs="$IMAGE_CACHE/debs"
  [[ -x "$(node_binary)" ]] || { echo "no pinned node in node_modules: run npm ci first" >&2; exit 1; }
  log "assembling $name from Debian packages (${DEBS[*]}), node $(node_version) and npm $NPM_VERSION"
  rm -rf "$root" && mkdir -p "$root" "$debs"
  (cd "$debs" && rm -f ./*.deb && apt-get download -o APT::Sandbox::User=root "${DEBS[@]}" >&2)
  local deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  # Not needed by node (ICU is built in, no iconv, no locales), and not wanted in an image.
  rm -rf "$root"/usr/share/doc "$root"/usr/share/lintian "$root"/usr/share/locale "$root"/usr/share/man \
    "$root"/usr/lib/x86_64-linux-gnu/gconv "$root"/usr/lib/*/gconv "$root"/usr/share/gdb "$root"/usr/share/gcc
  local applet
  mkdir -p "$root/bin" "$root/usr/bin"
  for applet in sh ash cat chmod chown cp env id ln ls mkdir mv rm rmdir sed sleep test touch wc; do
    ln -sf /bin/busybox "$root/bin/$applet"
  done
  ln -sf /bin/busybox "$root/usr/bin/env"
  # Node, and npm from the registry (the `node` package ships only the runtime) for the build stages.
  mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules/npm"
  cp "$(node_binary)" "$root/usr/local/bin/node"
  local tarball
  tarball=$(cd "$IMAGE_CACHE" && npm pack --silent "npm@$NPM_VERSION" | tail -1)
  tar -xzf "$IMAGE_CACHE/$tarball" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  mkdir -p "$root/etc" "$root/tmp" "$root/root" "$root/home/nonroot"
  chmod 1777 "$root/tmp"
  chown 65532:65532 "$root/home/nonroot"
  printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  local ctr
  ctr=$(bah from --pull=false scratch)
  bah copy "$ctr" "$root/" / >/dev/null
  bah config --env PATH=/usr/local/bin:/usr/bin:/bin --env NODE_VERSION="$(node_version)" --cmd node \
    --label "org.opencontainers.image.description=Node $(node_version) on Debian glibc, assembled by certbridge's build-image.sh" "$ctr"
  bah commit --rm "$ctr" "$name" >/dev/null
  rm -rf "$root"
}

started=$(date +%s)
if [[ -z "$BASE" ]]; then
  BASE="localhost/certbridge-node-base:$(node_version)"
  if [[ $REBUILD_BASE == 1 ]] || ! bah inspect --type image "$BASE" >/dev/null 2>&1; then
    assemble_base "$BASE"
    log "base $BASE ready ($(( $(date +%s) - started ))s)"
  else
    log "base $BASE found in $STORAGE"
  fi
fi

log "building $TAG from $REPO/Dockerfile on $BASE"
build_started=$(date +%s)
# A TLS-inspecting proxy's CA (this machine trusts one through NODE_EXTRA_CA_CERTS) reaches npm in the
# build stages as a build secret, never as a layer.
secret=()
if [[ -s "${NODE_EXTRA_CA_CERTS:-}" ]]; then secret=(--secret "id=extra_ca,src=$NODE_EXTRA_CA_CERTS"); fi
# No --layers: with vfs every cached step is a full copy of the root filesystem, so caching steps made
# builds 2-3x slower (45-70 s) than building each stage in one commit (~20 s; npm reuses its cache mount).
bah bud --isolation chroot --pull=false "${secret[@]}" --build-arg "NODE_IMAGE=$BASE" -t "$TAG" -f "$REPO/Dockerfile" "$REPO" >&2
# A rebuild leaves the previous image untagged; vfs keeps full copies, so drop them.
bah rmi --prune >/dev/null 2>&1 || true
log "built $TAG in $(( $(date +%s) - build_started ))s (total $(( $(date +%s) - started ))s)"
echo "$TAG"
