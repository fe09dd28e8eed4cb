//! The Parquet warehouse: validated rows, partitioned by table and month, deduplicated
//! on their ids, and committed through a manifest.
//!
//! ```text
//! WAREHOUSE/_warehouse.json                          the manifest: the committed files
//! WAREHOUSE/departments/part-<hash>.parquet
//! WAREHOUSE/catalog/month=2026-07/part-<hash>.parquet by registered_at
//! WAREHOUSE/exchanges/month=2026-07/part-<hash>.parquet by requested_at
//! WAREHOUSE/share_requests/month=…/…                  by submitted_at
//! WAREHOUSE/services/month=…/…                        by submitted_at
//! ```
//!
//! - **Validation** is the loader's: [`ingest`] loads the source folder with
//!   [`load_dir`](crate::load_dir) (the same rules, rejects and row accounting).
//! - **Months** are local months in the load's time zone, so that a quarter's files are
//!   exactly its three months. Rows are sorted by time within a file, written with zstd,
//!   in row groups of [`ROW_GROUP`] rows whose min/max statistics let a period filter
//!   skip what lies outside it.
//! - **Deduplication**: a row whose id the warehouse already holds in the row's month is
//!   not written again (counted as `already_present`); a repeated row has the same time,
//!   so only that month's ids are read, which bounds the memory an ingest needs.
//!   Ingesting the same files twice changes nothing. The warehouse is append-only: the
//!   first version of a row wins.
//! - **Crash safety**: new files are written and synced first; the manifest, which alone
//!   says what the warehouse holds, is then replaced by a rename. Files of an ingest that
//!   died before its commit are not in the manifest: readers never see them, and the next
//!   ingest deletes them.
//! - **Reading** (this module): [`open`] (what [`load_dir`](crate::load_dir) does with a warehouse)
//!   loads the departments and leaves every other table in its committed files, each
//!   listed with its rows and its time span so that a query for a period reads only the
//!   files that overlap it. [`read_all`] reads every committed row into memory. Personal
//!   fields are kept as stored: they were pseudonymised at ingest.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::load::{Dataset, load};
use crate::schema::Table;
use crate::source::files::{Files, Sources};
use crate::source::{InputFormat, LoadOptions, Source};

mod ingest;

pub use crate::source::StoredFile;
pub use ingest::{CHUNK_ROWS, Ingested, Tuning, ingest, ingest_with};

/// The manifest's file name.
pub const MANIFEST: &str = "_warehouse.json";

/// Rows per Parquet row group.
pub const ROW_GROUP: usize = 128 * 1024;

/// What the warehouse holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The layout's version.
    pub format: u32,
    /// The committed data files.
    pub files: Vec<PartFile>,
    /// The source files ingested, with their hashes.
    pub ingested: Vec<SourceFile>,
    /// For each source read incrementally (a database, by its address without the
    /// password): per table, the latest time (µs UTC) of the rows ingested from it. The
    /// next ingest from that source reads only rows from [`OVERLAP`] before it on.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub watermarks: BTreeMap<String, BTreeMap<String, i64>>,
}

/// How far before a table's watermark an incremental ingest starts reading again, for
/// rows that reach the source late (their times earlier than rows already there): 3
/// days. Rows read again are already in the warehouse and are not written twice.
pub const OVERLAP: chrono::TimeDelta = chrono::TimeDelta::days(3);

/// One committed Parquet file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartFile {
    /// Its table.
    pub table: String,
    /// Its month (`2026-07`), for the time-partitioned tables.
    pub month: Option<String>,
    /// Its path, relative to the warehouse.
    pub path: String,
    /// Rows it holds.
    pub rows: u64,
    /// Its size in bytes (absent in manifests written before sizes were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// The earliest and latest value of the table's time column in the file (µs since
    /// the epoch, UTC); absent for departments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<(i64, i64)>,
}

impl PartFile {
    /// Its full path, once its size is what the manifest says: a file that was
    /// truncated, replaced or removed since its commit is an error naming it.
    pub fn checked(&self, dir: &Path) -> Result<PathBuf, Error> {
        let path = dir.join(&self.path);
        let meta = std::fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        if let Some(bytes) = self.bytes
            && meta.len() != bytes
        {
            return Err(tampered(
                &path,
                format!("{} bytes, the manifest says {bytes}", meta.len()),
            ));
        }
        Ok(path)
    }

