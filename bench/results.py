"""Rebuilds the tables of bench/RESULTS.md (between its `<!-- results -->` markers) from
every bench/results/<rows>.tsv that bench/run.sh wrote. The rest of the file is prose.
"""

import csv
import math
import pathlib
import re

root = pathlib.Path(__file__).parent
scales = {}
for path in root.glob("results/*.tsv"):
    facts = {}
    with open(path) as f:
        for row in csv.reader(f, delimiter="\t"):
            if row[0] in ("ingest", "kpi", "run"):
                facts[(row[0], row[1])] = (float(row[2]), int(row[3]))
            elif row[0] in ("rows", "machine"):
                facts[row[0]] = row[1:]
    scales[int(path.stem)] = facts


def ratio(a, b):
    return f"{a / b:.2f}" if b else "–"


out = []
machines = sorted({" · ".join(f["machine"][:2]) for f in scales.values() if "machine" in f})
out.append("Machine: " + "; ".join(machines) + ".")
out.append("")
out.append(
    "| exchanges (all rows) | step | appraise | DuckDB | time ratio appraise / DuckDB | target |"
)
out.append("| --- | --- | ---: | ---: | ---: | --- |")
for n in sorted(scales):
    f = scales[n]
    total = f"{n:,} ({int(f['rows'][1]):,})" if "rows" in f else f"{n:,}"
    for step, label, target in [
        ("ingest", "ingest CSV → Parquet", "≤ 1.0"),
        ("kpi", "KPI stage, 18 KPIs, 2026Q3", "≤ 1.0"),
    ]:
        (a, am), (d, dm) = f[(step, "appraise")], f[(step, "duckdb")]
        out.append(
            f"| {total} | {label} | {a:.2f} s, {am:,} MiB | {d:.2f} s, {dm:,} MiB "
            f"| {ratio(a, d)} | {target} |"
        )
        for system, how in [
            ("duckdb-dedup", "DuckDB with `DISTINCT ON` the id"),
            ("duckdb-researcher", "DuckDB with `quantile_cont` for the percentiles"),
            ("duckdb-fused", "DuckDB, one hand-fused statement"),
        ]:
            if (step, system) in f:
                r, rm = f[(step, system)]
                out.append(
                    f"| {total} | {label}, {how} | {a:.2f} s, {am:,} MiB "
                    f"| {r:.2f} s, {rm:,} MiB | {ratio(a, r)} | {target} |"
                )
    k = f[("kpi", "appraise")][0]
    for system, label in [("appraise-cold", "cold: 3 quarters of KPIs"),
                          ("appraise-warm", "warm: earlier quarters kept")]:
        if ("run", system) in f:
            r, rm = f[("run", system)]
            out.append(
                f"| {total} | `appraise run` end to end, {label} | {r:.2f} s, {rm:,} MiB | | "
                f"{ratio(r, k)} × appraise's KPI stage | ≤ 1.3 × |"
            )

# Growth from 10M to 50M: time ∝ rows^k.
if 10_000_000 in scales and 50_000_000 in scales:
    a, b = scales[10_000_000], scales[50_000_000]
    out.append("")
    out.append("Growth exponent k (time or memory ∝ rows^k) from 10M to 50M exchanges:")
    out.append("")
    out.append("| step | time k | memory k |")
    out.append("| --- | ---: | ---: |")
    for key in [("ingest", "appraise"), ("kpi", "appraise"), ("run", "appraise-cold"),
                ("ingest", "duckdb"), ("kpi", "duckdb")]:
        (t1, m1), (t2, m2) = a[key], b[key]
        kt, km = math.log(t2 / t1) / math.log(5), math.log(m2 / m1) / math.log(5)
        out.append(f"| {key[0]} ({key[1]}) | {kt:.2f} | {km:.2f} |")

results = root / "RESULTS.md"
text = results.read_text()
block = "<!-- results -->\n" + "\n".join(out) + "\n<!-- /results -->"
text = re.sub(r"<!-- results -->.*<!-- /results -->", lambda _: block, text, flags=re.S)
results.write_text(text)
