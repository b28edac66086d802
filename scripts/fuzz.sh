#!/usr/bin/env bash
# Fuzzes what swipeset reads from files people hand it: the JSONL, CSV, Parquet and text
# importers and `models.toml` (targets in fuzz/). Each target runs for a bounded time from
# the seeds in fuzz/seeds/<target>; what it learns stays in fuzz/corpus/ (ignored by git),
# and a crash stops the run with the input in fuzz/artifacts/<target>/ (turn it into a
# regression test next to the reader before fixing it).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      default: 60 s, every target
#
# Installs what it needs: the nightly toolchain (cargo-fuzz builds with sanitizers) and
# cargo-fuzz from crates.io. Memory per input is capped at 2 GiB (-rss_limit_mb), so an
# input that makes a reader allocate without bound is reported as a crash too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-60}
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
  targets=(import_jsonl import_csv import_parquet import_text models_toml)
fi

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$HOME/.cache/swipeset/fuzz-target}

for target in "${targets[@]}"; do
  corpus=fuzz/corpus/$target
  mkdir -p "$corpus"
  cp -n fuzz/seeds/"$target"/* "$corpus"/ 2>/dev/null || true
  echo "==> $target for ${seconds}s"
  cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$corpus" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=1048576 -print_final_stats=1 \
    2>&1 | grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done)|panicked|ERROR' || true
  if compgen -G "fuzz/artifacts/$target/*" >/dev/null; then
    echo "fuzz.sh: $target found inputs that break it: fuzz/artifacts/$target/" >&2
    exit 1
  fi
done
echo "fuzz.sh: no target broke in ${seconds}s each"
