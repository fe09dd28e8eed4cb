//! Loading a data folder: finding each table's files, reading them in any supported
//! format, validating every row, and accounting for it.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, RecordBatchReader};
use datafusion::arrow::compute::{cast, max, min};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::TimestampMicrosecondType;
use datafusion::arrow::ipc::reader::{FileReader, StreamReader};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::encoding::utf8_reader;
use crate::rejects::{REDACTED, RejectWriter};
use crate::schema::{Kind, Table};
use crate::source::{
    ColumnMap, InputFormat, LoadOptions, check_regular, decode_hint, encoding_error, open_regular,
};
use crate::validate::{Accounting, Departments, Drain, Reason, Rejection, SinkConfig, TableSink};
use crate::xroad::adapter::{Adapter, Summary};
use crate::{Error, Warning};

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

/// One loaded table.
#[derive(Debug, Clone)]
pub struct LoadedTable {
    /// Which table.
    pub table: Table,
    /// The files it was read from.
    pub files: Vec<PathBuf>,
    /// Its rows, in the contract's schema ([`Table::schema`]).
    pub batches: Vec<RecordBatch>,
    /// What happened to every row read.
    pub accounting: Accounting,
    /// For a table of a warehouse: the committed files that hold its rows, which stay
    /// there until a query reads them (`batches` is then empty, but for departments).
    pub stored: Option<Vec<StoredFile>>,
}

impl LoadedTable {
    /// Number of rows loaded.
    pub fn num_rows(&self) -> usize {
        match &self.stored {
            Some(files) => files.iter().map(|f| f.rows as usize).sum(),
            None => self.batches.iter().map(RecordBatch::num_rows).sum(),
        }
    }

    /// Earliest and latest value of the table's time column
    /// ([`Table::time_column`]; µs UTC), if it has any rows.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        let column = self.table.time_column()?;
        if let Some(files) = &self.stored {
            return files
                .iter()
                .filter_map(|f| f.span)
                .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)));
        }
        let ix = self.table.column_index(column)?;
        let mut span: Option<(i64, i64)> = None;
        for b in &self.batches {
            let a = b
                .column(ix)
                .as_primitive_opt::<TimestampMicrosecondType>()?;
            if let (Some(lo), Some(hi)) = (min(a), max(a)) {
                span = Some(span.map_or((lo, hi), |(l, h)| (l.min(lo), h.max(hi))));
            }
        }
        span
    }

    /// Rows per distinct value of a text column.
    pub fn value_counts(&self, column: &str) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        let Some(ix) = self.table.column_index(column) else {
            return counts;
        };
        for b in &self.batches {
            let Some(a) = b.column(ix).as_string_opt::<i32>() else {
                continue;
            };
            for v in a.iter().flatten() {
                *counts.entry(v.to_string()).or_default() += 1;
            }
        }
        counts
    }
}

/// The five tables of a data folder, validated.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// In [`Table::ALL`] order; a table with no files is present and empty.
    pub tables: Vec<LoadedTable>,
    /// Things a person should know that did not stop the load.
    pub warnings: Vec<Warning>,
    /// For X-Road input: what became of every record.
    pub xroad: Option<Summary>,
    /// For a warehouse: its manifest as it was read when the warehouse was opened,
    /// the snapshot every query reads (a later ingest does not change it). A run's
    /// provenance names this, not the manifest as it is at the run's end.
    /// Its size in bytes and SHA-256, as [`crate::digest::file_sha256`] gives them.
    pub snapshot: Option<(u64, String)>,
}

impl Dataset {
    /// The loaded table.
    pub fn table(&self, table: Table) -> &LoadedTable {
        &self.tables[Table::ALL
            .iter()
            .position(|t| *t == table)
            .unwrap_or_default()]
    }
}

/// Loads the departments table from one file (CSV, JSON Lines, Parquet or Arrow, by
/// its extension or `opts.input_format`), every other table empty and unmentioned: the
/// departments beside a KPI matrix scored on its own.
pub fn load_departments(path: &Path, opts: &LoadOptions) -> Result<Dataset, Error> {
    check_regular(path)?;
    let format = format_of(path, opts.input_format)?.ok_or_else(|| not_a_table(path, ""))?;
    let mut sources = Sources::new();
    sources.insert(Table::Departments, vec![(path.to_path_buf(), format)]);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut data = load_sources(
        dir,
        &sources,
        &BTreeMap::new(),
        opts,
        Vec::new(),
        false,
        None,
    )?;
    data.warnings.retain(|w| w.code != "no_table");
    Ok(data)
}

