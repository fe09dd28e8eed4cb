#!/usr/bin/env bash
# Ingest benchmark: CSV → month-partitioned, zstd Parquet, appraise against DuckDB.
#
#   bench/ingest.sh [EXCHANGES]        (default 1,000,000; services a fifth of that)
#
# Generates the data with `appraise generate` (seed 1, 200 departments, 9 months) into
# bench/work/ingest-N/csv, then, each the median of 3 runs into a fresh folder, with
# peak memory:
#   - `appraise ingest --from csv --into wh` (validation, rejects, dedup, manifest);
#   - DuckDB (the duckdb Python package, installed into bench/work/venv): for each table
#     `COPY (SELECT *, strftime(<time column>, '%Y-%m') AS month FROM read_csv(...)) TO
#     ... (FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd)`, departments
#     unpartitioned. DuckDB validates nothing beyond its type detection.
# Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
runs=3
work=bench/work/ingest-$rows

. bench/common.sh
if [ ! -x bench/work/venv/bin/python ]; then
  python3 -m venv bench/work/venv
  bench/work/venv/bin/pip install -q duckdb
fi

if [ ! -f "$work/csv/exchanges.csv" ]; then
  echo "generating $rows exchanges ..." >&2
  "$bin" generate --seed 1 --departments 200 --exchanges "$rows" --out "$work/csv" >/dev/null
fi

cat >"$work/duckdb_ingest.py" <<'EOF'
import sys, duckdb
src, dst = sys.argv[1], sys.argv[2]
con = duckdb.connect()
parts = {"catalog": "registered_at", "exchanges": "requested_at",
         "share_requests": "submitted_at", "services": "submitted_at"}
con.execute(f"COPY (SELECT * FROM read_csv('{src}/departments.csv')) TO "
            f"'{dst}/departments.parquet' (FORMAT parquet, COMPRESSION zstd)")
for table, column in parts.items():
    con.execute(f"COPY (SELECT *, strftime({column}, '%Y-%m') AS month "
                f"FROM read_csv('{src}/{table}.csv')) TO '{dst}/{table}' "
                f"(FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd)")
EOF

# Every run writes into a fresh folder; prints "<median s> <peak MiB> <output MiB>".
before_run() { rm -rf "$work/out" && mkdir -p "$work/out"; }
measure() { echo "$(measured $runs "$work" "$@") $(du -sm "$work/out" | cut -f1)"; }

total=$(($(cat "$work"/csv/*.csv | wc -l) - 5))
read -r a_s a_m a_size < <(measure "$bin" ingest --from "$work/csv" --into "$work/out/wh" --rejects "$work/out/rejects")
read -r d_s d_m d_size < <(measure bench/work/venv/bin/python "$work/duckdb_ingest.py" "$work/csv" "$work/out")
echo "| ingest, $rows exchanges ($total rows in all) | median of $runs | peak memory | output | time ratio (appraise / DuckDB) |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| appraise ingest | $a_s s | $a_m MiB | $a_size MiB | $(python3 -c "print(f'{$a_s / $d_s:.2f}')") |"
echo "| DuckDB COPY … PARTITION_BY | $d_s s | $d_m MiB | $d_size MiB | 1.00 |"
