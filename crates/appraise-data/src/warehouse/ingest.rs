//! Ingest: a source's rows validated by the loader, partitioned by month,
//! deduplicated against what the warehouse holds, written and committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Datelike;
use chrono_tz::Tz;
use datafusion::arrow::array::{
    Array, AsArray, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::{filter_record_batch, interleave_record_batch};
use datafusion::arrow::datatypes::{DataType, TimestampMicrosecondType};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::{Compression, Encoding, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};

use super::{LOCK, MANIFEST, Manifest, PartFile, ROW_GROUP, SourceFile, is_warehouse};
use crate::digest::{IdSet, id_hash};
use crate::load::{Dataset, load};
use crate::schema::Table;
use crate::source::{LoadOptions, Source, SourceReport};
use crate::{Accounting, Error};

/// What one ingest did, per table.
#[derive(Debug, Clone, Default)]
pub struct Ingested {
    /// The load's accounting (read, loaded, rejected, duplicates) per table.
    pub accounting: BTreeMap<String, Accounting>,
    /// Loaded rows whose id the warehouse already held, per table.
    pub already_present: BTreeMap<String, u64>,
    /// Rows written, per table.
    pub written: BTreeMap<String, u64>,
    /// The files committed.
    pub files: Vec<PartFile>,
    /// Load warnings.
    pub warnings: Vec<crate::Warning>,
    /// The source's own account of the load (X-Road's: what became of every record).
    pub report: Option<SourceReport>,
}

/// Loaded rows an ingest gathers before it partitions and writes them.
pub const CHUNK_ROWS: usize = 1 << 18;

/// How an ingest runs: whether it waits for another writer, the size of its chunks,
/// and for tests of what a crash leaves behind, a failure after writing some files.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// Wait for another ingest into the same warehouse to finish instead of refusing.
    pub wait: bool,
    /// Loaded rows per chunk.
    pub chunk_rows: usize,
    /// Fail, before the commit, once this many data files are written.
    #[doc(hidden)]
    pub fail_after: Option<usize>,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            wait: false,
            chunk_rows: CHUNK_ROWS,
            fail_after: None,
        }
    }
}