/// Loads every row of a data folder (or of X-Road records).
pub(crate) fn load_folder(dir: &Path, opts: &LoadOptions) -> Result<Dataset, Error> {
    let mut warnings = Vec::new();
    let sources = sources_of(dir, opts, &mut warnings)?;
    load_sources(dir, &sources, &BTreeMap::new(), opts, warnings, false, None)
}

/// The files of every table in the data folder `dir` (or X-Road records).
pub(crate) fn sources_of(
    dir: &Path,
    opts: &LoadOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Sources, Error> {
    if opts.input_format == InputFormat::Xroad {
        xroad_sources(dir, opts)
    } else {
        discover(dir, opts.input_format, warnings)
    }
}

/// X-Road input: the records are `path` itself, or every file under the folder `path`
/// (hidden ones aside); the departments, a `--departments` file if one is given.
fn xroad_sources(path: &Path, opts: &LoadOptions) -> Result<Sources, Error> {
    let mut files = Vec::new();
    if path.is_dir() {
        let mut folders = vec![path.to_path_buf()];
        while let Some(dir) = folders.pop() {
            for p in sorted_entries(&dir)?.into_iter().rev() {
                let hidden = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_none_or(|n| n.starts_with('.'));
                if hidden {
                    continue;
                }
                if p.is_dir() {
                    folders.push(p);
                } else {
                    check_regular(&p)?;
                    files.push(p);
                }
            }
        }
        files.sort();
    } else if path.is_file() {
        files.push(path.to_path_buf());
    } else {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        ));
    }
    if files.is_empty() {
        return Err(Error::Input {
            reason: format!("{}: no X-Road record files", path.display()),
            hint: Some(
                "point --data at a file of operational-monitoring records, or a folder of them"
                    .into(),
            ),
        });
    }
    let mut sources = Sources::new();
    sources.insert(
        Table::Exchanges,
        files.into_iter().map(|f| (f, InputFormat::Xroad)).collect(),
    );
    if let Some(d) = &opts.xroad.departments {
        let format = format_of(d, InputFormat::Auto)?.ok_or_else(|| not_a_table(d, ""))?;
        sources.insert(Table::Departments, vec![(d.clone(), format)]);
    }
    Ok(sources)
}

