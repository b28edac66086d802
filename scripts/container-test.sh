#!/usr/bin/env bash
# Builds the swipeset image with podman and runs it as a Hugging Face Space would, checked
# by Playwright in Chromium (end2end/container/space.spec.ts): /healthz and the image's own
# HEALTHCHECK, the storage warning without persistent storage, "Sign in with Hugging Face"
# through a real OpenID provider, a rating, a clean stop on SIGTERM, and the rating still
# there after a restart.
#
#   scripts/container-test.sh               the runtime stage around a server already built:
#                                           $SWIPESET_BIN, by default the release build in
#                                           $CARGO_TARGET_DIR (make test names its dev build)
#   scripts/container-test.sh --from-source the whole Dockerfile, compiled in the image
#                                           (make container-test)
#
# Containers cannot be run on these machines (the sandbox refuses crun's setrlimit) and no
# registry is reachable, so: the base images are made locally (scripts/container-base.sh),
# the image is built with `podman build --isolation chroot`, and its filesystem is exported
# and started under chroot with the entry point, user, folder and environment the image
# declares. Needs root (chroot and mounts).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/swipeset/target}
from_source=false
[[ ${1:-} == --from-source ]] && from_source=true
say() { printf 'container-test: %s\n' "$*" >&2; }

[[ $(id -u) -eq 0 ]] || { say "needs root (chroot, mount)"; exit 1; }
for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || {
    say "installing podman and debootstrap (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman debootstrap >/dev/null
    break
  }
done
scripts/container-base.sh

work=$(mktemp -d)
image=localhost/swipeset:container-test
rootfs=$work/rootfs
cleanup() {
  for mount in "$rootfs/data" "$rootfs/dev" "$rootfs/proc" "$rootfs"; do
    mountpoint -q "$mount" 2>/dev/null && umount -l "$mount"
  done
  podman rm -f swipeset-container-test >/dev/null 2>&1 || true
  podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
if $from_source; then
  scripts/container-base.sh --rust
  say "building the whole Dockerfile from source (the build stage compiles everything)"
  podman build --isolation chroot --pull=never --network host --format docker --target runtime \
    -t "$image" .
else
  server=${SWIPESET_BIN:-$CARGO_TARGET_DIR/release/swipeset}
  for built in "$server" target/site/pkg; do
    [[ -e $built ]] || { say "no $built: build it first (make release), or name a server in SWIPESET_BIN"; exit 1; }
  done
  mkdir -p "$work/context/prebuilt"
  # Without its debug information: a dev build's line tables are most of its 600 MB, and
  # nothing in the image reads them.
  strip --strip-debug -o "$work/context/prebuilt/swipeset" "$server"
  cp -r target/site "$work/context/prebuilt/site"
  say "building the runtime stage around $server"
  # Docker's image format: OCI's has no HEALTHCHECK.
  podman build --isolation chroot --pull=never --format docker --target runtime-prebuilt \
    -f Dockerfile -t "$image" "$work/context" >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    exit 1
  }
fi
say "image built in $((SECONDS - started)) s: $(podman image inspect --format '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')"

podman create --name swipeset-container-test "$image" >/dev/null
mkdir -p "$rootfs"
podman export swipeset-container-test | tar -x -C "$rootfs"
podman image inspect "$image" >"$work/image.json"
# The exported tree becomes a mount of its own, as a container's root is, so that inside
# the chroot /proc/self/mountinfo shows a "/" (the storage check looks for it).
mount --bind "$rootfs" "$rootfs"
mount -t proc proc "$rootfs/proc"
mount --bind /dev "$rootfs/dev"

(
  cd end2end
  SWIPESET_CONTAINER_ROOTFS=$rootfs SWIPESET_CONTAINER_IMAGE=$work/image.json \
    npx playwright test --config container.config.ts
)
say "passed in $((SECONDS - started)) s"