/// Takes the warehouse's lock and makes sure `into` is a warehouse: an existing one, or
/// a new or empty folder, which gets an empty manifest at once (so that an ingest killed
/// before its first commit leaves an empty warehouse, not a folder of stray files). A
/// folder holding anything else is refused: ingest never writes among a user's files.
fn open_for_ingest(into: &Path, wait: bool) -> Result<crate::lock::Lock, Error> {
    if into.exists() && !into.is_dir() {
        return Err(Error::Input {
            reason: format!("{}: is a file, not a warehouse folder", into.display()),
            hint: Some("give --into a new folder, or a warehouse made by `appraise ingest`".into()),
        });
    }
    std::fs::create_dir_all(into).map_err(|e| Error::io(into, e))?;
    let lock = crate::lock::Lock::acquire(
        &into.join(LOCK),
        &format!("the warehouse {}", into.display()),
        wait,
    )?;
    if !is_warehouse(into) {
        let mut others = Vec::new();
        for e in std::fs::read_dir(into)
            .map_err(|e| Error::io(into, e))?
            .flatten()
        {
            if e.file_name() != LOCK {
                others.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        if !others.is_empty() {
            others.sort();
            return Err(Error::Input {
                reason: format!(
                    "{}: is neither empty nor a warehouse (it holds {}{})",
                    into.display(),
                    others
                        .iter()
                        .take(5)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                    if others.len() > 5 { ", ..." } else { "" }
                ),
                hint: Some(format!(
                    "give --into a new or empty folder, or a warehouse (a folder with {MANIFEST})"
                )),
            });
        }
        Manifest::read(into)?.commit(into)?;
    }
    Ok(lock)
}

/// Loads `from` with the loader's validation (rejects go where `opts` says) and appends
/// its new rows to the warehouse `into`, created if absent.
pub fn ingest(from: &Path, into: &Path, opts: &LoadOptions) -> Result<Ingested, Error> {
    ingest_with(from, into, opts, Tuning::default())
}

/// [`ingest`] with its [`Tuning`].
pub fn ingest_with(
    from: &Path,
    into: &Path,
    opts: &LoadOptions,
    tuning: Tuning,
) -> Result<Ingested, Error> {
    // The source first: one that cannot be read (a database that refuses) leaves no
    // warehouse folder behind.
    let mut warnings = Vec::new();
    // The source may be a warehouse itself, whose files are read as they are.
    let mut source = crate::source::open(from, opts, &mut warnings)?;
    let _lock = open_for_ingest(into, tuning.wait)?;
    let mut manifest = Manifest::read(into)?;
    remove_uncommitted(into, &manifest)?;
    // A source read incrementally: only what is new since its watermarks.
    let identity = source.identity();
    let overlap = super::OVERLAP.num_microseconds().unwrap_or(0);
    for (name, mark) in identity
        .iter()
        .flat_map(|id| manifest.watermarks.get(id))
        .flatten()
    {
        if let Some(table) = Table::from_name(name) {
            source.since(table, mark.saturating_sub(overlap));
        }
    }
    // The rows stream through in chunks: memory holds a chunk being loaded, one being
    // written, the load's id index and the warehouse's ids of the months the chunk
    // touches. Loading (parsing, validating) and writing (partitioning, sorting,
    // compressing) run on threads of their own, one chunk apart.
    let appender = Appender {
        dir: into,
        manifest: &manifest,
        tz: opts.timezone,
        fail_after: tuning.fail_after,
        held: HashMap::new(),
        files: Vec::new(),
        present: BTreeMap::new(),
        written: BTreeMap::new(),
        // Its rows' latest times only where they move a watermark.
        latest: identity.as_ref().map(|_| BTreeMap::new()),
    };
    let (data, appender, hashes) =
        load_and_append(source.as_mut(), opts, warnings, tuning, appender)?;
    let Appender {
        files: new_files,
        present,
        written,
        latest,
        ..
    } = appender;
    let moved = match (identity, latest) {
        (Some(id), Some(latest)) => advance(manifest.watermarks.entry(id).or_default(), &latest),
        _ => false,
    };
    let mut out = Ingested {
        warnings: data.warnings.clone(),
        report: data.report.clone(),
        ..Ingested::default()
    };
    for t in &data.tables {
        let name = t.table.name().to_string();
        out.accounting.insert(name.clone(), t.accounting.clone());
        out.already_present
            .insert(name.clone(), present.get(&t.table).copied().unwrap_or(0));
        out.written
            .insert(name.clone(), written.get(&t.table).copied().unwrap_or(0));
        record_sources(&mut manifest, &name, &t.files, &hashes)?;
    }
    // Nothing new: the manifest stays as it was, byte for byte.
    if !new_files.is_empty() || moved {
        manifest.files.extend(new_files.iter().cloned());
        manifest.commit(into)?;
    }
    out.files = new_files;
    Ok(out)
}

/// Moves each table's watermark in `marks` up to the latest time loaded, if later;
/// whether any moved.
fn advance(marks: &mut BTreeMap<String, i64>, latest: &BTreeMap<Table, i64>) -> bool {
    let mut moved = false;
    for (table, &at) in latest {
        let mark = marks.entry(table.name().to_string()).or_insert(i64::MIN);
        if at > *mark {
            *mark = at;
            moved = true;
        }
    }
    moved
}

/// Loads the source and appends its rows through `appender`, the two on threads of
/// their own one chunk apart, while a third hashes the source files; the data loaded
/// (its tables' rows handed on), the appender, and the files' SHA-256.
fn load_and_append<'m>(
    source: &mut dyn Source,
    opts: &LoadOptions,
    warnings: Vec<crate::Warning>,
    tuning: Tuning,
    appender: Appender<'m>,
) -> Result<(Dataset, Appender<'m>, HashMap<PathBuf, String>), Error> {
    let files: Vec<PathBuf> = Table::ALL.iter().flat_map(|t| source.files(*t)).collect();
    std::thread::scope(|scope| {
        // The source files' SHA-256 for the manifest, on a thread of its own: it fills
        // the time the others wait on each other.
        let hashing = scope.spawn(|| -> Result<HashMap<PathBuf, String>, Error> {
            let mut hashes = HashMap::new();
            for f in files {
                let (_, sha256) = crate::digest::file_sha256(&f).map_err(|e| Error::io(&f, e))?;
                hashes.insert(f, sha256);
            }
            Ok(hashes)
        });
        let (chunks, received) = std::sync::mpsc::sync_channel::<(Table, Vec<RecordBatch>)>(1);
        let writer = scope.spawn(move || -> Result<Appender<'m>, Error> {
            let mut appender = appender;
            for (table, batches) in received {
                appender.append(table, batches)?;
            }
            Ok(appender)
        });
        let loaded = load(
            source,
            opts,
            warnings,
            Some((tuning.chunk_rows, &mut |t, b| {
                // Fails only when the writer has stopped, with its own error.
                chunks.send((t, b)).map_err(|_| Error::Input {
                    reason: "the partition writer stopped".into(),
                    hint: None,
                })
            })),
        );
        drop(chunks);
        let stopped = |what: &str| Error::Input {
            reason: format!("the {what} thread panicked"),
            hint: None,
        };
        let appender = writer
            .join()
            .unwrap_or_else(|_| Err(stopped("partition writer")))?;
        let data = loaded?;
        let hashes = hashing
            .join()
            .unwrap_or_else(|_| Err(stopped("file hashing")))?;
        Ok((data, appender, hashes))
    })
}

