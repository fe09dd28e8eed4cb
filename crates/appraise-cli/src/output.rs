//! Rendering of summaries for a terminal (tables) and for scripts (JSON).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use datafusion::arrow::record_batch::RecordBatch;

use crate::cli::OutputFormat;

use appraise_data::{Dataset, Table};
use serde_json::json;

/// `{"tables": {"<table>": {"read", "loaded", "rejected", "duplicates", "reasons"}},
/// "warnings": [...]}` — a shape scripts depend on.
pub(crate) fn accounting_json(data: &Dataset) -> String {
    let tables: serde_json::Map<String, serde_json::Value> = data
        .tables
        .iter()
        .map(|t| (t.table.name().to_string(), json!(t.accounting)))
        .collect();
    let mut v = json!({ "tables": tables, "warnings": data.warnings });
    if let Some(x) = &data.xroad {
        v["xroad"] = json!(x);
    }
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// Rows read, loaded, rejected and duplicated per table, then rejections by reason.
pub(crate) fn accounting_table(data: &Dataset) -> String {
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
    if let Some(x) = &data.xroad {
        s.push_str(&xroad_summary(x));
    }
    s
}

/// What became of every X-Road record: paired, orphaned, repeated or unusable.
pub(crate) fn xroad_summary(x: &appraise_data::xroad::Summary) -> String {
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
pub(crate) fn data_summary(data: &Dataset, tz: chrono_tz::Tz) -> String {
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
    for (table, column) in [
        (Table::Exchanges, "requested_at"),
        (Table::ShareRequests, "submitted_at"),
        (Table::Services, "submitted_at"),
    ] {
        let t = data.table(table);
        let span = t
            .time_span(column)
            .map_or("no rows".to_string(), |(lo, hi)| {
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

impl crate::cli::OutputArgs {
    /// Writes a command's result where `--out` and `--format` say.
    pub(crate) fn write(&self, batches: &[RecordBatch]) -> Result<()> {
        match &self.out {
            Some(p) => write_user_file(batches, self.format, p, self.force),
            None => write_batches(batches, self.format, None),
        }
    }
}

/// A table for a person at a terminal: every floating-point column shown with two
/// decimals (the files keep more).
pub(crate) fn two_decimals(batch: &RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let decimal = DataType::Decimal128(38, 2);
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        if f.data_type() == &DataType::Float64 {
            fields.push(Field::new(f.name(), decimal.clone(), true));
            columns.push(datafusion::arrow::compute::cast(c, &decimal)?);
        } else {
            fields.push(f.as_ref().clone());
            columns.push(c.clone());
        }
    }
    Ok(RecordBatch::try_new(
        std::sync::Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Writes batches to a file the user named (`--out FILE`): a new file, or with `force`
/// an existing one replaced. The file is written beside its place and renamed into it,
/// so a failed write leaves what was there.
fn write_user_file(
    batches: &[RecordBatch],
    format: OutputFormat,
    path: &Path,
    force: bool,
) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => bail!(appraise_data::Error::Input {
            reason: format!("{}: is a folder; --out names a file here", path.display()),
            hint: Some("give a file name, e.g. --out result.csv".into()),
        }),
        Ok(_) if !force => bail!(appraise_data::Error::Input {
            reason: format!("{}: the file exists", path.display()),
            hint: Some("pass --force to replace it, or choose another name".into()),
        }),
        _ => {}
    }
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let written = write_batches(batches, format, Some(&tmp))
        .and_then(|()| Ok(std::fs::rename(&tmp, path)?))
        .with_context(|| format!("writing {}", path.display()));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Writes batches as a table, CSV, JSON (an array of objects) or Parquet, to `out` or to
/// standard output (Parquet needs a file).
pub(crate) fn write_batches(
    batches: &[RecordBatch],
    format: OutputFormat,
    out: Option<&Path>,
) -> Result<()> {
    use appraise_report::tables::{TableFormat, write};
    match (format, out) {
        (OutputFormat::Csv, Some(p)) => return Ok(write(batches, TableFormat::Csv, p)?),
        (OutputFormat::Json, Some(p)) => return Ok(write(batches, TableFormat::Json, p)?),
        (OutputFormat::Parquet, Some(p)) => return Ok(write(batches, TableFormat::Parquet, p)?),
        (OutputFormat::Parquet, None) => bail!(appraise_data::Error::Input {
            reason: "--format parquet writes a file".into(),
            hint: Some("add --out FILE.parquet".into()),
        }),
        _ => {}
    }
    let mut sink: Box<dyn std::io::Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match format {
        OutputFormat::Csv => {
            let mut w = datafusion::arrow::csv::Writer::new(&mut sink);
            for b in batches {
                w.write(b)?;
            }
        }
        OutputFormat::Json => {
            let mut w = datafusion::arrow::json::ArrayWriter::new(&mut sink);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            writeln!(sink)?;
        }
        OutputFormat::Table | OutputFormat::Parquet => {
            let table = datafusion::arrow::util::pretty::pretty_format_batches(batches)?;
            writeln!(sink, "{table}")?;
        }
    }
    sink.flush()?;
    Ok(())
}
