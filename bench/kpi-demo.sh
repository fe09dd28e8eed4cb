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
. bench/common.sh
tmp=$(mktemp -d)
measure() {
  local label=$1
  shift
  read -r median peak < <(measured $runs "$tmp" "$bin" "$@")
  echo "| $label | $median s | $peak MiB |"
}
measure "appraise kpi run, fixtures/demo, 2026Q3 (18 KPIs)" \
  kpi run --data fixtures/demo --period 2026Q3 --format csv --force --out "$tmp/kpis.csv"
measure "appraise score, fixtures/demo, 2026Q3 (two quarters of KPIs, scoring, 1,000 Monte Carlo runs)" \
  score --data fixtures/demo --period 2026Q3 --out "$tmp/score"
measure "appraise demo, fixtures/demo (all of the above and the whole report)" \
  demo --out "$tmp/demo"
rm -rf "$tmp"