/// Adds a table's source files to the manifest's list of ingested files (once each).
fn record_sources(
    manifest: &mut Manifest,
    table: &str,
    files: &[PathBuf],
    hashes: &HashMap<PathBuf, String>,
) -> Result<(), Error> {
    for f in files {
        let sha256 = match hashes.get(f) {
            Some(h) => h.clone(),
            None => {
                crate::digest::file_sha256(f)
                    .map_err(|e| Error::io(f, e))?
                    .1
            }
        };
        let source = SourceFile {
            table: table.to_string(),
            name: f
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            sha256,
        };
        if !manifest.ingested.contains(&source) {
            manifest.ingested.push(source);
        }
    }
    Ok(())
}

/// Writes an ingest's chunks of loaded rows as partition files, without the rows the
/// warehouse already holds.
struct Appender<'m> {
    dir: &'m Path,
    /// The warehouse as it was before this ingest.
    manifest: &'m Manifest,
    tz: Tz,
    fail_after: Option<usize>,
    /// The warehouse's ids (hashed) per table and month, for the months of the chunk
    /// at hand.
    held: HashMap<(Table, Option<String>), IdSet>,
    /// The files written.
    files: Vec<PartFile>,
    /// Rows the warehouse already held, per table.
    present: BTreeMap<Table, u64>,
    /// Rows written, per table.
    written: BTreeMap<Table, u64>,
    /// The latest time (µs UTC) of the rows loaded, per table with a time column: for
    /// a source read incrementally only.
    latest: Option<BTreeMap<Table, i64>>,
}

