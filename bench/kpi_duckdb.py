"""The KPI stage on DuckDB, for bench/run.sh: every KPI file run as written, over the
warehouse's Parquet files, with the tables scoped to the period as appraise scopes them
(crates/appraise-kpi/src/engine.rs, `Engine::scope`):

- the same files: those whose time span (in _warehouse.json) may hold rows of the period;
- exchanges, share_requests and services: rows whose time column lies in [start, end);
  services_completed: rows completed in [start, end); catalog: registered before end;
- share-request decisions and catalog updates at or after the end read as not yet made;
- a local date column `<x>_date` beside each timestamp column `<x>_at`;
- `calendar` and `period` as appraise computes them (CSV files given).

    python kpi_duckdb.py WAREHOUSE KPI_DIR CALENDAR.csv PERIOD.csv TIMEZONE OUT.csv [OVERRIDES]

Writes `kpi,department_id,value` for every row a KPI returns. With OVERRIDES, a folder,
a file of it replaces the KPI file of the same name: bench/duckdb/researcher holds the
percentile KPIs as a researcher writes them in DuckDB (`quantile_cont`). With OVERRIDES
a `.sql` file, that one statement computes every KPI (`kpi, department_id, value`):
bench/duckdb/fused.sql.
"""

import csv
import json
import pathlib
import sys

import duckdb

wh, kpi_dir, calendar_csv, period_csv, tz, out = sys.argv[1:7]
overrides = pathlib.Path(sys.argv[7]) if len(sys.argv) > 7 else None
wh = pathlib.Path(wh)
manifest = json.loads((wh / "_warehouse.json").read_text())
with open(period_csv) as f:
    period = next(csv.DictReader(f))

con = duckdb.connect()
con.execute(f"SET TimeZone = '{tz}'")
# Period bounds as instants.
start = f"TIMESTAMPTZ '{period['start_ts']}'"
end = f"TIMESTAMPTZ '{period['end_ts']}'"
start_us = con.execute(f"SELECT epoch_us({start})").fetchone()[0]
end_us = con.execute(f"SELECT epoch_us({end})").fetchone()[0]


def files(table, keep):
    paths = [
        str(wh / f["path"])
        for f in manifest["files"]
        if f["table"] == table and ("span" not in f or keep(*f["span"]))
    ]
    return "[" + ", ".join(f"'{p}'" for p in paths) + "]"


overlapping = lambda lo, hi: lo < end_us and hi >= start_us
before_end = lambda lo, hi: lo < end_us
everything = lambda lo, hi: True


def view(name, table, keep, where, replace=None):
    replace = replace or {}
    source = f"read_parquet({files(table, keep)})"
    columns = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    select = []
    for column, kind, *_ in columns:
        select.append(f"{replace.get(column, column)} AS {column}")
        if kind.startswith("TIMESTAMP"):
            date = column[: -len("_at")] + "_date" if column.endswith("_at") else column + "_date"
            select.append(f"CAST(({replace.get(column, column)}) AT TIME ZONE '{tz}' AS DATE) AS {date}")
    con.execute(
        f"CREATE VIEW {name} AS SELECT {', '.join(select)} FROM {source} WHERE {where}"
    )


within = lambda c: f"{c} >= {start} AND {c} < {end}"
late = lambda c: f"CASE WHEN {c} >= {end} THEN NULL ELSE {c} END"
view("exchanges", "exchanges", overlapping, within("requested_at"))
view(
    "share_requests",
    "share_requests",
    overlapping,
    within("submitted_at"),
    {
        "decided_at": late("decided_at"),
        "decision": f"CASE WHEN decided_at >= {end} THEN 'pending' ELSE decision END",
    },
)
view(
    "catalog",
    "catalog",
    before_end,
    f"registered_at < {end}",
    {"last_updated_at": late("last_updated_at")},
)
view("services", "services", overlapping, within("submitted_at"))
view("services_completed", "services", before_end, within("completed_at"))
view("departments", "departments", everything, "TRUE")
con.execute(
    f"CREATE TABLE calendar AS SELECT CAST(date AS DATE) AS date, "
    f"CAST(is_workday AS BOOLEAN) AS is_workday, CAST(workday_seq AS BIGINT) AS workday_seq "
    f"FROM read_csv('{calendar_csv}')"
)
con.execute(
    f"CREATE TABLE period AS SELECT {start} AS start_ts, {end} AS end_ts, "
    f"DATE '{period['start_date']}' AS start_date, DATE '{period['end_date']}' AS end_date, "
    f"'{period['label']}' AS label"
)

with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["kpi", "department_id", "value"])
    if overrides is not None and overrides.is_file():
        for kpi, department, value in con.execute(overrides.read_text()).fetchall():
            w.writerow([kpi, department, value])
        sys.exit(0)
    for path in sorted(pathlib.Path(kpi_dir).glob("*.sql")):
        # The built-in KPIs the default scorecard scores, as the fused statement has.
        if "\n-- optional: true\n" in path.read_text():
            continue
        if overrides is not None and (overrides / path.name).is_file():
            path = overrides / path.name
        result = con.execute(path.read_text())
        names = [d[0] for d in result.description]
        for row in result.fetchall():
            r = dict(zip(names, row))
            w.writerow([path.stem, r["department_id"], r["value"]])
