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
            if row[0] in ("ingest", "kpi", "run", "quarters"):
                facts[(row[0], row[1])] = (float(row[2]), int(row[3]))
            elif row[0] == "runstep":
                facts.setdefault("runsteps", []).append((row[1], float(row[2])))
            elif row[0] in ("rows", "machine"):
                facts[row[0]] = row[1:]
    scales[int(path.stem)] = facts


out = []
machines = sorted({" · ".join(f["machine"][:2]) for f in scales.values() if "machine" in f})
out.append("Machine: " + "; ".join(machines) + ".")
out.append("")
out.append(
    "| exchanges (all rows) | measure | appraise | against | time ratio | target | met |"
)
out.append("| --- | --- | ---: | ---: | ---: | --- | --- |")
GIB = 1024


def row(total, label, a, peer, r, target, met):
    (t, m) = a
    out.append(f"| {total} | {label} | {t:.2f} s, {m:,} MiB | {peer} | {r} | {target} | {met} |")


for n in sorted(scales):
    f = scales[n]
    total = f"{n:,} ({int(f['rows'][1]):,})" if "rows" in f else f"{n:,}"
    # The targets: each against its peer, as a ratio of median times.
    for step, system, label, target, bound in [
        ("kpi", "duckdb-fused", "KPI stage against DuckDB, one hand-fused statement", "≤ 1.0", 1.0),
        ("kpi", "duckdb-researcher", "KPI stage against DuckDB, a query per KPI (`quantile_cont`)", "< 1.0", 1.0),
        ("kpi", "duckdb", "KPI stage against DuckDB, the same `.sql` files", "", None),
        ("ingest", "duckdb-dedup", "ingest against DuckDB `COPY` with `DISTINCT ON` the id", "≤ 1.0", 1.0),
        ("ingest", "duckdb", "ingest against DuckDB `COPY`, no duplicate removal", "", None),
    ]:
        if (step, "appraise") not in f or (step, system) not in f:
            continue
        a, (d, dm) = f[(step, "appraise")], f[(step, system)]
        r = a[0] / d
        met = "" if bound is None else ("yes" if r <= bound and (target != "< 1.0" or r < bound) else "no")
        row(total, label, a, f"{d:.2f} s, {dm:,} MiB", f"{r:.2f}", target, met)
    # Four quarters of KPIs: the cold run's KPI step against DuckDB's one statement over
    # the same quarters; the cold run against that statement.
    if ("quarters", "duckdb-fused") in f:
        d, dm = f[("quarters", "duckdb-fused")]
        peer = f"{d:.2f} s, {dm:,} MiB"
        if ("quarters", "appraise") in f:
            a = f[("quarters", "appraise")]
            r = a[0] / d
            label = "KPIs of 4 quarters (the cold run's KPI step) against DuckDB, one hand-fused statement grouped by quarter"
            out.append(f"| {total} | {label} | {a[0]:.2f} s | {peer} | {r:.2f} | ≤ 1.0 | {'yes' if r <= 1.0 else 'no'} |")
        if ("run", "appraise-cold") in f:
            a = f[("run", "appraise-cold")]
            r = a[0] / d
            label = "`appraise run`, cold, against DuckDB's four-quarter statement"
            target, met = ("≤ 3.0", "yes" if r <= 3.0 else "no") if n == 10_000_000 else ("", "")
            row(total, label, a, peer, f"{r:.2f}", target, met)
    if ("kpi", "appraise") in f:
        k = f[("kpi", "appraise")][0]
        for system, label, target, bound in [
            ("appraise-cold", "`appraise run`, cold: 4 quarters of KPIs and the report", "≤ 1.3 × KPI stage", 1.3),
            ("appraise-warm", "`appraise run`, warm: earlier quarters' KPIs kept", "", None),
        ]:
            if ("run", system) in f:
                a = f[("run", system)]
                r = a[0] / k
                met = "" if bound is None else ("yes" if r <= bound else "no")
                row(total, label, a, f"KPI stage {k:.2f} s", f"{r:.2f}", target, met)
    # Memory: every command under 1 GiB.
    peaks = {key: v[1] for key, v in f.items()
             if isinstance(key, tuple) and key[1].startswith("appraise") and key[0] != "quarters"}
    if peaks:
        worst = max(peaks, key=peaks.get)
        out.append(
            f"| {total} | peak memory, largest of every appraise command | "
            f"{peaks[worst]:,} MiB ({worst[0]}) | | | < 1,024 MiB | "
            f"{'yes' if peaks[worst] < GIB else 'no'} |"
        )

# Where a cold run's time goes, by step (the manifest's timings).
timed = [n for n in sorted(scales) if "runsteps" in scales[n]]
if timed:
    out.append("")
    out.append("`appraise run`, cold, by step (seconds, from its `manifest.json`):")
    out.append("")
    names = list(dict.fromkeys(name for n in timed for name, _ in scales[n]["runsteps"]))
    out.append("| step | " + " | ".join(f"{n:,}" for n in timed) + " |")
    out.append("| --- | " + " | ".join("---:" for _ in timed) + " |")
    for name in names:
        cells = [dict(scales[n]["runsteps"]).get(name) for n in timed]
        out.append(f"| {name} | " + " | ".join("" if c is None else f"{c:.2f}" for c in cells) + " |")

# Growth from 10M to 50M: time ∝ rows^k.
if 10_000_000 in scales and 50_000_000 in scales:
    a, b = scales[10_000_000], scales[50_000_000]
    out.append("")
    out.append("Growth exponent k (time or memory ∝ rows^k) from 10M to 50M exchanges:")
    out.append("")
    out.append("| step | time k | memory k | target (appraise) | met |")
    out.append("| --- | ---: | ---: | --- | --- |")
    for key in [("ingest", "appraise"), ("kpi", "appraise"), ("run", "appraise-cold"),
                ("ingest", "duckdb"), ("kpi", "duckdb")]:
        (t1, m1), (t2, m2) = a[key], b[key]
        kt, km = math.log(t2 / t1) / math.log(5), math.log(m2 / m1) / math.log(5)
        ours = key[1].startswith("appraise")
        target = "time k ≤ 1.0, memory k < 1" if ours else ""
        met = ("yes" if kt <= 1.0 and km < 1.0 else "no") if ours else ""
        out.append(f"| {key[0]} ({key[1]}) | {kt:.2f} | {km:.2f} | {target} | {met} |")

results = root / "RESULTS.md"
text = results.read_text()
block = "<!-- results -->\n" + "\n".join(out) + "\n<!-- /results -->"
text = re.sub(r"<!-- results -->.*<!-- /results -->", lambda _: block, text, flags=re.S)
results.write_text(text)