impl Appender<'_> {
    fn append(&mut self, table: Table, batches: Vec<RecordBatch>) -> Result<(), Error> {
        let column = table.time_column().and_then(|c| table.column_index(c));
        if let (Some(latest), Some(ix)) = (self.latest.as_mut(), column) {
            for b in &batches {
                let times = b.column(ix).as_primitive_opt::<TimestampMicrosecondType>();
                if let Some(at) = times.and_then(datafusion::arrow::compute::max) {
                    let mark = latest.entry(table).or_insert(at);
                    *mark = (*mark).max(at);
                }
            }
        }
        let parts = partitions(&batches, table, self.tz)?;
        drop(batches);
        // The load itself drops repeats within the source; across ingests a repeated
        // row has the same time, hence the same month, so only the ids of the chunk's
        // months are needed. Those of other months are let go: with input in time
        // order, chunks move from month to month.
        let months: HashSet<(Table, Option<String>)> =
            parts.iter().map(|(m, _)| (table, m.clone())).collect();
        self.held.retain(|k, _| months.contains(k));
        let mut fresh_parts = Vec::new();
        for (month, part) in parts {
            let key = (table, month);
            if !self.held.contains_key(&key) {
                let ids = held_ids(self.dir, self.manifest, table, key.1.as_deref())?;
                self.held.insert(key.clone(), ids);
            }
            let held = &self.held[&key];
            // A month the warehouse does not hold yet (a first ingest) needs no look-up.
            let fresh = if held.is_empty() {
                part.clone()
            } else {
                let ids = part.column(0).as_string::<i32>();
                let keep: BooleanArray = (0..part.num_rows())
                    .map(|i| Some(!held.contains(&id_hash(ids.value(i)))))
                    .collect();
                filter_record_batch(&part, &keep)?
            };
            *self.present.entry(table).or_default() += (part.num_rows() - fresh.num_rows()) as u64;
            if fresh.num_rows() > 0 {
                *self.written.entry(table).or_default() += fresh.num_rows() as u64;
                fresh_parts.push((key.1, fresh));
            }
        }
        if let Some(n) = self.fail_after {
            let room = n.saturating_sub(self.files.len());
            if fresh_parts.len() > room {
                fresh_parts.truncate(room);
                self.files
                    .extend(write_parts(self.dir, table, &fresh_parts)?);
                return Err(Error::Input {
                    reason: "ingest stopped by an injected failure".into(),
                    hint: None,
                });
            }
        }
        self.files
            .extend(write_parts(self.dir, table, &fresh_parts)?);
        Ok(())
    }
}

/// The ids (hashed) of `table` in `month` (all of it for departments) the warehouse
/// holds.
fn held_ids(
    dir: &Path,
    manifest: &Manifest,
    table: Table,
    month: Option<&str>,
) -> Result<IdSet, Error> {
    let mut ids = IdSet::default();
    let files = manifest
        .files
        .iter()
        .filter(|f| f.table == table.name() && f.month.as_deref() == month);
    for f in files {
        let path = f.verified(dir)?;
        let file = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
        crate::guard::guarded(&path, || {
            let corrupt = |e: &dyn std::fmt::Display| {
                Error::unreadable(&path, None, format!("the file is corrupt: {e}"), None)
            };
            let builder =
                ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| corrupt(&e))?;
            let mask = ProjectionMask::roots(builder.parquet_schema(), [0]);
            for b in builder
                .with_projection(mask)
                .build()
                .map_err(|e| corrupt(&e))?
            {
                let b = b.map_err(|e| corrupt(&e))?;
                let col = b
                    .column(0)
                    .as_string_opt::<i32>()
                    .ok_or_else(|| corrupt(&"its id column is not text"))?;
                for i in 0..col.len() {
                    ids.insert(id_hash(col.value(i)));
                }
            }
            Ok(())
        })?;
    }
    Ok(ids)
}

/// The rows of `batches` per local month of their time column (one part, without a
/// month, for a table without one), each part sorted by time, then by id (so that files
/// are the same bytes whatever the input order), and gathered from the batches in one
/// pass.
fn partitions(
    batches: &[RecordBatch],
    table: Table,
    tz: Tz,
) -> Result<Vec<(Option<String>, RecordBatch)>, Error> {
    let time = table.time_column().and_then(|c| table.column_index(c));
    let times: Vec<Option<&TimestampMicrosecondArray>> = batches
        .iter()
        .map(|b| time.map(|ix| b.column(ix).as_primitive::<TimestampMicrosecondType>()))
        .collect();
    let ids: Vec<&StringArray> = batches.iter().map(|b| b.column(0).as_string()).collect();
    // (batch, row) of every row, by (year, month); a chunk holds a month or two.
    type Rows = Vec<(usize, usize)>;
    let mut months: Vec<(Option<(i32, u32)>, Rows)> = Vec::new();
    for (b, batch) in batches.iter().enumerate() {
        for r in 0..batch.num_rows() {
            let month = times[b].map(|t| local_month(t.value(r), tz));
            let at = match months.iter().rposition(|(m, _)| *m == month) {
                Some(at) => at,
                None => {
                    months.push((month, Vec::new()));
                    months.len() - 1
                }
            };
            months[at].1.push((b, r));
        }
    }
    months.sort_by_key(|(m, _)| *m);
    let sources: Vec<&RecordBatch> = batches.iter().collect();
    months
        .into_iter()
        .map(|(month, mut rows)| {
            rows.sort_unstable_by(|&(ab, ar), &(bb, br)| {
                let by_time = match (times[ab], times[bb]) {
                    (Some(a), Some(b)) => a.value(ar).cmp(&b.value(br)),
                    _ => std::cmp::Ordering::Equal,
                };
                by_time.then_with(|| ids[ab].value(ar).cmp(ids[bb].value(br)))
            });
            let label = month.map(|(y, m)| {
                if y == i32::MIN {
                    String::new()
                } else {
                    format!("{y:04}-{m:02}")
                }
            });
            Ok((label, interleave_record_batch(&sources, &rows)?))
        })
        .collect()
}