    /// [`PartFile::checked`], and its SHA-256 is the manifest's.
    pub fn verified(&self, dir: &Path) -> Result<PathBuf, Error> {
        let path = self.checked(dir)?;
        let (_, sha256) = crate::digest::file_sha256(&path).map_err(|e| Error::io(&path, e))?;
        if sha256 != self.sha256 {
            return Err(tampered(
                &path,
                format!("its SHA-256 is {sha256}, the manifest says {}", self.sha256),
            ));
        }
        Ok(path)
    }
}

/// A committed file that is not what was committed.
fn tampered(path: &Path, what: String) -> Error {
    Error::Unreadable {
        path: path.to_path_buf(),
        place: None,
        reason: format!("the warehouse file has changed since it was committed: {what}"),
        hint: Some(
            "restore the warehouse from a backup, or ingest its sources into a new warehouse"
                .into(),
        ),
    }
}

/// One source file an ingest read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// Its table.
    pub table: String,
    /// Its file name.
    pub name: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

/// Whether `dir` is a warehouse.
pub fn is_warehouse(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file()
}

impl Manifest {
    /// Reads a warehouse's manifest; an empty one where there is none yet.
    pub fn read(dir: &Path) -> Result<Manifest, Error> {
        Ok(Manifest::snapshot(dir)?.0)
    }

    /// [`Manifest::read`], with the size and SHA-256 of the bytes read (none where
    /// there is no manifest yet): what a run names as its provenance.
    pub fn snapshot(dir: &Path) -> Result<(Manifest, Option<(u64, String)>), Error> {
        let path = dir.join(MANIFEST);
        if !path.exists() {
            let empty = Manifest {
                format: 1,
                ..Manifest::default()
            };
            return Ok((empty, None));
        }
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let digest = (bytes.len() as u64, hex::encode(Sha256::digest(&bytes)));
        let text = String::from_utf8(bytes).map_err(|e| Error::Unreadable {
            path: path.clone(),
            place: None,
            reason: format!("not a warehouse manifest: {e}"),
            hint: Some("the manifest is written by `appraise ingest`; do not edit it".into()),
        })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| Error::Unreadable {
            path: path.clone(),
            place: Some(format!("line {}", e.line())),
            reason: format!("not a warehouse manifest: {e}"),
            hint: Some("the manifest is written by `appraise ingest`; do not edit it".into()),
        })?;
        // Every file lies inside the warehouse, in its table's folder.
        for f in &manifest.files {
            let rel = Path::new(&f.path);
            let inside = rel
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside
                || rel.components().next().is_none()
                || !f.path.starts_with(&format!("{}/", f.table))
            {
                return Err(Error::Unreadable {
                    path: path.clone(),
                    place: Some(format!("file {:?}", f.path)),
                    reason: "a path outside the warehouse's table folders".into(),
                    hint: Some(
                        "the manifest is written by `appraise ingest`; restore it from a backup"
                            .into(),
                    ),
                });
            }
        }
        Ok((manifest, Some(digest)))
    }

    /// The committed files of `table`.
    pub fn stored(&self, dir: &Path, table: Table) -> Vec<StoredFile> {
        self.files
            .iter()
            .filter(|f| f.table == table.name())
            .map(|f| StoredFile {
                path: dir.join(&f.path),
                rows: f.rows,
                span: f.span,
                sha256: f.sha256.clone(),
            })
            .collect()
    }

    /// The committed files of each table, as the loader reads them.
    pub(crate) fn sources(&self, dir: &Path, tables: &[Table]) -> Sources {
        tables
            .iter()
            .map(|t| {
                let files = self.stored(dir, *t).into_iter();
                (*t, files.map(|f| (f.path, InputFormat::Parquet)).collect())
            })
            .filter(|(_, files): &(Table, Vec<_>)| !files.is_empty())
            .collect()
    }

    /// Replaces the manifest on disk in one rename.
    fn commit(&self, dir: &Path) -> Result<(), Error> {
        let path = dir.join(MANIFEST);
        let tmp = dir.join(format!(".{MANIFEST}.tmp"));
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Input {
            reason: format!("encoding the warehouse manifest: {e}"),
            hint: None,
        })?;
        text.push('\n');
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))
    }
}

