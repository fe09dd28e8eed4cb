//! Tables as files: CSV (with a header row), JSON (an array of objects) and Parquet.

use std::io::Write;
use std::path::{Path, PathBuf};

use appraise_score::Appraisal;
use datafusion::arrow::record_batch::RecordBatch;

use crate::Error;

/// A table file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// A JSON array of objects, one per row.
    Json,
    /// Apache Parquet.
    Parquet,
}

impl TableFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Json => "json",
            TableFormat::Parquet => "parquet",
        }
    }
}

pub use appraise_data::spreadsheet_safe;

/// `batch` with every text cell made [`spreadsheet_safe`], for the CSV files a person
/// opens (`ranking.csv` and the other summaries); `kpis.csv`, `scores.csv` and every
/// JSON and Parquet file keep text exactly.
pub fn for_spreadsheets(batch: &RecordBatch) -> RecordBatch {
    use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| match c.as_string_opt::<i32>() {
            Some(text) if text.iter().flatten().any(|t| spreadsheet_safe(t) != t) => {
                let safe: StringArray = text.iter().map(|t| t.map(spreadsheet_safe)).collect();
                std::sync::Arc::new(safe) as ArrayRef
            }
            _ => c.clone(),
        })
        .collect();
    // Same schema, same lengths: this cannot fail.
    RecordBatch::try_new(batch.schema(), columns).unwrap_or_else(|_| batch.clone())
}

