//! A data set summarised for a terminal (a table, or lines in the report's words) and
//! for scripts (JSON): rows read, loaded and rejected per table, rejections by reason,
//! departments by level, each log's span, what became of X-Road records; what an
//! ingest did; the KPI library.

use std::fmt::Write as _;

use appraise_data::{Dataset, Table};
use serde_json::json;

/// `{"tables": {"<table>": {"read", "loaded", "rejected", "duplicates", "reasons"}},
/// "warnings": [...]}` — a shape scripts depend on.
pub fn accounting_json(data: &Dataset) -> String {
    let tables: serde_json::Map<String, serde_json::Value> = data
        .tables
        .iter()
        .map(|t| (t.table.name().to_string(), json!(t.accounting)))
        .collect();
    let mut v = json!({ "tables": tables, "warnings": data.warnings });
    // The source's report under its name (`"xroad"`).
    if let Some(serde_json::Value::Object(report)) = data.report.as_ref().map(|r| json!(r)) {
        for (name, value) in report {
            v[name] = value;
        }
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// Rows read, loaded, rejected and duplicated per table, then rejections by reason.
pub fn accounting_table(data: &Dataset) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<16} {:>12} {:>12} {:>10} {:>10}",
        "table", "read", "loaded", "rejected", "duplicates"
    );
    for t in &data.tables {
        let a = &t.accounting;
        let _ = writeln!(
            s,
            "{:<16} {:>12} {:>12} {:>10} {:>10}",
            t.table.name(),
            a.read,
            a.loaded,
            a.rejected,
            a.duplicates
        );
    }
    let reasons: Vec<(&str, &str, u64)> = data
        .tables
        .iter()
        .flat_map(|t| {
            t.accounting
                .reasons
                .iter()
                .map(move |(r, n)| (t.table.name(), r.as_str(), *n))
        })
        .collect();
    if !reasons.is_empty() {
        let _ = writeln!(s, "\nrejected by reason:");
        for (table, reason, n) in reasons {
            let _ = writeln!(s, "  {table:<16} {reason:<20} {n:>10}");
        }
    }
    if let Some(r) = &data.report {
        s.push_str(&source_report(r));
    }
    s
}

/// [`accounting_table`] and [`data_summary`] in the words of `w` (a Chinese run's
/// terminal): a line per table, the rejections by reason, the departments by level and
/// each log's span. Lines, not aligned columns: Chinese characters take two columns.
pub fn data_in_words(data: &Dataset, tz: chrono_tz::Tz, w: &crate::lang::Strings) -> String {
    let mut s = String::new();
    let word = |group: &str, value: &str| {
        w.0.get(&format!("{group}:{value}"))
            .cloned()
            .unwrap_or_else(|| value.to_string())
    };
    for t in &data.tables {
        let a = &t.accounting;
        let counts = [a.read, a.loaded, a.rejected, a.duplicates].map(|n| n.to_string());
        let _ = writeln!(
            s,
            "{}",
            w.fill(
                "cli:table_rows",
                &[
                    ("table", &word("table", t.table.name())),
                    ("read", &counts[0]),
                    ("loaded", &counts[1]),
                    ("rejected", &counts[2]),
                    ("duplicates", &counts[3]),
                ]
            )
        );
        for (reason, n) in &t.accounting.reasons {
            let _ = writeln!(
                s,
                "  {}",
                w.fill(
                    "cli:reason_rows",
                    &[
                        ("reason", &word("reason", reason)),
                        ("count", &n.to_string())
                    ]
                )
            );
        }
    }
    let depts = data.table(Table::Departments);
    let levels: Vec<String> = depts
        .value_counts("level")
        .iter()
        .map(|(l, n)| {
            w.fill(
                "cli:level_count",
                &[("level", &word("level", l)), ("count", &n.to_string())],
            )
        })
        .collect();
    let _ = writeln!(
        s,
        "{}",
        w.fill(
            "cli:departments",
            &[
                ("count", &depts.num_rows().to_string()),
                ("levels", &levels.join(&w.get("list_sep")))
            ]
        )
    );
    for table in [Table::Exchanges, Table::ShareRequests, Table::Services] {
        let t = data.table(table);
        let name = word("table", table.name());
        let line = match t.time_span() {
            Some((lo, hi)) => w.fill(
                "cli:span",
                &[
                    ("table", &name),
                    ("count", &t.num_rows().to_string()),
                    ("first", &local_date(lo, tz)),
                    ("last", &local_date(hi, tz)),
                ],
            ),
            None => w.fill("cli:no_rows", &[("table", &name)]),
        };
        let _ = writeln!(s, "{line}");
    }
    s
}

