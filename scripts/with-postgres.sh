#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: created in a temp dir, listening on a
# free port on 127.0.0.1 only, and removed afterwards whatever happens. The command sees
# its URL in SWIPESET_TEST_POSTGRES_URL.
#
# The tests run it with fsync off (they kill and restart clusters, never machines). With
# SWIPESET_PG_DURABLE=1, as the benchmarks run it, it keeps PostgreSQL's durable defaults
# (fsync, synchronous_commit, full_page_writes) and gives it 256 MB of shared buffers.
#
#   scripts/with-postgres.sh cargo test --workspace
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
  echo "with-postgres: PostgreSQL server binaries not found under /usr/lib/postgresql; run scripts/setup.sh test" >&2
  exit 1
fi

# PostgreSQL refuses to run as root: run the cluster as the 'postgres' user (created by
# Debian's package) when we are root.
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
  as_pg=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/swipeset-pg.XXXXXX)
chmod 755 "$dir"
[[ ${#as_pg[@]} -gt 0 ]] && chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"${as_pg[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
settings="-c fsync=off"
[[ ${SWIPESET_PG_DURABLE:-0} == 1 ]] && settings="-c shared_buffers=256MB"
"${as_pg[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 $settings" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }

export SWIPESET_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
"$@"
