//! Where rows come from. A source ([`Source`]) hands the loader each table's rows; the
//! loader validates, de-duplicates, rejects and accounts for them the same way whatever
//! the source. The sources, and [`open`], which picks one:
//!
//! | source | module |
//! | --- | --- |
//! | table files: CSV, JSON Lines, Parquet, Arrow IPC | [`files`] |
//! | X-Road operational-monitoring records | `xroad::source` |
//! | a warehouse's committed files | `warehouse` |
//! | a PostgreSQL database | [`postgres`] |
//! | a MySQL or MariaDB database | [`mysql`] |
//!
//! [`open`] (`registry.rs`) picks the source of a `--data` or `--from`.
//!
//! Also here: the load's options, the file checks every reader makes (regular files
//! only, records of bounded length), and the mapping of a file's columns onto the
//! contract's. Below every reader; above the contract (`schema`, `validate`).

mod csv_blocks;
pub(crate) mod database;
pub(crate) mod files;
mod mysql;
mod postgres;
mod registry;

pub(crate) use registry::open;

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use encoding_rs::{Encoding, UTF_8};

use crate::pseudonym::Pseudonymiser;
use crate::schema::{Kind, Table};
use crate::validate::TableSink;
use crate::xroad::XroadOptions;
use crate::{Error, Warning};

/// A place rows come from. The loader reads the departments first (twice: once to
/// learn which departments load, since departments refer to each other, then to load
/// them), then every other table in [`Table::ALL`] order, each once.
pub(crate) trait Source {
    /// Hands every row of `table` to `sink` (none for a table the source does not hold;
    /// a warning says so where the table was expected).
    fn read(
        &mut self,
        table: Table,
        sink: &mut TableSink<'_>,
        opts: &LoadOptions,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), Error>;

    /// The files `table`'s rows came from, for a run's provenance; none for a source
    /// that is not files (a database).
    fn files(&self, _table: Table) -> Vec<PathBuf> {
        Vec::new()
    }

    /// Whether its personal fields were pseudonymised when stored (a warehouse's), so
    /// are kept as they are.
    fn pseudonymised(&self) -> bool {
        false
    }

    /// A table it leaves in committed files for queries to read there (a warehouse's),
    /// rather than handing over its rows.
    fn stored(&self, _table: Table) -> Option<Vec<StoredFile>> {
        None
    }

    /// The name a warehouse keeps its watermarks under, for a source an ingest reads
    /// incrementally (a database's address without the password); `None`, read whole
    /// each time (files are known by their hashes).
    fn identity(&self) -> Option<String> {
        None
    }

    /// Reads only the rows of `table` whose time is at or after `micros` (µs UTC), where
    /// the source can select them; others as before.
    fn since(&mut self, _table: Table, _micros: i64) {}

    /// After the last table: its own account of the load, and its warnings.
    fn finish(&mut self, _warnings: &mut Vec<Warning>) -> Option<SourceReport> {
        None
    }
}

/// A committed file as a query sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Its full path.
    pub path: PathBuf,
    /// Rows it holds.
    pub rows: u64,
    /// The earliest and latest value of the table's time column (µs UTC), when known.
    pub span: Option<(i64, i64)>,
    /// SHA-256 of its bytes, as the manifest records it.
    pub sha256: String,
}

impl StoredFile {
    /// Whether the file may hold rows whose time lies in `[start, end)`.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        self.span.is_none_or(|(lo, hi)| lo < end && hi >= start)
    }

    /// Whether the file may hold rows whose time lies before `end`.
    pub fn starts_before(&self, end: i64) -> bool {
        self.span.is_none_or(|(lo, _)| lo < end)
    }
}

/// A source's own account of a load, beside the tables' accounting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceReport {
    /// X-Road: what became of every record (pairs, orphans, repeats).
    Xroad(crate::xroad::Summary),
}

/// Bytes of CSV a worker takes at a time (a block grows past it to end on a whole
/// record).
pub(crate) const BLOCK_BYTES: usize = 4 << 20;

/// How input files are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum InputFormat {
    /// By extension: `.csv`, `.jsonl`/`.ndjson`, `.parquet`, `.arrow`/`.ipc`/`.feather`.
    #[default]
    Auto,
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC, file or stream format.
    Arrow,
    /// X-Road operational-monitoring records, paired into exchanges (`docs/xroad.md`).
    Xroad,
}

impl InputFormat {
    pub(crate) fn from_extension(ext: &str) -> Option<InputFormat> {
        match ext.to_ascii_lowercase().as_str() {
            "csv" => Some(InputFormat::Csv),
            "jsonl" | "ndjson" => Some(InputFormat::Jsonl),
            "parquet" => Some(InputFormat::Parquet),
            "arrow" | "ipc" | "feather" => Some(InputFormat::Arrow),
            _ => None,
        }
    }
}

