//! Tables as files: CSV (with a header row), JSON (an array of objects) and Parquet.

use std::io::Write;
use std::path::Path;

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
