#!/usr/bin/env bash
# Makes the base images the Dockerfile names, on a machine that cannot pull from a
# registry. Nothing is made when an image is already there.
#
#   scripts/container-base.sh          docker.io/library/debian:bookworm-slim: Debian's own
#                                      debootstrap (minbase, the variant the official slim
#                                      image is built from) from the apt mirror, imported
#                                      with podman under that tag
#   scripts/container-base.sh --rust   also docker.io/library/rust:1.95-slim-bookworm, built
#                                      on it the way the official image is: gcc, libc6-dev
#                                      and ca-certificates from apt, then rustup-init from
#                                      static.rust-lang.org with the minimal profile
set -euo pipefail
slim=docker.io/library/debian:bookworm-slim
rust=docker.io/library/rust:1.95-slim-bookworm
rust_version=1.95.0
mirror=${SWIPESET_DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { printf 'container-base: %s\n' "$*" >&2; }

if ! podman image exists "$slim"; then
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT
  say "debootstrap bookworm (minbase) from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
    tail -20 "$rootfs.log" >&2
    exit 1
  }
  # As the official slim image: no package lists, caches or docs.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  say "importing it as $slim"
  tar -C "$rootfs" -c . | podman import --quiet --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$slim" >/dev/null
fi

if [[ ${1:-} == --rust ]] && ! podman image exists "$rust"; then
  say "building $rust on $slim"
  # A machine whose network inspects TLS with a certificate authority of its own (in
  # /usr/local/share/ca-certificates) lends it to this local builder image: installing
  # ca-certificates adds it to the image's bundle, and Node.js (npm) is pointed at that
  # bundle. The official image has neither and needs neither; nothing of it reaches the
  # runtime image, which is built from Debian slim alone.
  local_cas=()
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    local_cas=(--volume /usr/local/share/ca-certificates:/usr/local/share/ca-certificates:ro)
  fi
  podman build --isolation chroot --pull=never --network host "${local_cas[@]}" -t "$rust" - <<DOCKERFILE
FROM $slim
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:\$PATH \\
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN apt-get update \\
 && apt-get install -y --no-install-recommends ca-certificates curl gcc libc6-dev \\
 && curl -sSf -o /tmp/rustup-init https://static.rust-lang.org/rustup/dist/x86_64-unknown-linux-gnu/rustup-init \\
 && chmod +x /tmp/rustup-init \\
 && /tmp/rustup-init -y --no-modify-path --profile minimal --default-toolchain $rust_version \\
 && rm /tmp/rustup-init \\
 && rm -rf /var/lib/apt/lists/*
DOCKERFILE
fi
