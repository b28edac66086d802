#!/usr/bin/env bash
# The whole test suite, as CI runs it (`make test`, `.ci/run`):
#   1. formatting and clippy, for the server (ssr) and the browser (hydrate) feature sets;
#   2. unit tests and the server's integration tests, against SQLite and a throwaway
#      PostgreSQL cluster; exports loaded by Hugging Face `datasets` in a venv;
#   3. the release browser bundle, and Playwright in Debian's Chromium against it and the
#      server that step 2 built (the dev build `make run` serves: the same artifacts);
#   4. the container image's runtime stage around that server, run as a Space runs it.
# The release server (what the Dockerfile builds and users deploy) is not built here: the
# dev build runs the same code, and compiling it again with optimisations cost 10 of the
# suite's minutes from a fresh clone. `make container-test` builds it, image and all.
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
cargo clippy --workspace --exclude swipeset-frontend --exclude swipeset-rater --all-targets --locked -- -D warnings

step "clippy: browser side (hydrate, wasm32)"
cargo clippy --package swipeset-frontend --package swipeset-rater --package swipeset-app --features swipeset-app/hydrate \
  --target wasm32-unknown-unknown --locked -- -D warnings

step "unit and integration tests (SQLite + PostgreSQL; exports loaded by Python datasets)"
export SWIPESET_PYTHON=${SWIPESET_VENV:-$HOME/.cache/swipeset/venv}/bin/python SWIPESET_REQUIRE_PYTHON=1
# xtask stays out: it would turn on features (fallible-iterator's `std`) that the server's
# own build does not, and the two builds would stop sharing what they compiled.
SWIPESET_REQUIRE_POSTGRES=1 deadline 25 scripts/with-postgres.sh \
  cargo test --workspace --exclude swipeset-frontend --exclude swipeset-rater --exclude xtask --locked

step "server (dev build, what make run serves) and release browser bundle"
# Nothing to compile after the tests: the same feature sets, the same artifacts. A
# dependency that turns on a feature for tests only breaks that, and costs every clone a
# minute and a half here and in `make run`: say so (docs/BENCHMARKS.md, "Sharing").
build_log=$(mktemp)
cargo build --package swipeset-server --package swipeset-standins --locked 2>&1 | tee "$build_log"
# The stand-ins' binary is the one thing the tests do not build (they link its library).
recompiled=$(grep '^ *Compiling ' "$build_log" | grep -cv ' swipeset-standins ' || true)
if [[ $recompiled -gt 0 ]]; then
  echo "test.sh: warning: the server's build recompiled $recompiled crates that the tests" \
    "had built: the feature sets of \`cargo test\` and \`cargo build\` differ" >&2
fi
rm -f "$build_log"
cargo xtask site --release

server="$CARGO_TARGET_DIR/debug/swipeset"
step "end-to-end: Playwright in Chromium against that server and the release bundle"
(
  cd end2end
  SWIPESET_BIN="$server" \
    SWIPESET_SITE_ROOT="$root/target/site" \
    SWIPESET_STANDINS_BIN="$CARGO_TARGET_DIR/debug/swipeset-standins" \
    deadline 15 npx playwright test
)

step "container: the Dockerfile's runtime stage around that server, run as a Space"
SWIPESET_BIN="$server" deadline 10 scripts/container-test.sh

step "all tests passed"
