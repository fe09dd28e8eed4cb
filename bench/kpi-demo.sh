#!/usr/bin/env bash
# KPI stage on the demo data: `appraise kpi run` for 2026Q3 over fixtures/demo (load,
# validate, scope, all 18 KPIs). Prints the median wall time of 5 runs and peak memory.
#
#   bench/kpi-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
fi
cargo build --release -p appraise-cli >&2
bin=target/release/appraise
tmp=$(mktemp -d)
times=()
peak=0
for _ in $(seq $runs); do
  /usr/bin/time -f "%e %M" -o "$tmp/time.txt" \
    "$bin" kpi run --data fixtures/demo --period 2026Q3 --format csv --out "$tmp/kpis.csv" 2>/dev/null
  read -r secs kib <"$tmp/time.txt"
  times+=("$secs")
  [ "$kib" -gt "$peak" ] && peak=$kib
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
echo "| appraise kpi run, fixtures/demo, 2026Q3 (18 KPIs) | $median s | $((peak / 1024)) MiB |"
rm -rf "$tmp"
