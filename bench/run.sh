#!/usr/bin/env bash
# The scale benchmark: appraise against DuckDB on the same data, the same SQL and the
# same Parquet files.
#
#   bench/run.sh EXCHANGES        e.g. 1000000, 10000000, 50000000
#
# Generates EXCHANGES exchange rows with `appraise generate` (seed 1, 200 departments,
# twelve months from 2025-10, so 2026Q3 and the three quarters before it; services a
# fifth of that, share requests a fiftieth) into bench/work/run-N/csv, then measures,
# each the median of $RUNS (default 3) runs with
# the peak resident memory of the slowest process:
#   ingest    `appraise ingest` (CSV → month-partitioned zstd Parquet, validated and
#             deduplicated) against DuckDB `COPY … (FORMAT parquet, PARTITION_BY (month))`,
#             and against the same with one row per id (`SELECT DISTINCT ON (id)`)
#   kpi       every built-in KPI for 2026Q3 over the warehouse: `appraise kpi run`
#             against DuckDB running the same .sql files over the same Parquet files with
#             the same period scoping (bench/kpi_duckdb.py), and against DuckDB with the
#             percentile KPIs as a researcher writes them (quantile_cont,
#             bench/duckdb/researcher), and against DuckDB running all 18 as one
#             hand-fused statement (bench/duckdb/fused.sql); every engine's values are
#             compared
#   run       `appraise run` end to end (KPIs for Q3 and the three quarters before it,
#             scoring with 1,000 Monte Carlo runs, the whole report), cold (the
#             warehouse's KPI cache emptied before each run: four quarters computed)
#             and warm (the earlier quarters' matrices kept: one quarter computed); the
#             cold runs' KPI step (from their manifests) against DuckDB's hand-fused
#             statement over the same four quarters grouped by quarter
#             (bench/kpi_duckdb_quarters.py, bench/duckdb/fused_quarters.sql), values
#             compared quarter by quarter
# STEPS (default "ingest kpi run") picks steps; each replaces its own lines of
# bench/results/N.tsv, the others stay. Then rebuilds the tables of bench/RESULTS.md from every
# bench/results/*.tsv. DuckDB is the `duckdb` Python package, installed into
# bench/work/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:?usage: bench/run.sh EXCHANGES}
runs=${RUNS:-3}
work=bench/work/run-$rows
period=2026Q3
tz=Asia/Shanghai

. bench/common.sh
if [ ! -x bench/work/venv/bin/python ]; then
  python3 -m venv bench/work/venv
  bench/work/venv/bin/pip install -q duckdb
fi
py=bench/work/venv/bin/python
mkdir -p "$work" bench/results

if [ ! -f "$work/csv/exchanges.csv" ]; then
  echo "generating $rows exchanges ..." >&2
  "$bin" generate --seed 1 --departments 200 --start 2025-10-01 --months 12 --exchanges "$rows" --out "$work/csv" >/dev/null
