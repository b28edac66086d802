#!/usr/bin/env bash
# Measures what a newcomer waits for (docs/BENCHMARKS.md, "Build and test times"), on a
# fresh clone of HEAD with an empty CARGO_TARGET_DIR, and prints the figures:
#   1. `make run` until the server prints its URL (cold);
#   2. `make run` again after a one-line code change in core/ (a new constant);
#   3. `make run` again with nothing changed;
#   4. with --test: `make test` (= .ci/run) in another fresh clone and empty target folder.
# Everything is made in a temporary folder and removed at the end (the target folders take
# several GB). The registry, npm cache and apt packages are used as they are: the figures
# are for a machine that already downloaded them, as issue 21 asks.
#
#   scripts/build-times.sh [--test]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
with_test=false
[[ ${1:-} == --test ]] && with_test=true
work=$(mktemp -d /tmp/swipeset-build-times.XXXXXX)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill -INT -- "-$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf 'build-times: %s\n' "$*" >&2; }
now() { date +%s.%N; }
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# A port of its own, so a swipeset already running on 3000 does not answer for this one.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# Runs `make run` in clone $1 and sets `elapsed` to the seconds until the URL is printed
# (not printed: a command substitution would run it in a subshell), then stops
# it as Ctrl-C would: SIGINT to make and the server, in a process group of their own.
time_make_run() {
  local clone=$1 log=$work/make-run.log started
  : >"$log"
  started=$(now)
  SWIPESET_ADDR=127.0.0.1:$port setsid make -C "$clone" run >"$log" 2>&1 &
  server_pid=$!
  until grep -q "swipeset is running at" "$log"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      tail -30 "$log" >&2
      say "make run stopped before printing its URL"
      exit 1
    fi
    sleep 0.2
  done
  elapsed=$(seconds "$started" "$(now)")
  curl -fsS -o /dev/null "http://127.0.0.1:$port/" || { say "the demo page did not answer"; exit 1; }
  kill -INT -- "-$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

git clone --quiet "$root" "$work/run"
export CARGO_TARGET_DIR=$work/target CARGO_TERM_COLOR=never
say "make run, fresh clone of $(git -C "$root" rev-parse --short HEAD), empty target folder"
time_make_run "$work/run"
cold=$elapsed
say "make run after a one-line change in core/"
echo 'pub const BUILD_TIMES_PROBE: u32 = 1;' >>"$work/run/core/src/lib.rs"
time_make_run "$work/run"
edit=$elapsed
say "make run with nothing changed"
time_make_run "$work/run"
warm=$elapsed
printf 'make run, cold (until the URL is printed)   %8s s\n' "$cold"
printf 'make run, after a one-line edit in core/    %8s s\n' "$edit"
printf 'make run, nothing changed                   %8s s\n' "$warm"
rm -rf "$work/target"

if $with_test; then
  git clone --quiet "$root" "$work/test"
  export CARGO_TARGET_DIR=$work/target-test
  say "make test, fresh clone, empty target folder (log: $work/make-test.log while it runs)"
  started=$(now)
  (cd "$work/test" && bash .ci/run) >"$work/make-test.log" 2>&1 || {
    tail -40 "$work/make-test.log" >&2
    say "make test failed"
    exit 1
  }
  total=$(seconds "$started" "$(now)")
  grep '^==> ' "$work/make-test.log" >&2
  printf 'make test, cold                             %8s s\n' "$total"
fi