/// Loads `sources` (the folder `dir`'s, for messages); the tables in `stored` are left
/// in their files. `stored_pseudonyms`: the personal fields were pseudonymised when
/// stored (a warehouse's), so they are kept as they are. With a drain, the rows are
/// handed to it in chunks of at least the given number of rows instead of being kept.
#[allow(clippy::too_many_arguments)]
pub(crate) fn load_sources(
    dir: &Path,
    sources: &Sources,
    stored: &BTreeMap<Table, Vec<StoredFile>>,
    opts: &LoadOptions,
    mut warnings: Vec<Warning>,
    stored_pseudonyms: bool,
    mut drain: Option<(usize, &mut Drain<'_>)>,
) -> Result<Dataset, Error> {
    let mut xroad = record_adapter(sources, opts)?;
    let no_files = Vec::new();
    let dept_files = match sources.get(&Table::Departments) {
        Some(files) => files,
        None if xroad.as_ref().is_some_and(Adapter::has_departments) => &no_files,
        None => {
            return Err(Error::Input {
                reason: format!("{}: no departments table", dir.display()),
                hint: Some(
                    "add departments.csv (dept_id,name,level,...) or a departments/ folder".into(),
                ),
            });
        }
    };
    let known = known_departments(dept_files, xroad.as_ref(), opts, stored_pseudonyms)?;
    let mut tables = Vec::with_capacity(Table::ALL.len());
    for table in Table::ALL {
        if let Some(files) = stored.get(&table) {
            tables.push(LoadedTable::stored(table, files));
            continue;
        }
        let files = sources.get(&table).cloned().unwrap_or_default();
        if files.is_empty() && xroad.is_none() {
            warnings.push(
                Warning::new(
                    "no_table",
                    format!("no {table} table in {}: it is empty", dir.display()),
                )
                .arg("table", table)
                .arg("dir", dir.display()),
            );
        }
        let into = Target {
            opts,
            known: &known,
            stored_pseudonyms,
            drain: drain.as_mut().map(|(rows, d)| (*rows, &mut **d)),
        };
        tables.push(load_table(
            table,
            files,
            xroad.as_mut(),
            into,
            &mut warnings,
        )?);
    }
    let xroad = xroad.map(|x| {
        warnings.push(Warning::new(
            "xroad_exchanges_only",
            "X-Road records hold exchanges only: catalog, share_requests and services are \
             empty, and the KPIs on them have no values",
        ));
        warnings.extend(x.unmapped_warning());
        x.summary
    });
    Ok(Dataset {
        tables,
        warnings,
        xroad,
        snapshot: None,
    })
}

/// The X-Road adapter over the exchange sources that are X-Road records, if any.
fn record_adapter(sources: &Sources, opts: &LoadOptions) -> Result<Option<Adapter>, Error> {
    let record_files: Vec<PathBuf> = sources
        .get(&Table::Exchanges)
        .into_iter()
        .flatten()
        .filter(|(_, f)| *f == InputFormat::Xroad)
        .map(|(p, _)| p.clone())
        .collect();
    if record_files.is_empty() {
        Ok(None)
    } else {
        Ok(Some(Adapter::new(&record_files, opts)?))
    }
}

/// The departments that load. Departments refer to themselves (`parent_id`): this first
/// pass finds them, then every table is read against that list.
fn known_departments(
    files: &[(PathBuf, InputFormat)],
    xroad: Option<&Adapter>,
    opts: &LoadOptions,
    stored_pseudonyms: bool,
) -> Result<Departments, Error> {
    let mut discard = RejectWriter::discard();
    let cfg = sink_config(opts, None, stored_pseudonyms);
    let mut sink = TableSink::new(Table::Departments, cfg, &mut discard);
    for (path, format) in files {
        read_file(path, *format, &mut sink, opts, &mut Vec::new())?;
    }
    if let Some(x) = xroad {
        x.push_departments(&mut sink)?;
    }
    let (batches, _) = sink.finish()?;
    Ok(loadable_departments(&batches))
}

/// Where one table's rows go: the settings, the departments that load, and the drain.
struct Target<'a, 'd> {
    opts: &'a LoadOptions,
    known: &'a Departments,
    stored_pseudonyms: bool,
    drain: Option<(usize, &'a mut Drain<'d>)>,
}

/// Reads one table from its files (or, for exchanges and departments, the X-Road
/// records), writing its rejects, and checks its totals.
fn load_table(
    table: Table,
    files: Vec<(PathBuf, InputFormat)>,
    xroad: Option<&mut Adapter>,
    into: Target<'_, '_>,
    warnings: &mut Vec<Warning>,
) -> Result<LoadedTable, Error> {
    let opts = into.opts;
    let mut rejects = match &opts.rejects_dir {
        Some(d) => RejectWriter::create(d, table.name())?,
        None => RejectWriter::discard(),
    };
    let cfg = sink_config(opts, Some(into.known), into.stored_pseudonyms);
    let mut sink = TableSink::new(table, cfg, &mut rejects);
    if let Some((chunk_rows, d)) = into.drain {
        sink = sink.with_drain(chunk_rows, d);
    }
    let from_records = xroad.is_some();
    match (xroad, table) {
        (Some(x), Table::Exchanges) => x.push_exchanges(&mut sink)?,
        (xroad, _) => {
            for (path, format) in &files {
                tracing::info!(table = table.name(), file = %path.display(), "loading");
                read_file(path, *format, &mut sink, opts, warnings)?;
            }
            if let (Some(x), Table::Departments) = (xroad, table) {
                x.push_departments(&mut sink)?;
            }
        }
    }
    let (batches, accounting) = sink.finish()?;
    check_totals(table, &batches)?;
    rejects.close()?;
    debug_assert!(accounting.balances());
    let mut files: Vec<PathBuf> = files.into_iter().map(|(p, _)| p).collect();
    if let (Some(mapping), Table::Departments, true) = (&opts.xroad.mapping, table, from_records) {
        files.push(mapping.clone());
    }
    Ok(LoadedTable {
        table,
        files,
        batches,
        accounting,
        stored: None,
    })
}

impl LoadedTable {
    /// A table left in a warehouse's files: every row stored is loaded.
    fn stored(table: Table, files: &[StoredFile]) -> LoadedTable {
        let rows = files.iter().map(|f| f.rows).sum();
        LoadedTable {
            table,
            files: files.iter().map(|f| f.path.clone()).collect(),
            batches: vec![],
            accounting: Accounting {
                read: rows,
                loaded: rows,
                ..Accounting::default()
            },
            stored: Some(files.to_vec()),
        }
    }
}

fn sink_config<'a>(
    opts: &'a LoadOptions,
    known: Option<&'a Departments>,
    stored_pseudonyms: bool,
) -> SinkConfig<'a> {
    SinkConfig {
        tz: opts.timezone,
        departments: known,
        pseudonymiser: opts.pseudonymiser.as_ref(),
        stored_pseudonyms,
        batch_size: opts.batch_size,
    }
}