/// A source's own account of a load, as lines.
pub fn source_report(report: &appraise_data::SourceReport) -> String {
    match report {
        appraise_data::SourceReport::Xroad(x) => xroad_summary(x),
    }
}

/// What became of every X-Road record: paired, orphaned, repeated or unusable.
fn xroad_summary(x: &appraise_data::xroad::Summary) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\nX-Road records {:>12}", x.records);
    for (what, n) in [
        ("in pairs", 2 * x.pairs),
        ("Client only", x.client_orphans),
        ("Producer only", x.producer_orphans),
        ("repeats", x.duplicates),
        ("unusable", x.unusable),
    ] {
        let _ = writeln!(s, "  {what:<14} {n:>12}");
    }
    let _ = writeln!(
        s,
        "exchanges {:>17} ({} pairs, {} orphans)",
        x.pairs + x.client_orphans + x.producer_orphans,
        x.pairs,
        x.client_orphans + x.producer_orphans
    );
    if x.auto_departments > 0 {
        let _ = writeln!(
            s,
            "departments made for unmapped members: {}",
            x.auto_departments
        );
    }
    s
}

/// What the data covers: departments by level and the span of each log.
pub fn data_summary(data: &Dataset, tz: chrono_tz::Tz) -> String {
    let mut s = String::new();
    let depts = data.table(Table::Departments);
    let levels: Vec<String> = depts
        .value_counts("level")
        .iter()
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    let _ = writeln!(
        s,
        "\n{} departments ({})",
        depts.num_rows(),
        levels.join(", ")
    );
    for table in [Table::Exchanges, Table::ShareRequests, Table::Services] {
        let column = table.time_column().unwrap_or_default();
        let t = data.table(table);
        let span = t.time_span().map_or("no rows".to_string(), |(lo, hi)| {
            format!("{} .. {}", local_date(lo, tz), local_date(hi, tz))
        });
        let _ = writeln!(
            s,
            "{:<16} {:>12} rows, {column} {span}",
            table.name(),
            t.num_rows()
        );
    }
    s
}

fn local_date(us: i64, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// What an ingest did, per table (read, loaded, rejected, duplicates, already in the
/// warehouse, written), the source's own account, and the files committed to `into`.
pub fn ingested(done: &appraise_data::warehouse::Ingested, into: &std::path::Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<16} {:>12} {:>12} {:>10} {:>10} {:>12} {:>12}",
        "table", "read", "loaded", "rejected", "duplicates", "in warehouse", "written"
    );
    for (table, a) in &done.accounting {
        let _ = writeln!(
            s,
            "{table:<16} {:>12} {:>12} {:>10} {:>10} {:>12} {:>12}",
            a.read,
            a.loaded,
            a.rejected,
            a.duplicates,
            done.already_present.get(table).copied().unwrap_or(0),
            done.written.get(table).copied().unwrap_or(0),
        );
    }
    if let Some(r) = &done.report {
        s.push_str(&source_report(r));
    }
    let _ = writeln!(
        s,
        "{} files committed to {}",
        done.files.len(),
        into.display()
    );
    s
}

/// The KPI library, one line each: id, dimension, direction, unit, title.
pub fn kpi_list(kpis: &[appraise_kpi::KpiDef]) -> String {
    let mut s = format!(
        "{:<28} {:<16} {:<9} {:<14} title\n",
        "kpi", "dimension", "direction", "unit"
    );
    for k in kpis {
        let direction = match k.direction {
            appraise_kpi::Direction::Higher => "higher",
            appraise_kpi::Direction::Lower => "lower",
        };
        let _ = writeln!(
            s,
            "{:<28} {:<16} {:<9} {:<14} {}",
            k.id,
            k.dimension,
            direction,
            k.unit.as_deref().unwrap_or(""),
            k.title
        );
    }
    s
}
