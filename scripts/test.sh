#!/usr/bin/env bash
# The whole test suite, as CI runs it (`make test`, `.ci/run`):
#   1. formatting and clippy, for the server (ssr) and the browser (hydrate) feature sets;
#   2. unit tests and the server's integration tests, against SQLite and a throwaway
#      PostgreSQL cluster; exports loaded by Hugging Face `datasets` in a venv;
#   3. the release build, and Playwright in Debian's Chromium against it;
#   4. the container image's runtime stage around that build, run as a Space runs it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/swipeset/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

started=$SECONDS
step() { printf '\n==> %s (%ds)\n' "$*" $((SECONDS - started)) >&2; }
# A stage that hangs fails with its name instead of eating CI's whole time limit.
deadline() {
  local minutes=$1
  shift
  local rc=0
  timeout --kill-after=30 "${minutes}m" "$@" || rc=$?
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "test.sh: '$*' did not finish within $minutes minutes" >&2
  fi
  return "$rc"
}

step "setup"
scripts/setup.sh test

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy: server side (ssr)"
cargo clippy --workspace --exclude swipeset-frontend --all-targets --locked -- -D warnings

step "clippy: browser side (hydrate, wasm32)"
cargo clippy --package swipeset-frontend --package swipeset-app --features swipeset-app/hydrate \
  --target wasm32-unknown-unknown --locked -- -D warnings

step "unit and integration tests (SQLite + PostgreSQL; exports loaded by Python datasets)"
export SWIPESET_PYTHON=${SWIPESET_VENV:-$HOME/.cache/swipeset/venv}/bin/python SWIPESET_REQUIRE_PYTHON=1
SWIPESET_REQUIRE_POSTGRES=1 deadline 25 scripts/with-postgres.sh \
  cargo test --workspace --exclude swipeset-frontend --locked

step "release build: server and browser bundle"
cargo build --release --package swipeset-server --package swipeset-standins --locked
cargo xtask site --release

step "end-to-end: Playwright in Chromium against the release build"
(
  cd end2end
  SWIPESET_BIN="$CARGO_TARGET_DIR/release/swipeset" \
    SWIPESET_SITE_ROOT="$root/target/site" \
    SWIPESET_STANDINS_BIN="$CARGO_TARGET_DIR/release/swipeset-standins" \
    deadline 15 npx playwright test
)

step "container: the Dockerfile's runtime stage around the release build, run as a Space"
deadline 10 scripts/container-test.sh

step "all tests passed"