/// Checks that every count column of a loaded table sums within a 64-bit integer, so
/// that no SUM a KPI takes over it can wrap around. Each count is at most
/// [`MAX_COUNT`](crate::schema::MAX_COUNT), so only millions of absurd rows get here.
fn check_totals(table: Table, batches: &[RecordBatch]) -> Result<(), Error> {
    use datafusion::arrow::datatypes::Int64Type;
    for c in table.columns() {
        if !matches!(c.kind, Kind::Int { .. }) {
            continue;
        }
        let mut total: i64 = 0;
        for b in batches {
            let Some(values) = b
                .column_by_name(c.name)
                .and_then(|a| a.as_primitive_opt::<Int64Type>())
            else {
                continue;
            };
            for v in values.iter().flatten() {
                total = total.checked_add(v).ok_or_else(|| Error::Input {
                    reason: format!(
                        "the {} column of the {table} table sums to more than a 64-bit \
                         integer holds, so the KPIs' sums over it would be wrong",
                        c.name
                    ),
                    hint: Some(format!(
                        "check the {} values of the {table} files: each may be up to 10^12, \
                         but together they must stay below 9.2 × 10^18",
                        c.name
                    )),
                })?;
            }
        }
    }
    Ok(())
}

/// The departments whose chain of parents stays within valid departments.
fn loadable_departments(batches: &[RecordBatch]) -> Departments {
    let mut parent: HashMap<String, Option<String>> = HashMap::new();
    let pid = Table::Departments
        .column_index("parent_id")
        .unwrap_or_default();
    for b in batches {
        let ids = b.column(0).as_string::<i32>();
        let parents = b.column(pid).as_string::<i32>();
        for i in 0..b.num_rows() {
            let p = parents.is_valid(i).then(|| parents.value(i).to_string());
            parent.insert(ids.value(i).to_string(), p);
        }
    }
    let mut known: Departments = parent.keys().cloned().collect();
    loop {
        let orphans: Vec<String> = known
            .iter()
            .filter(|id| matches!(&parent[*id], Some(p) if !known.contains(p)))
            .cloned()
            .collect();
        if orphans.is_empty() {
            return known;
        }
        for o in orphans {
            known.remove(&o);
        }
    }
}

pub(crate) type Sources = BTreeMap<Table, Vec<(PathBuf, InputFormat)>>;