/// The year and month in `tz` of a UTC time stamp (`i32::MIN` for one out of range).
fn local_month(micros: i64, tz: Tz) -> (i32, u32) {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.with_timezone(&tz))
        .map_or((i32::MIN, 0), |t| (t.year(), t.month()))
}

/// Writes partition files on every core, returning them in the order given.
fn write_parts(
    dir: &Path,
    table: Table,
    parts: &[(Option<String>, RecordBatch)],
) -> Result<Vec<PartFile>, Error> {
    crate::parallel::on_every_core(parts, |(month, batch)| {
        write_part(dir, table, month.clone(), batch)
    })
}

/// Writes one partition file, synced, named by the hash of its bytes.
fn write_part(
    dir: &Path,
    table: Table,
    month: Option<String>,
    batch: &RecordBatch,
) -> Result<PartFile, Error> {
    let folder = match &month {
        Some(m) => PathBuf::from(table.name()).join(format!("month={m}")),
        None => PathBuf::from(table.name()),
    };
    std::fs::create_dir_all(dir.join(&folder)).map_err(|e| Error::io(&dir.join(&folder), e))?;
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_created_by(format!("appraise {}", env!("CARGO_PKG_VERSION")));
    // Time stamps are nearly all distinct, so a dictionary only overflows; as deltas
    // (the rows are in time order) they take a fraction of the bytes to decompress.
    for f in table.schema().fields() {
        if matches!(f.data_type(), DataType::Timestamp(..)) {
            let column = ColumnPath::from(f.name().as_str());
            props = props
                .set_column_dictionary_enabled(column.clone(), false)
                .set_column_encoding(column, Encoding::DELTA_BINARY_PACKED);
        }
    }
    let props = props.build();
    let mut bytes = Vec::new();
    let mut w = ArrowWriter::try_new(&mut bytes, Arc::clone(&batch.schema()), Some(props))?;
    w.write(batch)?;
    w.close()?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let rel = folder.join(format!("part-{}.parquet", &sha256[..16]));
    let path = dir.join(&rel);
    let mut f = std::fs::File::create(&path).map_err(|e| Error::io(&path, e))?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&path, e))?;
    // Rows are sorted by time: the first and last rows bound the file.
    let span = table
        .time_column()
        .and_then(|c| table.column_index(c))
        .map(|ix| batch.column(ix).as_primitive::<TimestampMicrosecondType>())
        .filter(|t| !t.is_empty())
        .map(|t| (t.value(0), t.value(t.len() - 1)));
    Ok(PartFile {
        table: table.name().into(),
        month,
        path: rel.to_string_lossy().replace('\\', "/"),
        rows: batch.num_rows() as u64,
        bytes: Some(bytes.len() as u64),
        sha256,
        span,
    })
}

/// Deletes data files no manifest names: what an ingest that died before its commit
/// left behind.
fn remove_uncommitted(dir: &Path, manifest: &Manifest) -> Result<(), Error> {
    let committed: HashSet<PathBuf> = manifest.files.iter().map(|f| dir.join(&f.path)).collect();
    for table in Table::ALL {
        let mut stack = vec![dir.join(table.name())];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "parquet") && !committed.contains(&p) {
                    std::fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
                }
            }
        }
    }
    Ok(())
}
