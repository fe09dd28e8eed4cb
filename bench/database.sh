#!/usr/bin/env bash
# Database benchmark: N generated exchanges (default 1 million) in a PostgreSQL server of
# the benchmark's own, ingested into a warehouse two ways: `appraise ingest --from
# postgresql://...` straight from the server, and the database's own export (`COPY ...
# TO` CSV, through psql's \copy) followed by `appraise ingest` of the files. Prints a
# Markdown table: median wall time of 3 runs and the peak resident memory of appraise
# (the server's own memory is not counted, the same server serves both ways).
#
#   bench/database.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=3
work=$PWD/bench/work/database-$rows

. bench/common.sh
mkdir -p "$work"

if [ ! -f "$work/csv/exchanges.csv" ]; then
  echo "generating $rows exchanges ..." >&2
  "$bin" generate --seed 1 --departments 200 --exchanges "$rows" --services 0 \
    --share-requests 0 --out "$work/csv" >/dev/null
fi

# A server of the benchmark's own, on a free port, trusting local connections; as the
# postgres user when run as root (PostgreSQL refuses root).
pgbin=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -n 1)")
as_server() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
server=$(mktemp -d)
chmod 777 "$server"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_server "$pgbin/initdb" -D "$server/data" -U bench --auth=trust --no-sync -E UTF8 >/dev/null
as_server "$pgbin/pg_ctl" -D "$server/data" -w -l "$server/log" \
  -o "-p $port -k $server -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
trap 'as_server "$pgbin/pg_ctl" -D "$server/data" -m fast stop >/dev/null; rm -rf "$server"' EXIT
url="postgresql://bench@127.0.0.1:$port/postgres"
scripts/load-database.sh "$url" "$work/csv" >&2
psql "$url" -qc "VACUUM ANALYZE" >/dev/null

# The database's own export of the five tables, then a file ingest, as one command.
cat >"$work/export-and-ingest.sh" <<EOF
set -e
mkdir -p "$work/export"
for t in departments catalog exchanges share_requests services; do
  psql "$url" -qc "\\\\copy (SELECT * FROM \$t) TO '$work/export/\$t.csv' WITH (FORMAT csv, HEADER true)"
done
"$bin" ingest --from "$work/export" --into "$work/wh" --rejects "$work/rejects"
EOF
rate() { python3 -c "print(f'{$rows / $1:,.0f}')"; }

echo "| way | exchanges | median time (s) | rows/s | peak memory of appraise (MiB) |"
echo "| --- | ---: | ---: | ---: | ---: |"
before_run() { rm -rf "$work/wh" "$work/rejects" "$work/export"; }
read -r median peak < <(measured $runs "$work" \
  "$bin" ingest --from "$url" --into "$work/wh" --rejects "$work/rejects")
echo "| \`ingest --from postgresql://\` | $rows | $median | $(rate "$median") | $peak |"
read -r median _ < <(measured $runs "$work" bash "$work/export-and-ingest.sh")
echo "| \`COPY TO\` CSV, then \`ingest\` of the files | $rows | $median | $(rate "$median") | |"
# The file ingest alone, on the last export: its time and peak memory.
before_run() { rm -rf "$work/wh" "$work/rejects"; }
read -r median peak < <(measured $runs "$work" \
  "$bin" ingest --from "$work/export" --into "$work/wh" --rejects "$work/rejects")
echo "| of which \`ingest\` of the files | $rows | $median | $(rate "$median") | $peak |"