/// Settings for a load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Zone of timestamps written without an offset.
    pub timezone: Tz,
    /// How to read the files.
    pub input_format: InputFormat,
    /// Text encoding of CSV and JSON Lines files; detected when `None`.
    pub encoding: Option<&'static Encoding>,
    /// Replaces `applicant_id`; without one the values are dropped.
    pub pseudonymiser: Option<Pseudonymiser>,
    /// Where `rejects/<table>.csv` go; rejected rows are only counted when `None`.
    pub rejects_dir: Option<PathBuf>,
    /// Rows per Arrow batch.
    pub batch_size: usize,
    /// Bytes of a CSV file each thread validates at a time.
    pub csv_block_bytes: usize,
    /// The longest record read ([`MAX_RECORD_BYTES`] by default).
    pub max_record_bytes: usize,
    /// How X-Road records become tables ([`InputFormat::Xroad`]).
    pub xroad: XroadOptions,
    /// How a database's tables become the contract's ([`database::DatabaseOptions`]).
    pub database: database::DatabaseOptions,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            timezone: crate::DEFAULT_TIMEZONE,
            input_format: InputFormat::Auto,
            encoding: None,
            pseudonymiser: None,
            rejects_dir: None,
            batch_size: 8192,
            csv_block_bytes: BLOCK_BYTES,
            max_record_bytes: MAX_RECORD_BYTES,
            xroad: XroadOptions::default(),
            database: database::DatabaseOptions::default(),
        }
    }
}

/// The longest record (a CSV record, a JSON line, an X-Road record) read by default:
/// 16 MiB. A longer one stops the load with an error naming its place, so that a file
/// without line breaks cannot take unbounded memory.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// Opens a regular file: a FIFO, a device or a socket is refused (it could block or
/// never end).
pub(crate) fn open_regular(path: &Path) -> Result<File, Error> {
    check_regular(path)?;
    File::open(path).map_err(|e| Error::io(path, e))
}

/// Refuses what is not a regular file (after symbolic links).
pub(crate) fn check_regular(path: &Path) -> Result<(), Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(());
    }
    Err(Error::unreadable(
        path,
        None,
        "not a regular file (a folder, a pipe or a device)",
        Some("point appraise at ordinary files".to_string()),
    ))
}

/// Maps a file's column names onto the contract's columns.
pub(crate) struct ColumnMap {
    /// For each contract column, the file column holding it.
    pub source: Vec<Option<usize>>,
    /// For each file column, whether a rejected record shows it as `[redacted]`: in a
    /// table with a personal column, every column but the contract's other columns
    /// (the personal one, one named like it in another case, and unknown ones).
    pub redacted: Vec<bool>,
    /// Whether the table has a personal column: a record whose fields cannot be lined
    /// up with the header is then redacted whole.
    pub redact_misaligned: bool,
}

impl ColumnMap {
    pub(crate) fn new(
        table: Table,
        path: &Path,
        names: &[&str],
        warnings: &mut Vec<Warning>,
    ) -> Result<Self, Error> {
        let cols = table.columns();
        let mut source = vec![None; cols.len()];
        let has_personal = cols.iter().any(|c| c.kind == Kind::Personal);
        let mut redacted = vec![has_personal; names.len()];
        let mut unknown = Vec::new();
        for (i, raw) in names.iter().enumerate() {
            let name = raw.trim();
            match table.column_index(name) {
                Some(c) if source[c].is_some() => {
                    return Err(Error::unreadable(
                        path,
                        Some("header".into()),
                        format!("column {name:?} appears twice"),
                        Some("remove or rename one of them".to_string()),
                    ));
                }
                Some(c) => {
                    source[c] = Some(i);
                    redacted[i] = cols[c].kind == Kind::Personal;
                }
                None => unknown.push(name.to_string()),
            }
        }
        let missing: Vec<&str> = cols
            .iter()
            .zip(&source)
            .filter(|(c, s)| c.required && s.is_none())
            .map(|(c, _)| c.name)
            .collect();
        if !missing.is_empty() {
            let required: Vec<&str> = cols.iter().filter(|c| c.required).map(|c| c.name).collect();
            return Err(Error::unreadable(
                path,
                Some("header".into()),
                format!("missing required column(s) {}", missing.join(", ")),
                Some(format!(
                    "the {table} table needs the columns {}",
                    required.join(", ")
                )),
            ));
        }
        if !unknown.is_empty() {
            warnings.push(
                Warning::new(
                    "ignored_columns",
                    format!(
                        "{}: ignored column(s) not in the {table} table: {}",
                        path.display(),
                        unknown.join(", ")
                    ),
                )
                .arg("file", path.display())
                .arg("table", table)
                .list("columns", &unknown),
            );
        }
        Ok(ColumnMap {
            source,
            redacted,
            redact_misaligned: has_personal,
        })
    }

    pub(crate) fn fields<'r>(
        &self,
        get: impl Fn(usize) -> Option<&'r str>,
    ) -> Vec<Option<&'r str>> {
        self.source.iter().map(|s| s.and_then(&get)).collect()
    }
}

pub(crate) fn encoding_error(path: &Path, e: crate::encoding::EncodingProblem) -> Error {
    Error::unreadable(path, None, e.reason, Some(e.hint))
}

pub(crate) fn decode_hint(encoding: &'static Encoding) -> String {
    if encoding == UTF_8 {
        "the file may be GB18030/GBK: pass --encoding gb18030, or save it as UTF-8".into()
    } else {
        "the file is not consistently encoded: save it as UTF-8".into()
    }
}
