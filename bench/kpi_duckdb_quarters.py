"""The KPIs of several quarters on DuckDB in one hand-fused statement, for bench/run.sh:
the 18 KPIs of bench/duckdb/fused.sql grouped by period as well as by department
(bench/duckdb/fused_quarters.sql), over the warehouse's Parquet files, each table scoped
to each period as appraise scopes it (see kpi_duckdb.py): a row belongs to every period
its scoping puts it in (an exchange to the quarter of its request; a catalog entry to
every quarter whose end it precedes, with the updates after that end unseen; a share
request's decision after the quarter's end read as not made).

    python kpi_duckdb_quarters.py WAREHOUSE CALENDAR.csv PERIODS.csv TIMEZONE OUT.csv

PERIODS.csv: the `period` table of each period (`appraise sql "SELECT * FROM period"`),
one row each. Writes `period,kpi,department_id,value`, and prints the seconds from
connecting to DuckDB to the last row fetched (the statement's time, without Python's
start), which bench/run.sh compares with the KPI step of appraise's cold run.
"""

import csv
import json
import pathlib
import sys
import time

import duckdb

wh, calendar_csv, periods_csv, tz, out = sys.argv[1:6]
wh = pathlib.Path(wh)
manifest = json.loads((wh / "_warehouse.json").read_text())
here = pathlib.Path(__file__).parent

began = time.perf_counter()
con = duckdb.connect()
con.execute(f"SET TimeZone = '{tz}'")
con.execute(
    f"CREATE TABLE periods AS SELECT label, CAST(start_ts AS TIMESTAMPTZ) AS start_ts, "
    f"CAST(end_ts AS TIMESTAMPTZ) AS end_ts, CAST(start_date AS DATE) AS start_date, "
    f"CAST(end_date AS DATE) AS end_date FROM read_csv('{periods_csv}', all_varchar = true)"
)
spans = [
    tuple(r)
    for r in con.execute("SELECT epoch_us(start_ts), epoch_us(end_ts) FROM periods").fetchall()
]
last_end = max(e for _, e in spans)


def files(table, keep):
    paths = [
        str(wh / f["path"])
        for f in manifest["files"]
        if f["table"] == table and ("span" not in f or keep(*f["span"]))
    ]
    return "[" + ", ".join(f"'{p}'" for p in paths) + "]"


overlapping = lambda lo, hi: any(lo < e and hi >= s for s, e in spans)
before_end = lambda lo, hi: lo < last_end


def view(name, table, keep, on, replace=None):
    """`name`: the rows of `table` in each period (`on` joins a row `t` to period `p`),
    with the period's label, end and end date."""
    replace = replace or {}
    source = f"read_parquet({files(table, keep)})"
    columns = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    select = []
    for column, kind, *_ in columns:
        value = replace.get(column, f"t.{column}")
        select.append(f"{value} AS {column}")
        if kind.startswith("TIMESTAMP"):
            date = column[: -len("_at")] + "_date" if column.endswith("_at") else column + "_date"
            select.append(f"CAST(({value}) AT TIME ZONE '{tz}' AS DATE) AS {date}")
    con.execute(
        f"CREATE VIEW {name} AS SELECT {', '.join(select)}, p.label AS period, "
        f"p.end_ts AS end_ts, p.end_date AS end_date FROM {source} t JOIN periods p ON {on}"
    )


within = lambda c: f"t.{c} >= p.start_ts AND t.{c} < p.end_ts"
late = lambda c: f"CASE WHEN t.{c} >= p.end_ts THEN NULL ELSE t.{c} END"
view("exchanges", "exchanges", overlapping, within("requested_at"))
view(
    "share_requests",
    "share_requests",
    overlapping,
    within("submitted_at"),
    {
        "decided_at": late("decided_at"),
        "decision": "CASE WHEN t.decided_at >= p.end_ts THEN 'pending' ELSE t.decision END",
    },
)
view(
    "catalog",
    "catalog",
    before_end,
    "t.registered_at < p.end_ts",
    {"last_updated_at": late("last_updated_at")},
)
view("services", "services", overlapping, within("submitted_at"))
view("services_completed", "services", before_end, within("completed_at"))
con.execute(
    f"CREATE TABLE calendar AS SELECT CAST(date AS DATE) AS date, "
    f"CAST(is_workday AS BOOLEAN) AS is_workday, CAST(workday_seq AS BIGINT) AS workday_seq "
    f"FROM read_csv('{calendar_csv}')"
)
rows = con.execute((here / "duckdb" / "fused_quarters.sql").read_text()).fetchall()
seconds = time.perf_counter() - began

with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["period", "kpi", "department_id", "value"])
    w.writerows(rows)
print(f"{seconds:.3f}")
