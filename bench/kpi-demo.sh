#!/usr/bin/env bash
# KPI and scoring stages on the demo data, each the median wall time of 5 runs and the
# peak memory:
#   - `appraise kpi run` for 2026Q3 over fixtures/demo (load, validate, scope, 18 KPIs);
#   - `appraise score` for 2026Q3 (the same, for 2026Q3 and 2026Q2, then scoring,
#     comparison, 1,000 Monte Carlo runs with the Sobol design, diagnostics);
#   - `appraise demo`: all of that, the exchange summary and the whole report (charts
#     in SVG and PNG, HTML, Markdown, 60 report cards, the workbook, the manifest).
#
#   bench/kpi-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
fi
# --workspace, like the tests: the same feature set, so no second DataFusion build.
cargo build --release --workspace >&2
bin=target/release/appraise
tmp=$(mktemp -d)
measure() {
  local label=$1
  shift
  local times=() peak=0 secs kib
  for _ in $(seq $runs); do
    /usr/bin/time -f "%e %M" -o "$tmp/time.txt" "$bin" "$@" >/dev/null 2>&1
    read -r secs kib <"$tmp/time.txt"
    times+=("$secs")
    [ "$kib" -gt "$peak" ] && peak=$kib
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  echo "| $label | $median s | $((peak / 1024)) MiB |"
}
measure "appraise kpi run, fixtures/demo, 2026Q3 (18 KPIs)" \
  kpi run --data fixtures/demo --period 2026Q3 --format csv --out "$tmp/kpis.csv"
measure "appraise score, fixtures/demo, 2026Q3 (two quarters of KPIs, scoring, 1,000 Monte Carlo runs)" \
  score --data fixtures/demo --period 2026Q3 --out "$tmp/score"
measure "appraise demo, fixtures/demo (all of the above and the whole report)" \
  demo --out "$tmp/demo"
rm -rf "$tmp"
