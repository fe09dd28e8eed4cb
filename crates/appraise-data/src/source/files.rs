//! Table files: a data folder's `<table>.<ext>` files and `<table>/` folders of them,
//! in CSV, JSON Lines, Parquet or Arrow IPC ([`InputFormat`]). The source every other
//! source's plain files go through (a warehouse's Parquet files, X-Road's departments).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatchReader};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::ipc::reader::{FileReader, StreamReader};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{
    ColumnMap, InputFormat, LoadOptions, Source, check_regular, decode_hint, encoding_error,
    open_regular,
};
use crate::encoding::utf8_reader;
use crate::rejects::REDACTED;
use crate::schema::{Kind, Table};
use crate::validate::{Reason, Rejection, TableSink};
use crate::{Error, Warning};

/// The files of each table, and how each is read.
pub(crate) type Sources = BTreeMap<Table, Vec<(PathBuf, InputFormat)>>;

/// Table files: each table's files, read in order; a table with none is empty, with a
/// warning.
pub(crate) struct Files {
    /// The folder they are in, for messages.
    dir: PathBuf,
    tables: Sources,
}

impl Files {
    /// The files of every table in the data folder `dir`, each read as `forced` says
    /// or by its extension.
    pub(crate) fn folder(
        dir: &Path,
        forced: InputFormat,
        warnings: &mut Vec<Warning>,
    ) -> Result<Files, Error> {
        Files::new(dir, discover(dir, forced, warnings)?)
    }

    /// The files `tables` (of the folder `dir`); the departments are required.
    pub(crate) fn new(dir: &Path, tables: Sources) -> Result<Files, Error> {
        if !tables.contains_key(&Table::Departments) {
            return Err(no_departments(dir));
        }
        Ok(Files {
            dir: dir.to_path_buf(),
            tables,
        })
    }

    /// One table's file, read as `forced` says or by its extension.
    pub(crate) fn one(table: Table, path: &Path, forced: InputFormat) -> Result<Files, Error> {
        check_regular(path)?;
        let format = format_of(path, forced)?.ok_or_else(|| not_a_table(path, ""))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Files::new(
            dir,
            Sources::from([(table, vec![(path.to_path_buf(), format)])]),
        )
    }
}

impl Source for Files {
    fn read(
        &mut self,
        table: Table,
        sink: &mut TableSink<'_>,
        opts: &LoadOptions,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), Error> {
        let files = self.tables.get(&table).map_or(&[][..], Vec::as_slice);
        if files.is_empty() {
            warnings.push(
                Warning::new(
                    "no_table",
                    format!("no {table} table in {}: it is empty", self.dir.display()),
                )
                .arg("table", table)
                .arg("dir", self.dir.display()),
            );
        }
        for (path, format) in files {
            tracing::info!(table = table.name(), file = %path.display(), "loading");
            read_file(path, *format, sink, opts, warnings)?;
        }
        Ok(())
    }

    fn files(&self, table: Table) -> Vec<PathBuf> {
        self.tables
            .get(&table)
            .into_iter()
            .flatten()
            .map(|(p, _)| p.clone())
            .collect()
    }
}

/// A source without a departments table.
pub(crate) fn no_departments(dir: &Path) -> Error {
    Error::Input {
        reason: format!("{}: no departments table", dir.display()),
        hint: Some("add departments.csv (dept_id,name,level,...) or a departments/ folder".into()),
    }
}

/// The files of every table in the data folder `dir`: `<table>.<ext>`, or the files of
/// a folder `<table>/`.
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
            let files = folder_files(&path, forced, warnings)?;
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

/// The data files of a table's folder, each with its format; others are ignored with
/// a warning.
fn folder_files(
    dir: &Path,
    forced: InputFormat,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<(PathBuf, InputFormat)>, Error> {
    let mut files = Vec::new();
    for p in sorted_entries(dir)? {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || p.is_dir() {
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
    Ok(files)
}

/// A file in no format appraise reads as a table; `more` adds to the fix.
pub(crate) fn not_a_table(path: &Path, more: &str) -> Error {
    Error::unreadable(
        path,
        None,
        "not a table format appraise reads",
        Some(format!("save it as .csv, .jsonl, .parquet or .arrow{more}")),
    )
}

/// How to read `path`: `forced`, or by its extension (all after the name's first dot).
pub(crate) fn format_of(path: &Path, forced: InputFormat) -> Result<Option<InputFormat>, Error> {
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

pub(crate) fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, Error> {
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
            super::csv_blocks::read_csv(path, &name, file, sink, opts, warnings)
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
    warnings.extend(ignored_keys(path, table, unknown));
    Ok(())
}

/// The keys of a JSON Lines file not in its table, as a warning, if there are any.
fn ignored_keys(path: &Path, table: Table, unknown: BTreeSet<String>) -> Option<Warning> {
    if unknown.is_empty() {
        return None;
    }
    Some(
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
    )
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
            push_fields(sink, &fields, name, row_index)?;
            row_index += 1;
        }
    }
    Ok(())
}

/// One row of text fields, in the contract's column order, into the sink; a rejected
/// row is written as a JSON object of its fields, the personal one redacted. `row` is
/// its 0-based index in its source.
pub(crate) fn push_fields(
    sink: &mut TableSink<'_>,
    fields: &[Option<&str>],
    name: &Arc<str>,
    row: u64,
) -> Result<(), Error> {
    let table = sink.table();
    let raw = || {
        let obj: serde_json::Map<String, serde_json::Value> = table
            .columns()
            .iter()
            .zip(fields)
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
    sink.push(fields, name, row, raw)
}