/// Opens a warehouse for queries: every table is listed with its committed files
/// ([`LoadedTable::stored`](crate::LoadedTable::stored)) and counted from the manifest;
/// only the departments are also loaded (and checked as any load checks them).
pub fn open(dir: &Path, opts: &LoadOptions) -> Result<Dataset, Error> {
    // Read once: the files it lists are the snapshot every query reads (an ingest only
    // adds files, each under a name of its own), and its digest the run's provenance.
    let (manifest, snapshot) = Manifest::snapshot(dir)?;
    if manifest.files.is_empty() {
        return Err(Error::Input {
            reason: format!("{}: the warehouse holds no data yet", dir.display()),
            hint: Some(
                "an ingest may have stopped before its commit: run `appraise ingest --from DIR \
                 --into WAREHOUSE` again"
                    .into(),
            ),
        });
    }
    // Each file is there at its committed size (a stat each; `validate` checks hashes).
    for f in &manifest.files {
        f.checked(dir)?;
    }
    let mut stored: BTreeMap<Table, Vec<StoredFile>> = Table::ALL
        .into_iter()
        .map(|t| (t, manifest.stored(dir, t)))
        .collect();
    // Departments are both: loaded for their names and levels, and in files for
    // queries that must travel to a cluster.
    let departments = stored.remove(&Table::Departments);
    let mut source = Committed {
        files: Files::new(dir, manifest.sources(dir, &[Table::Departments]))?,
        stored,
    };
    let mut data = load(&mut source, opts, Vec::new(), None)?;
    if let Some(t) = data
        .tables
        .iter_mut()
        .find(|t| t.table == Table::Departments)
    {
        t.stored = departments;
    }
    data.snapshot = snapshot;
    Ok(data)
}

/// What [`verify`] found: the files checked and their rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// Committed files whose size, SHA-256 and row count are the manifest's.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Their rows.
    pub rows: u64,
}

/// Checks every committed file of a warehouse against its manifest: inside the
/// warehouse, its size, its SHA-256 and its row count. The first file that differs is
/// an error naming it.
pub fn verify(dir: &Path) -> Result<Verified, Error> {
    let manifest = Manifest::read(dir)?;
    let mut done = Verified::default();
    for f in &manifest.files {
        let path = f.verified(dir)?;
        let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        let rows = crate::guard::guarded(&path, || {
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
                Error::unreadable(&path, None, format!("the file is corrupt: {e}"), None)
            })?;
            Ok(builder.metadata().file_metadata().num_rows())
        })?;
        if u64::try_from(rows).ok() != Some(f.rows) {
            return Err(tampered(
                &path,
                format!("{rows} rows, the manifest says {}", f.rows),
            ));
        }
        done.files += 1;
        done.bytes += std::fs::metadata(&path)
            .map_err(|e| Error::io(&path, e))?
            .len();
        done.rows += f.rows;
    }
    Ok(done)
}

/// Reads every committed row of a warehouse into memory, through the loader.
pub fn read_all(dir: &Path, opts: &LoadOptions) -> Result<Dataset, Error> {
    load(&mut Committed::every_table(dir)?, opts, Vec::new(), None)
}

/// A warehouse as a source: its committed files, read as they were stored (personal
/// fields pseudonymised at ingest), but for the tables left in them for queries.
pub(crate) struct Committed {
    files: Files,
    stored: BTreeMap<Table, Vec<StoredFile>>,
}

impl Committed {
    /// Every committed row of the warehouse `dir`.
    pub(crate) fn every_table(dir: &Path) -> Result<Committed, Error> {
        let sources = Manifest::read(dir)?.sources(dir, &Table::ALL);
        Ok(Committed {
            files: Files::new(dir, sources)?,
            stored: BTreeMap::new(),
        })
    }
}

impl Source for Committed {
    fn read(
        &mut self,
        table: Table,
        sink: &mut crate::validate::TableSink<'_>,
        opts: &LoadOptions,
        warnings: &mut Vec<crate::Warning>,
    ) -> Result<(), Error> {
        self.files.read(table, sink, opts, warnings)
    }

    fn files(&self, table: Table) -> Vec<PathBuf> {
        self.files.files(table)
    }

    fn pseudonymised(&self) -> bool {
        true
    }

    fn stored(&self, table: Table) -> Option<Vec<StoredFile>> {
        self.stored.get(&table).cloned()
    }
}

/// The lock file of a warehouse: one ingest at a time ([`Lock`](crate::lock::Lock)).
pub const LOCK: &str = "_warehouse.lock";
