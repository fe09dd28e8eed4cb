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

/// [`accounting_table`] and [`data_summary`] in the words of `w` (a Chinese run's
/// terminal): a line per table, the rejections by reason, the departments by level and
/// each log's span. Lines, not aligned columns: Chinese characters take two columns.
pub(crate) fn data_in_words(
    data: &Dataset,
    tz: chrono_tz::Tz,
    w: &appraise_report::lang::Strings,
) -> String {
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

impl crate::cli::OutputArgs {
    /// Writes a command's result where `--out` and `--format` say; `inputs` are the
    /// paths the command reads, which `--out` may not name.
    pub(crate) fn write(&self, batches: &[RecordBatch], inputs: &[&std::path::Path]) -> Result<()> {
        let mut out = self.stream(inputs)?;
        for b in batches {
            out.push(b)?;
        }
        out.finish(batches.first().map(RecordBatch::schema))
    }

    /// A writer of a result that comes batch by batch, so that a large result streams
    /// to its file (or to standard output) instead of being held in memory. `--out FILE`
    /// is a new file, or with `--force` an existing one replaced; it is written beside
    /// its place and renamed into it at the end, so a failed query leaves what was there.
    /// It may not be or lie in one of `inputs`, even with `--force`.
    pub(crate) fn stream(&self, inputs: &[&std::path::Path]) -> Result<Streamed> {
        let target = match &self.out {
            None => None,
            Some(path) => {
                let inputs: Vec<_> = inputs.iter().map(|p| p.to_path_buf()).collect();
                appraise_data::staging::check_output_file(path, &inputs)?;
                match std::fs::symlink_metadata(path) {
                    Ok(m) if m.is_dir() => bail!(crate::Usage {
                        reason: format!("{}: is a folder; --out names a file here", path.display()),
                        hint: Some("give a file name, e.g. --out result.csv".into()),
                    }),
                    Ok(_) if !self.force => bail!(crate::Usage {
                        reason: format!("{}: the file exists", path.display()),
                        hint: Some("pass --force to replace it, or choose another name".into()),
                    }),
                    _ => {}
                }
                let name = path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                let tmp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
                Some((tmp, path.clone()))
            }
        };
        let sink = || -> Result<Box<dyn std::io::Write>> {
            Ok(match &target {
                Some((tmp, _)) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(tmp)
                        .with_context(|| format!("creating {}", tmp.display()))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout())),
            })
        };
        let writer = match self.format {
            OutputFormat::Table => Writer::Table(Vec::new(), 0),
            OutputFormat::Csv => Writer::Csv(datafusion::arrow::csv::Writer::new(sink()?)),
            OutputFormat::Json => Writer::Json(datafusion::arrow::json::ArrayWriter::new(sink()?)),
            OutputFormat::Parquet => {
                let Some((tmp, _)) = &target else {
                    bail!(crate::Usage {
                        reason: "--format parquet writes a file".into(),
                        hint: Some("add --out FILE.parquet".into()),
                    });
                };
                let file = std::fs::File::create(tmp)
                    .with_context(|| format!("creating {}", tmp.display()))?;
                Writer::Parquet(Some(file), None)
            }
        };
        Ok(Streamed {
            writer: Some(writer),
            target,
        })
    }
}

/// A failed write as its I/O error (Arrow's wrapper would print the cause twice).
fn write_error(e: datafusion::arrow::error::ArrowError) -> anyhow::Error {
    match e {
        datafusion::arrow::error::ArrowError::IoError(_, io) => {
            anyhow::Error::from(io).context("writing the result")
        }
        other => other.into(),
    }
}

/// Rows `--format table` shows; the rest are counted, and the other formats give them.
const TABLE_ROWS: usize = 10_000;

/// A result being written ([`crate::cli::OutputArgs::stream`]).
pub(crate) struct Streamed {
    writer: Option<Writer>,
    /// The file being written and the file it becomes, for `--out`.
    target: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

enum Writer {
    /// Batches kept for the table (at most [`TABLE_ROWS`] rows), and the rows past them.
    Table(Vec<RecordBatch>, usize),
    Csv(datafusion::arrow::csv::Writer<Box<dyn std::io::Write>>),
    Json(datafusion::arrow::json::ArrayWriter<Box<dyn std::io::Write>>),
    /// The file until the first batch gives the schema, then the writer.
    Parquet(
        Option<std::fs::File>,
        Option<datafusion::parquet::arrow::ArrowWriter<std::fs::File>>,
    ),
}

impl Streamed {
    /// Writes the next batch.
    pub(crate) fn push(&mut self, batch: &RecordBatch) -> Result<()> {
        match self.writer.as_mut() {
            Some(Writer::Table(kept, hidden)) => {
                let shown: usize = kept.iter().map(RecordBatch::num_rows).sum();
                let room = TABLE_ROWS.saturating_sub(shown).min(batch.num_rows());
                if room > 0 {
                    kept.push(batch.slice(0, room));
                }
                *hidden += batch.num_rows() - room;
            }
            Some(Writer::Csv(w)) => w.write(batch).map_err(write_error)?,
            Some(Writer::Json(w)) => w.write(batch).map_err(write_error)?,
            Some(Writer::Parquet(file, w)) => {
                if let Some(file) = file.take() {
                    *w = Some(datafusion::parquet::arrow::ArrowWriter::try_new(
                        file,
                        batch.schema(),
                        None,
                    )?);
                }
                if let Some(w) = w {
                    w.write(batch)?;
                }
            }
            None => {}
        }
        Ok(())
    }

    /// Ends the result: flushes it, and moves an `--out` file into place. `schema` is
    /// the result's, for a Parquet file of no rows.
    pub(crate) fn finish(
        mut self,
        schema: Option<datafusion::arrow::datatypes::SchemaRef>,
    ) -> Result<()> {
        match self.writer.take() {
            Some(Writer::Table(kept, hidden)) => {
                let table = datafusion::arrow::util::pretty::pretty_format_batches(&kept)?;
                let text = format!("{table}\n");
                match &self.target {
                    Some((tmp, _)) => std::fs::write(tmp, text)?,
                    None => std::io::stdout().lock().write_all(text.as_bytes())?,
                }
                if hidden > 0 {
                    eprintln!(
                        "{hidden} more rows not shown; --format csv, json or parquet gives them all"
                    );
                }
            }
            Some(Writer::Csv(w)) => w.into_inner().flush()?,
            Some(Writer::Json(mut w)) => {
                w.finish()?;
                let mut inner = w.into_inner();
                writeln!(inner)?;
                inner.flush()?;
            }
            Some(Writer::Parquet(_, Some(w))) => {
                w.close()?;
            }
            Some(Writer::Parquet(Some(file), None)) => {
                // No rows: still a Parquet file, with the result's columns.
                if let Some(schema) = schema {
                    datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None)?
                        .close()?;
                }
            }
            Some(Writer::Parquet(None, None)) => {}
            None => {}
        }
        if let Some((tmp, path)) = self.target.take() {
            std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }
}

impl Drop for Streamed {
    fn drop(&mut self) {
        // Not finished: the partial file goes, the user's file stays as it was.
        if let Some((tmp, _)) = &self.target {
            self.writer = None;
            let _ = std::fs::remove_file(tmp);
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
        (OutputFormat::Parquet, None) => bail!(crate::Usage {
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
