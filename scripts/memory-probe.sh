#!/usr/bin/env bash
# Where a running swipeset server's memory is, for the soak run (docs/BENCHMARKS.md):
# its resident size, what SQLite has allocated (page caches, statements), and what the C
# heap holds in use versus keeps free, over all malloc arenas. Attaches gdb for under a
# second per sample, so the server pauses that long.
#
#   scripts/memory-probe.sh PID [EVERY_SECONDS]
set -euo pipefail
pid=${1:?usage: scripts/memory-probe.sh PID [EVERY_SECONDS]}
every=${2:-0}
command -v gdb >/dev/null || { echo "memory-probe: needs gdb (apt-get install gdb)" >&2; exit 1; }
xml=$(mktemp)
trap 'rm -f "$xml"' EXIT
echo "probe: time      RSS MiB   anon MiB   sqlite MiB   sqlite peak MiB   heap in use MiB   heap free MiB   arenas"
while kill -0 "$pid" 2>/dev/null; do
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
  # The program from /proc, so a binary rebuilt since the server started still resolves.
  out=$(gdb -batch \
    -ex 'print (long long)sqlite3_memory_used()' \
    -ex 'print (long long)sqlite3_memory_highwater(0)' \
    -ex "print (void*)fopen(\"$xml\", \"w\")" \
    -ex 'print (int)malloc_info(0, $3)' \
    -ex 'print (int)fclose($3)' "/proc/$pid/exe" "$pid" 2>/dev/null | grep '^\$' || true)
  used=$(echo "$out" | awk -F' = ' '/^\$1 /{print $2}')
  peak=$(echo "$out" | awk -F' = ' '/^\$2 /{print $2}')
  # malloc_info's last <total type="rest"> and <system type="current"> are over all arenas.
  total() { grep -o "<total type=\"$1\" count=\"[0-9]*\" size=\"[0-9]*\"" "$xml" | tail -1 | grep -o 'size="[0-9]*"' | tr -dc 0-9; }
  free=$(( $(total rest) + $(total fast) ))
  mmap=$(total mmap)
  current=$(grep -o '<system type="current" size="[0-9]*"' "$xml" | tail -1 | tr -dc 0-9)
  arenas=$(grep -c '<heap nr=' "$xml" || true)
  mib() { awk -v b="${1:-0}" 'BEGIN {printf "%.1f", b / 1048576}'; }
  inuse=$(( ${current:-0} + ${mmap:-0} - ${free:-0} ))
  printf "probe: %s  %7.1f   %8.1f   %10s   %15s   %15s   %13s   %6s\n" "$(date +%H:%M:%S)" \
    "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" "$(awk -v k="$anon" 'BEGIN {print k / 1024}')" "$(mib "$used")" "$(mib "$peak")" \
    "$(mib "$inuse")" "$(mib "$free")" "$arenas"
  [ "$every" -gt 0 ] || break
  sleep "$every"
done
