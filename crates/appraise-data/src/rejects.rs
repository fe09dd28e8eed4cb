//! The rejects files: `rejects/<table>.csv`, one row per rejected input row.
//!
//! Columns: `file, line, id, column, reason, record, detail`. `line` is the 1-based
//! physical line where the row starts (the header is line 1) for CSV, the line number
//! for JSON Lines, and the 0-based row index for Parquet and Arrow IPC. `record` is the
//! row as read, with personal data replaced by `[redacted]`; `detail` says what was
//! wrong in words.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::Error;

/// The header of every rejects file.
pub const REJECT_COLUMNS: [&str; 7] =
    ["file", "line", "id", "column", "reason", "record", "detail"];

/// Stands in for personal data in a rejected record.
pub const REDACTED: &str = "[redacted]";

/// A cell of text made safe to open in a spreadsheet: one that begins like a formula
/// (`=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, which spreadsheets
/// show as text and do not run. The rejects files, like the report's summaries, are
/// opened by people.
pub fn spreadsheet_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// One rejected row.
#[derive(Debug)]
pub(crate) struct Reject<'a> {
    pub file: &'a str,
    pub line: u64,
    pub id: &'a str,
    pub column: &'a str,
    pub reason: &'a str,
    pub detail: &'a str,
    pub record: &'a str,
}

/// Where rejected rows go: a CSV file, or nowhere (counted only).
pub(crate) struct RejectWriter {
    out: Option<(PathBuf, csv::Writer<BufWriter<File>>)>,
}

impl RejectWriter {
    /// Counts only.
    pub(crate) fn discard() -> Self {
        RejectWriter { out: None }
    }

    /// Writes `<dir>/<table>.csv`, header included even when nothing is rejected.
    pub(crate) fn create(dir: &Path, table: &str) -> Result<Self, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let path = dir.join(format!("{table}.csv"));
        let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
        let mut w = csv::Writer::from_writer(BufWriter::new(file));
        w.write_record(REJECT_COLUMNS)
            .map_err(|e| Error::csv_write(&path, e))?;
        Ok(RejectWriter {
            out: Some((path, w)),
        })
    }

    pub(crate) fn write(&mut self, r: &Reject<'_>) -> Result<(), Error> {
        if let Some((path, w)) = &mut self.out {
            let line = r.line.to_string();
            let cells = [r.file, &line, r.id, r.column, r.reason, r.record, r.detail];
            w.write_record(cells.map(|c| spreadsheet_safe(c).into_owned()))
                .map_err(|e| Error::csv_write(path, e))?;
        }
        Ok(())
    }

    pub(crate) fn close(self) -> Result<(), Error> {
        if let Some((path, w)) = self.out {
            let mut inner = w
                .into_inner()
                .map_err(|e| Error::io(&path, e.into_error()))?;
            inner.flush().map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    }
}