fn discover(
    dir: &Path,
    forced: InputFormat,
    warnings: &mut Vec<Warning>,
) -> Result<Sources, Error> {
    let entries = sorted_entries(dir)?;
    if entries.is_empty() {
        return Err(Error::Input {
            reason: format!("{}: the data folder is empty", dir.display()),
            hint: Some(
                "point --data at a folder holding departments.csv and the other tables".into(),
            ),
        });
    }
    let mut sources = Sources::new();
    for path in entries {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
        let table = Table::from_name(stem);
        if path.is_dir() {
            let Some(table) = table else { continue };
            if stem != name {
                return Err(Error::unreadable(
                    &path,
                    None,
                    "a folder named like a file",
                    Some(format!(
                        "a table's folder is named after the table alone ({table}/); rename it"
                    )),
                ));
            }
            let mut files = Vec::new();
            for p in sorted_entries(&path)? {
                let fname = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if fname.starts_with('.') || p.is_dir() {
                    continue;
                }
                check_regular(&p)?;
                match format_of(&p, forced)? {
                    Some(f) => files.push((p, f)),
                    None => warnings.push(
                        Warning::new(
                            "ignored_file",
                            format!("ignored {}: not a data file", p.display()),
                        )
                        .arg("file", p.display()),
                    ),
                }
            }
            add_source(&mut sources, table, files, &path)?;
            continue;
        }
        if table.is_some() {
            check_regular(&path)?;
        }
        match (table, format_of(&path, forced)?) {
            (Some(table), Some(f)) => add_source(&mut sources, table, vec![(path, f)], dir)?,
            (Some(_), None) => return Err(not_a_table(&path, ", or pass --input-format")),
            (None, Some(_)) if forced == InputFormat::Auto => warnings.push(
                Warning::new(
                    "ignored_unknown_table",
                    format!(
                        "ignored {}: no table is called {stem:?} (tables: {})",
                        path.display(),
                        Table::ALL.map(Table::name).join(", ")
                    ),
                )
                .arg("file", path.display())
                .arg("name", stem)
                .list("tables", Table::ALL.map(Table::name)),
            ),
            _ => {}
        }
    }
    Ok(sources)
}

/// A file in no format appraise reads as a table; `more` adds to the fix.
fn not_a_table(path: &Path, more: &str) -> Error {
    Error::unreadable(
        path,
        None,
        "not a table format appraise reads",
        Some(format!("save it as .csv, .jsonl, .parquet or .arrow{more}")),
    )
}

/// How to read `path`: `forced`, or by its extension (all after the name's first dot).
fn format_of(path: &Path, forced: InputFormat) -> Result<Option<InputFormat>, Error> {
    if forced != InputFormat::Auto {
        return Ok(Some(forced));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = name.split_once('.').map_or("", |(_, ext)| ext);
    if ext.ends_with(".gz") || ext.ends_with(".zst") {
        return Err(Error::unreadable(
            path,
            None,
            "compressed files are not read directly",
            Some("decompress it first (gunzip / zstd -d)".to_string()),
        ));
    }
    Ok(InputFormat::from_extension(ext))
}

fn add_source(
    sources: &mut Sources,
    table: Table,
    files: Vec<(PathBuf, InputFormat)>,
    dir: &Path,
) -> Result<(), Error> {
    if sources.contains_key(&table) {
        return Err(Error::Input {
            reason: format!(
                "{}: the {table} table has more than one source",
                dir.display()
            ),
            hint: Some(format!(
                "keep one {table}.<ext> file, or put all its files in a {table}/ folder"
            )),
        });
    }
    sources.insert(table, files);
    Ok(())
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut v = Vec::new();
    for e in rd {
        v.push(e.map_err(|e| Error::io(dir, e))?.path());
    }
    v.sort();
    Ok(v)
}

/// Reads one file of `sink`'s table.
pub(crate) fn read_file(
    path: &Path,
    format: InputFormat,
    sink: &mut TableSink<'_>,
    opts: &LoadOptions,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let file = open_regular(path)?;
    let name: Arc<str> = path.display().to_string().into();
    match format {
        InputFormat::Csv | InputFormat::Auto => {
            crate::csv_blocks::read_csv(path, &name, file, sink, opts, warnings)
        }
        InputFormat::Jsonl => read_jsonl(path, &name, file, sink, opts, warnings),
        InputFormat::Parquet => crate::guard::guarded(path, || {
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|b| b.with_batch_size(opts.batch_size).build())
                .map_err(|e| {
                    Error::unreadable(
                        path,
                        None,
                        format!("not a Parquet file: {e}"),
                        Some("check the file, or pass the right --input-format".to_string()),
                    )
                })?;
            read_batches(path, &name, reader, sink, warnings)
        }),
        InputFormat::Xroad => Err(Error::unreadable(
            path,
            None,
            format!(
                "X-Road records hold exchanges, not the {} table",
                sink.table()
            ),
            Some("pass the departments as a table file (--departments FILE)".to_string()),
        )),
        InputFormat::Arrow => {
            let mut file = file;
            crate::guard::check_ipc(path, &mut file)?;
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            crate::guard::guarded(path, || match FileReader::try_new(file, None) {
                Ok(reader) => read_batches(path, &name, reader, sink, warnings),
                Err(_) => {
                    let file = File::open(path).map_err(|e| Error::io(path, e))?;
                    let reader =
                        StreamReader::try_new(BufReader::new(file), None).map_err(|e| {
                            Error::unreadable(
                                path,
                                None,
                                format!("not an Arrow IPC file or stream: {e}"),
                                Some(
                                    "check the file, or pass the right --input-format".to_string(),
                                ),
                            )
                        })?;
                    read_batches(path, &name, reader, sink, warnings)
                }
            })
        }
    }
}

