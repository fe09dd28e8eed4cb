#!/usr/bin/env bash
# Load benchmark: N generated exchange rows (default 10 million), from CSV and from
# Parquet, loaded and validated into Arrow by `appraise validate`. Prints a Markdown
# table: median wall time of 3 runs, rows per second, peak resident memory.
#
#   bench/load.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
runs=3
work=bench/work/load-$rows

. bench/common.sh
mkdir -p "$work"

for fmt in csv parquet; do
  if [ ! -f "$work/$fmt/exchanges.$fmt" ]; then
    echo "generating $rows exchanges as $fmt ..." >&2
    "$bin" generate --seed 1 --departments 200 --exchanges "$rows" --services 0 \
      --share-requests 0 --format "$fmt" --out "$work/$fmt" >/dev/null
  fi
done

echo "| input | rows | file size | median time (s) | rows/s | peak memory (MiB) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for fmt in csv parquet; do
  read -r median peak < <(measured $runs "$work" \
    "$bin" validate --data "$work/$fmt" --rejects "$work/rejects" --format json)
  loaded=$(python3 -c "import json;print(json.load(open('$work/stdout'))['tables']['exchanges']['read'])")
  size=$(du -m "$work/$fmt/exchanges.$fmt" | cut -f1)
  rate=$(python3 -c "print(f'{$loaded / $median:,.0f}')")
  echo "| $fmt | $loaded | ${size} MiB | $median | $rate | $peak |"
done