fi
total=$(($(cat "$work"/csv/*.csv | wc -l) - 5))

cat >"$work/duckdb_ingest.py" <<'EOF'
import sys, duckdb
# With a third argument `dedup`, each table keeps one row per id, as appraise does.
src, dst = sys.argv[1], sys.argv[2]
dedup = sys.argv[3:] == ["dedup"]
con = duckdb.connect()
parts = {"catalog": ("registered_at", "resource_id"), "exchanges": ("requested_at", "event_id"),
         "share_requests": ("submitted_at", "request_id"), "services": ("submitted_at", "case_id")}
con.execute(f"COPY (SELECT * FROM read_csv('{src}/departments.csv')) TO "
            f"'{dst}/departments.parquet' (FORMAT parquet, COMPRESSION zstd)")
for table, (column, key) in parts.items():
    distinct = f"DISTINCT ON ({key}) " if dedup else ""
    con.execute(f"COPY (SELECT {distinct}*, strftime({column}, '%Y-%m') AS month "
                f"FROM read_csv('{src}/{table}.csv')) TO '{dst}/{table}' "
                f"(FORMAT parquet, PARTITION_BY (month), COMPRESSION zstd)")
EOF

steps=${STEPS:-ingest kpi run}
has() { [[ " $steps " == *" $1 "* ]]; }
results=bench/results/$rows.tsv
[ -f "$results" ] || printf 'step\tsystem\tseconds\tpeak_mib\n' >"$results"
# record STEP SYSTEM SECONDS MIB: replaces that line of the results.
record() {
  grep -v -P "^$1\t$2\t" "$results" >"$results.tmp" || true
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results.tmp"
  mv "$results.tmp" "$results"
}

if has ingest; then
echo "ingest ..." >&2
before_run() { rm -rf "$work/out" && mkdir -p "$work/out"; }
read -r s m < <(measured "$runs" "$work" "$bin" ingest --from "$work/csv" --into "$work/out/wh" --rejects "$work/out/rejects")
record ingest appraise "$s" "$m"
read -r s m < <(measured "$runs" "$work" "$py" "$work/duckdb_ingest.py" "$work/csv" "$work/out")
record ingest duckdb "$s" "$m"
read -r s m < <(measured "$runs" "$work" "$py" "$work/duckdb_ingest.py" "$work/csv" "$work/out" dedup)
record ingest duckdb-dedup "$s" "$m"
unset -f before_run
fi

# The 18 built-in KPIs the default scorecard scores (not the optional ones), as DuckDB's
# baselines compute.
kpis=$(grep -L '^-- optional: true' queries/kpis/*.sql | xargs -n1 basename | sed 's/\.sql$//' | paste -sd,)

# The warehouse the queries read, ingested once.
wh=$work/wh
if [ ! -f "$wh/_warehouse.json" ]; then
  "$bin" ingest --from "$work/csv" --into "$wh" --rejects "$work/rejects" >/dev/null
fi

"$bin" sql "SELECT * FROM calendar ORDER BY date" --data "$wh" --format csv --force --out "$work/calendar.csv"

if has kpi; then
echo "KPI stage ..." >&2
"$bin" sql "SELECT * FROM period" --period "$period" --data "$wh" --format csv --force --out "$work/period.csv"
read -r s m < <(measured "$runs" "$work" "$bin" kpi run --data "$wh" --period "$period" --kpi "$kpis" --format csv --force --out "$work/kpi-appraise.csv")
record kpi appraise "$s" "$m"
read -r s m < <(measured "$runs" "$work" "$py" bench/kpi_duckdb.py "$wh" queries/kpis "$work/calendar.csv" "$work/period.csv" "$tz" "$work/kpi-duckdb.csv")
record kpi duckdb "$s" "$m"
# The same, with the percentile KPIs as a researcher writes them (quantile_cont).
read -r s m < <(measured "$runs" "$work" "$py" bench/kpi_duckdb.py "$wh" queries/kpis "$work/calendar.csv" "$work/period.csv" "$tz" "$work/kpi-researcher.csv" bench/duckdb/researcher)
record kpi duckdb-researcher "$s" "$m"
# And as one hand-fused statement that reads each table once (bench/duckdb/fused.sql).
read -r s m < <(measured "$runs" "$work" "$py" bench/kpi_duckdb.py "$wh" queries/kpis "$work/calendar.csv" "$work/period.csv" "$tz" "$work/kpi-fused.csv" bench/duckdb/fused.sql)
record kpi duckdb-fused "$s" "$m"
# Every engine must have computed the same thing.
for other in kpi-duckdb kpi-researcher kpi-fused; do
python3 - "$work/kpi-appraise.csv" "$work/$other.csv" <<'EOF'
import csv, math, sys
a = {(r["kpi"], r["department_id"]): r["value"] for r in csv.DictReader(open(sys.argv[1]))}
d = {(r["kpi"], r["department_id"]): r["value"] for r in csv.DictReader(open(sys.argv[2]))}
differ = [k for k, v in d.items()
          if not (v == "" and a.get(k, "") == "")
          and not math.isclose(float(v or "nan"), float(a.get(k) or "nan"), rel_tol=1e-9, abs_tol=1e-9)]
print(f"KPI values compared: {len(d)}, differing: {len(differ)}", file=sys.stderr)
for k in differ[:10]:
    print(f"  {k}: appraise {a.get(k)!r}, DuckDB {d[k]!r}", file=sys.stderr)
sys.exit(1 if differ else 0)
EOF
done
fi

if has run; then
echo "run end to end ..." >&2
before_run() { rm -rf "$wh/_cache"; }
# Each cold run's KPI step (four quarters computed), from its manifest.
: >"$work/kpi-steps.txt"
after_run() {
  python3 -c 'import json, sys
print(dict(json.load(open(sys.argv[1]))["timings"])["kpis"])' "$work/report/manifest.json" >>"$work/kpi-steps.txt"
}
read -r s m < <(measured "$runs" "$work" "$bin" run --data "$wh" --period "$period" --out "$work/report")
record run appraise-cold "$s" "$m"
record quarters appraise "$(median $(cat "$work/kpi-steps.txt"))" "$m"
unset -f before_run after_run
# DuckDB's hand-fused statement over the same four quarters, grouped by quarter
# (bench/duckdb/fused_quarters.sql): the seconds of the statement the script prints
# (from connecting to DuckDB to the last row; no Python start), median of $runs.
# (The data's twelve months hold 2026Q3 and the three quarters before it, the run's
# trend.)
quarters="2025Q4 2026Q1 2026Q2 $period"
rm -f "$work/periods.csv"
for q in $quarters; do
  "$bin" sql "SELECT * FROM period" --period "$q" --data "$wh" --format csv >"$work/period-$q.csv"
  if [ -f "$work/periods.csv" ]; then tail -n +2 "$work/period-$q.csv" >>"$work/periods.csv"
  else cp "$work/period-$q.csv" "$work/periods.csv"; fi
done
statement=()
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%M" -o "$work/time.txt" "$py" bench/kpi_duckdb_quarters.py "$wh" "$work/calendar.csv" "$work/periods.csv" "$tz" "$work/kpi-quarters.csv" >"$work/stdout"
  statement+=("$(cat "$work/stdout")")
done
record quarters duckdb-fused "$(median "${statement[@]}")" "$(( $(cat "$work/time.txt") / 1024 ))"
# The same values as appraise's, quarter by quarter.
for q in $quarters; do
  "$bin" kpi run --data "$wh" --period "$q" --kpi "$kpis" --format csv --force --out "$work/kpi-$q.csv"
done
python3 - "$work" $quarters <<'EOF'
import csv, math, sys
work, quarters = sys.argv[1], sys.argv[2:]
a = {}
for q in quarters:
    for r in csv.DictReader(open(f"{work}/kpi-{q}.csv")):
        a[(q, r["kpi"], r["department_id"])] = r["value"]
d = {(r["period"], r["kpi"], r["department_id"]): r["value"]
     for r in csv.DictReader(open(f"{work}/kpi-quarters.csv"))}
differ = [k for k, v in d.items()
          if not (v == "" and a.get(k, "") == "")
          and not math.isclose(float(v or "nan"), float(a.get(k) or "nan"), rel_tol=1e-9, abs_tol=1e-9)]
print(f"KPI values of {len(quarters)} quarters compared: {len(d)}, differing: {len(differ)}", file=sys.stderr)
for k in differ[:10]:
    print(f"  {k}: appraise {a.get(k)!r}, DuckDB {d[k]!r}", file=sys.stderr)
sys.exit(1 if differ or not d else 0)
EOF
# Where the cold run's time goes: the steps its manifest timed (the last cold run's).
while IFS=$'\t' read -r name secs; do
  record runstep "$name" "$secs" ""
done < <(python3 -c 'import json, sys
for name, secs in json.load(open(sys.argv[1]))["timings"]:
    print(f"{name}\t{secs:.2f}")' "$work/report/manifest.json")
# The cache now holds every quarter; a warm run computes Q3 alone.
read -r s m < <(measured "$runs" "$work" "$bin" run --data "$wh" --period "$period" --out "$work/report")
record run appraise-warm "$s" "$m"
fi

grep -v -P "^(rows|machine)\t" "$results" >"$results.tmp" || true
mv "$results.tmp" "$results"
printf 'rows\t%s\t%s\t\n' "$rows" "$total" >>"$results"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
printf 'machine\t%s\t%s cores, %s GiB\t%s\n' "$cpu" "$(nproc)" "$mem" "$(date -u +%Y-%m-%d)" >>"$results"
python3 bench/results.py
cat "$results"