/// Writes every table of `appraisal` ([`Appraisal::tables`]) into `dir` as
/// `<name>.<ext>` in `format`; as CSV, the summaries [`for_spreadsheets`] and
/// `scores.csv` exact. The tables, for a caller that writes more of them.
pub fn write_appraisal(
    appraisal: &Appraisal,
    dir: &Path,
    format: TableFormat,
) -> Result<[(&'static str, RecordBatch); 9], Error> {
    let tables = appraisal.tables().map_err(|e| Error::Table {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    for (name, batch) in &tables {
        let path = dir.join(format!("{name}.{}", format.extension()));
        if format == TableFormat::Csv && *name != "scores" {
            write(&[for_spreadsheets(batch)], format, &path)?;
        } else {
            write(std::slice::from_ref(batch), format, &path)?;
        }
    }
    Ok(tables)
}

/// Writes `batches` to `path` in `format`.
pub fn write(batches: &[RecordBatch], format: TableFormat, path: &Path) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let arrow = |e: datafusion::arrow::error::ArrowError| Error::Table {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let file = std::fs::File::create(path).map_err(io)?;
    match format {
        TableFormat::Csv => {
            let mut w = datafusion::arrow::csv::Writer::new(std::io::BufWriter::new(file));
            for b in batches {
                w.write(b).map_err(arrow)?;
            }
            w.into_inner().flush().map_err(io)
        }
        TableFormat::Json => {
            let mut sink = std::io::BufWriter::new(file);
            let mut w = datafusion::arrow::json::ArrayWriter::new(&mut sink);
            for b in batches {
                w.write(b).map_err(arrow)?;
            }
            w.finish().map_err(arrow)?;
            writeln!(sink).and_then(|()| sink.flush()).map_err(io)
        }
        TableFormat::Parquet => {
            let Some(first) = batches.first() else {
                return Ok(());
            };
            let parquet = |e: datafusion::parquet::errors::ParquetError| Error::Table {
                path: path.to_path_buf(),
                reason: e.to_string(),
            };
            let mut w =
                datafusion::parquet::arrow::ArrowWriter::try_new(file, first.schema(), None)
                    .map_err(parquet)?;
            for b in batches {
                w.write(b).map_err(parquet)?;
            }
            w.close().map(drop).map_err(parquet)
        }
    }
}

/// How a result is shown or written: as a table for a person at a terminal (its first
/// [`TABLE_ROWS`] rows), or as a file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFormat {
    /// An aligned text table.
    Table,
    /// One of the file formats.
    File(TableFormat),
}

/// Rows a [`ResultFormat::Table`] shows; the rest are counted, and the file formats give
/// them.
pub const TABLE_ROWS: usize = 10_000;

/// A result written batch by batch, so that a large result streams to its file (or to
/// standard output) instead of being held in memory. A file is written beside its
/// place and renamed into it at the end, so a failed query leaves what was there; the
/// caller has checked the place ([`appraise_data::staging::check_output_file`]).
pub struct Stream {
    writer: Option<Writer>,
    /// The file being written and the file it becomes.
    target: Option<(PathBuf, PathBuf)>,
}

enum Writer {
    /// Batches kept for the table (at most [`TABLE_ROWS`] rows), and the rows past them.
    Table(Vec<RecordBatch>, usize),
    Csv(datafusion::arrow::csv::Writer<Box<dyn Write>>),
    Json(datafusion::arrow::json::ArrayWriter<Box<dyn Write>>),
    /// The file until the first batch gives the schema, then the writer.
    Parquet(
        Option<std::fs::File>,
        Option<datafusion::parquet::arrow::ArrowWriter<std::fs::File>>,
    ),
}

/// Where a stream's errors happened: its file, or standard output.
fn place(target: &Option<(PathBuf, PathBuf)>) -> PathBuf {
    target
        .as_ref()
        .map_or_else(|| PathBuf::from("standard output"), |(_, p)| p.clone())
}

impl Stream {
    /// A result in `format` to the file `out` (a new file, or with `replace` one that is
    /// replaced), or to standard output.
    pub fn open(format: ResultFormat, out: Option<&Path>, replace: bool) -> Result<Stream, Error> {
        let target = match out {
            None => None,
            Some(path) => {
                match std::fs::symlink_metadata(path) {
                    Ok(m) if m.is_dir() => {
                        return Err(Error::Output {
                            reason: format!(
                                "{}: is a folder; --out names a file here",
                                path.display()
                            ),
                            hint: "give a file name, e.g. --out result.csv".into(),
                        });
                    }
                    Ok(_) if !replace => {
                        return Err(Error::Output {
                            reason: format!("{}: the file exists", path.display()),
                            hint: "pass --force to replace it, or choose another name".into(),
                        });
                    }
                    _ => {}
                }
                let name = path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                let tmp = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
                Some((tmp, path.to_path_buf()))
            }
        };
        let io = |e: std::io::Error| Error::Io {
            path: place(&target),
            source: e,
        };
        let sink = || -> Result<Box<dyn Write>, Error> {
            Ok(match &target {
                Some((tmp, _)) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(tmp).map_err(io)?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout())),
            })
        };
        let writer = match format {
            ResultFormat::Table => Writer::Table(Vec::new(), 0),
            ResultFormat::File(TableFormat::Csv) => {
                Writer::Csv(datafusion::arrow::csv::Writer::new(sink()?))
            }
            ResultFormat::File(TableFormat::Json) => {
                Writer::Json(datafusion::arrow::json::ArrayWriter::new(sink()?))
            }
            ResultFormat::File(TableFormat::Parquet) => {
                let Some((tmp, _)) = &target else {
                    return Err(Error::Output {
                        reason: "--format parquet writes a file".into(),
                        hint: "add --out FILE.parquet".into(),
                    });
                };
                Writer::Parquet(Some(std::fs::File::create(tmp).map_err(io)?), None)
            }
        };
        Ok(Stream {
            writer: Some(writer),
            target,
        })
    }

    /// A failed write as its I/O error where it is one (Arrow's wrapper would print the
    /// cause twice), else the table's.
    fn error(&self, e: datafusion::arrow::error::ArrowError) -> Error {
        match e {
            datafusion::arrow::error::ArrowError::IoError(_, source) => Error::Io {
                path: place(&self.target),
                source,
            },
            other => Error::Table {
                path: place(&self.target),
                reason: other.to_string(),
            },
        }
    }

    /// Writes the next batch.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let parquet = |e: datafusion::parquet::errors::ParquetError| e.to_string();
        let failed = match self.writer.as_mut() {
            Some(Writer::Table(kept, hidden)) => {
                let shown: usize = kept.iter().map(RecordBatch::num_rows).sum();
                let room = TABLE_ROWS.saturating_sub(shown).min(batch.num_rows());
                if room > 0 {
                    kept.push(batch.slice(0, room));
                }
                *hidden += batch.num_rows() - room;
                None
            }
            Some(Writer::Csv(w)) => w.write(batch).err().map(Ok),
            Some(Writer::Json(w)) => w.write(batch).err().map(Ok),
            Some(Writer::Parquet(file, w)) => {
                let mut failed = None;
                if let Some(file) = file.take() {
                    match datafusion::parquet::arrow::ArrowWriter::try_new(
                        file,
                        batch.schema(),
                        None,
                    ) {
                        Ok(writer) => *w = Some(writer),
                        Err(e) => failed = Some(Err(parquet(e))),
                    }
                }
                if let (None, Some(w)) = (&failed, w) {
                    failed = w.write(batch).err().map(|e| Err(parquet(e)));
                }
                failed
            }
            None => None,
        };
        match failed {
            None => Ok(()),
            Some(Ok(arrow)) => Err(self.error(arrow)),
            Some(Err(reason)) => Err(Error::Table {
                path: place(&self.target),
                reason,
            }),
        }
    }

    /// Ends the result: flushes it, and moves a file into place. `schema` is the
    /// result's, for a Parquet file of no rows. Returns the rows a table did not show.
    pub fn finish(
        mut self,
        schema: Option<datafusion::arrow::datatypes::SchemaRef>,
    ) -> Result<usize, Error> {
        let io = |e: std::io::Error, target: &Option<(PathBuf, PathBuf)>| Error::Io {
            path: place(target),
            source: e,
        };
        let table = |e: String, target: &Option<(PathBuf, PathBuf)>| Error::Table {
            path: place(target),
            reason: e,
        };
        let mut not_shown = 0;
        match self.writer.take() {
            Some(Writer::Table(kept, hidden)) => {
                let text = datafusion::arrow::util::pretty::pretty_format_batches(&kept)
                    .map_err(|e| table(e.to_string(), &self.target))?;
                let text = format!("{text}\n");
                match &self.target {
                    Some((tmp, _)) => std::fs::write(tmp, text),
                    None => std::io::stdout().lock().write_all(text.as_bytes()),
                }
                .map_err(|e| io(e, &self.target))?;
                not_shown = hidden;
            }
            Some(Writer::Csv(w)) => w.into_inner().flush().map_err(|e| io(e, &self.target))?,
            Some(Writer::Json(mut w)) => {
                w.finish().map_err(|e| self.error(e))?;
                let mut inner = w.into_inner();
                writeln!(inner)
                    .and_then(|()| inner.flush())
                    .map_err(|e| io(e, &self.target))?;
            }
            Some(Writer::Parquet(_, Some(w))) => {
                w.close().map_err(|e| table(e.to_string(), &self.target))?;
            }
            Some(Writer::Parquet(Some(file), None)) => {
                // No rows: still a Parquet file, with the result's columns.
                if let Some(schema) = schema {
                    datafusion::parquet::arrow::ArrowWriter::try_new(file, schema, None)
                        .and_then(|w| w.close())
                        .map_err(|e| table(e.to_string(), &self.target))?;
                }
            }
            Some(Writer::Parquet(None, None)) | None => {}
        }
        if let Some((tmp, path)) = self.target.take() {
            std::fs::rename(&tmp, &path).map_err(|e| Error::Io { path, source: e })?;
        }
        Ok(not_shown)
    }
}

impl Drop for Stream {
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
pub fn two_decimals(
    batch: &RecordBatch,
) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
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
    RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_like_text_is_neutralised_for_spreadsheets() {
        // Regression (formula_injection_in_csv): names beginning with = + - @ went raw
        // into ranking.csv.
        for (given, shown) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("省数据局", "省数据局"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(spreadsheet_safe(given), shown);
        }
    }
}
