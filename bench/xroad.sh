#!/usr/bin/env bash
# X-Road benchmark: RECORDS (default 5 million) generated operational-monitoring records
# (`appraise generate --format xroad`: one NDJSON file, and the same gzipped), read,
# paired, mapped and validated into Arrow by `appraise validate --input-format xroad`.
# Prints a Markdown table: median wall time of $RUNS (default 3) runs, records per
# second, peak resident memory; and checks that the load found what the generator wrote.
#
#   bench/xroad.sh [RECORDS]
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-5000000}
runs=${RUNS:-3}
work=bench/work/xroad-$records

. bench/common.sh
mkdir -p "$work"

if [ ! -f "$work/data/records.ndjson" ]; then
  # About 1.98 records per exchange: two halves, less the lone ones, plus repeats.
  exchanges=$((records * 10000 / 19806))
  echo "generating the records of $exchanges exchanges ..." >&2
  "$bin" generate --seed 1 --departments 200 --exchanges "$exchanges" --format xroad \
    --out "$work/data" >"$work/truth.json"
fi
if [ ! -f "$work/records.ndjson.gz" ]; then
  gzip -1 -c "$work/data/records.ndjson" >"$work/records.ndjson.gz"
fi

echo "| input | records | file size | median time (s) | records/s | peak memory (MiB) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for input in data/records.ndjson records.ndjson.gz; do
  read -r median peak < <(measured "$runs" "$work" \
    "$bin" validate --input-format xroad --data "$work/$input" \
    --mapping "$work/data/mapping.csv" --rejects "$work/rejects" --format json)
  python3 - "$work/stdout" "$work/truth.json" <<'PY'
import json, sys
got, truth = json.load(open(sys.argv[1]))["xroad"], json.load(open(sys.argv[2]))["xroad"]
want = {"records": truth["records"], "pairs": truth["pairs"],
        "client_orphans": truth["client_only"], "producer_orphans": truth["producer_only"],
        "duplicates": truth["duplicates"]}
wrong = {k: (got[k], v) for k, v in want.items() if got[k] != v}
if wrong:
    sys.exit(f"the load does not find what was generated: {wrong}")
PY
  n=$(python3 -c "import json;print(json.load(open('$work/stdout'))['xroad']['records'])")
  size=$(du -m "$work/$input" | cut -f1)
  rate=$(python3 -c "print(f'{$n / $median:,.0f}')")
  echo "| $(basename "$input") | $n | ${size} MiB | $median | $rate | $peak |"
done