fn read_jsonl(
    path: &Path,
    name: &Arc<str>,
    file: File,
    sink: &mut TableSink<'_>,
    opts: &LoadOptions,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    use serde_json::{Map, Value};
    let table = sink.table();
    let max_record = opts.max_record_bytes;
    let (encoding, text) = utf8_reader(file, opts.encoding).map_err(|e| encoding_error(path, e))?;
    let mut reader = BufReader::with_capacity(256 * 1024, text);
    let personal = table.columns().iter().any(|c| c.kind == Kind::Personal);
    let mut unknown = BTreeSet::new();
    let mut seen_row = false;
    let mut bytes = Vec::new();
    let mut line_no = 0u64;
    loop {
        line_no += 1;
        let unreadable = |reason: String, hint: String| {
            Error::unreadable(path, Some(format!("line {line_no}")), reason, Some(hint))
        };
        if !read_line(&mut reader, &mut bytes, max_record, &unreadable, encoding)? {
            break;
        }
        let line = std::str::from_utf8(&bytes)
            .map_err(|e| unreadable(e.to_string(), decode_hint(encoding)))?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let obj: Map<String, Value> = match serde_json::from_str(text) {
            Ok(o) => o,
            Err(e) if !seen_row => {
                return Err(Error::unreadable(
                    path,
                    Some(format!("line {line_no}")),
                    format!("not JSON Lines: {e}"),
                    Some(
                        "each line must be one JSON object, e.g. {\"dept_id\": \"D01\", ...}"
                            .to_string(),
                    ),
                ));
            }
            Err(e) => {
                // Not an object: nothing says which part is personal, so in a table
                // with a personal column none of it is written.
                let record = if personal {
                    REDACTED.to_string()
                } else {
                    text.to_string()
                };
                let r = Rejection {
                    reason: Reason::MalformedJson,
                    column: None,
                    detail: e.to_string(),
                };
                sink.reject_unparsed(name, line_no, None, r, record)?;
                continue;
            }
        };
        seen_row = true;
        unknown.extend(
            obj.keys()
                .filter(|k| table.column_index(k).is_none())
                .cloned(),
        );
        push_object(sink, obj, personal, name, line_no)?;
    }
    if !unknown.is_empty() {
        warnings.push(
            Warning::new(
                "ignored_keys",
                format!(
                    "{}: ignored key(s) not in the {table} table: {}",
                    path.display(),
                    unknown.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
            .arg("file", path.display())
            .arg("table", table)
            .list("keys", unknown),
        );
    }
    Ok(())
}

/// Reads the next line into `bytes`, refusing one longer than `max_record` before it
/// is whole; false at the end of the file.
fn read_line(
    reader: &mut impl BufRead,
    bytes: &mut Vec<u8>,
    max_record: usize,
    unreadable: &dyn Fn(String, String) -> Error,
    encoding: &'static encoding_rs::Encoding,
) -> Result<bool, Error> {
    bytes.clear();
    // At most one byte past the limit.
    let got = reader
        .by_ref()
        .take(max_record as u64 + 1)
        .read_until(b'\n', bytes)
        .map_err(|e| unreadable(e.to_string(), decode_hint(encoding)))?;
    if got > max_record && !bytes.ends_with(b"\n") {
        return Err(unreadable(
            format!("a line longer than {max_record} bytes (the limit)"),
            "each line holds one record; --max-record-bytes sets another limit".into(),
        ));
    }
    Ok(got > 0)
}

/// One JSON object into the sink: its keys are the table's columns (others ignored);
/// a value that is not a string is its JSON text. A rejected row is written with, in a
/// table with a `personal` column, every value but those of the contract's other
/// columns redacted: the personal one, one keyed like it in another case, unknown keys.
fn push_object(
    sink: &mut TableSink<'_>,
    obj: serde_json::Map<String, serde_json::Value>,
    personal: bool,
    name: &Arc<str>,
    line_no: u64,
) -> Result<(), Error> {
    use serde_json::Value;
    let table = sink.table();
    let texts: Vec<Option<Cow<'_, str>>> = table
        .columns()
        .iter()
        .map(|c| match obj.get(c.name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
            Some(other) => Some(Cow::Owned(other.to_string())),
        })
        .collect();
    let fields: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
    let raw = || {
        let mut obj = obj.clone();
        if personal {
            let columns = table.columns();
            for (key, v) in obj.iter_mut() {
                let kept = columns
                    .iter()
                    .any(|c| c.name == key && c.kind != Kind::Personal);
                if !kept {
                    *v = Value::String(REDACTED.into());
                }
            }
        }
        Value::Object(obj).to_string()
    };
    sink.push(&fields, name, line_no, raw)
}

/// Parquet and Arrow IPC: columns are cast to text and validated like any other input,
/// so typed and untyped sources obey one set of rules. `line` is the 0-based row index.
fn read_batches(
    path: &Path,
    name: &Arc<str>,
    reader: impl RecordBatchReader,
    sink: &mut TableSink<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<(), Error> {
    let table = sink.table();
    let schema = reader.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let map = ColumnMap::new(table, path, &names, warnings)?;
    let mut row_index = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| {
            Error::unreadable(
                path,
                Some(format!("after row {row_index}")),
                format!("the file is corrupt: {e}"),
                Some("restore the file from its source, or export it again".to_string()),
            )
        })?;
        let texts: Vec<Option<Arc<dyn Array>>> = map
            .source
            .iter()
            .map(|s| {
                s.map(|i| {
                    cast(batch.column(i), &DataType::Utf8).map_err(|e| {
                        Error::unreadable(
                            path,
                            Some(format!("column {:?}", names[i])),
                            format!("cannot be read as text: {e}"),
                            Some("store the column as text, a number or a timestamp".to_string()),
                        )
                    })
                })
                .transpose()
            })
            .collect::<Result<_, _>>()?;
        let strings: Vec<Option<_>> = texts
            .iter()
            .map(|a| a.as_ref().map(|a| a.as_string::<i32>()))
            .collect();
        for r in 0..batch.num_rows() {
            let fields: Vec<Option<&str>> = strings
                .iter()
                .map(|a| a.and_then(|a| a.is_valid(r).then(|| a.value(r))))
                .collect();
            let raw = || {
                let obj: serde_json::Map<String, serde_json::Value> = table
                    .columns()
                    .iter()
                    .zip(&fields)
                    .filter_map(|(c, f)| {
                        let v = if c.kind == Kind::Personal {
                            REDACTED
                        } else {
                            (*f)?
                        };
                        Some((c.name.to_string(), serde_json::Value::String(v.to_string())))
                    })
                    .collect();
                serde_json::Value::Object(obj).to_string()
            };
            sink.push(&fields, name, row_index, raw)?;
            row_index += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_column_that_would_overflow_a_sum_stops_the_load() {
        // Regression (count_overflow): two rows of records = 2^63 - 1 summed to -2 in
        // every KPI. Each count is now bounded, and so is the column's total.
        let batch = |records: i64| {
            let column = datafusion::arrow::array::Int64Array::from(vec![records]);
            RecordBatch::try_from_iter([("records", Arc::new(column) as Arc<dyn Array>)]).unwrap()
        };
        let half = i64::MAX / 2 + 1;
        let err = check_totals(Table::Exchanges, &[batch(half), batch(half)]).unwrap_err();
        assert!(
            err.to_string()
                .contains("the records column of the exchanges table"),
            "{err}"
        );
        check_totals(Table::Exchanges, &[batch(half), batch(half - 2)]).unwrap();
    }
}
