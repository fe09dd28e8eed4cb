//! Loading: every table of a source ([`crate::source`]) read into the contract's
//! schema, every row validated and accounted for.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::{max, min};
use datafusion::arrow::datatypes::TimestampMicrosecondType;

use crate::rejects::RejectWriter;
use crate::schema::{Kind, Table};
use crate::source::files::Files;
use crate::source::{LoadOptions, Source, SourceReport, StoredFile};
use crate::validate::{Accounting, Departments, Drain, SinkConfig, TableSink};
use crate::{Error, Warning};

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
    /// The source's own account of the load (X-Road's: what became of every record).
    pub report: Option<SourceReport>,
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
    let mut source = Files::one(Table::Departments, path, opts.input_format)?;
    let mut data = load(&mut source, opts, Vec::new(), None)?;
    data.warnings.retain(|w| w.code != "no_table");
    Ok(data)
}

/// Loads every table of `source`, after `warnings` (those of finding it). With a
/// drain, the rows are handed to it in chunks of at least the given number of rows
/// instead of being kept.
pub(crate) fn load(
    source: &mut dyn Source,
    opts: &LoadOptions,
    mut warnings: Vec<Warning>,
    mut drain: Option<(usize, &mut Drain<'_>)>,
) -> Result<Dataset, Error> {
    let known = known_departments(source, opts)?;
    let mut tables = Vec::with_capacity(Table::ALL.len());
    for table in Table::ALL {
        if let Some(files) = source.stored(table) {
            tables.push(LoadedTable::stored(table, &files));
            continue;
        }
        let into = Target {
            opts,
            known: &known,
            drain: drain.as_mut().map(|(rows, d)| (*rows, &mut **d)),
        };
        tables.push(load_table(table, source, into, &mut warnings)?);
    }
    let report = source.finish(&mut warnings);
    Ok(Dataset {
        tables,
        warnings,
        report,
        snapshot: None,
    })
}

/// The departments that load. Departments refer to themselves (`parent_id`): this first
/// pass finds them, then every table is read against that list.
fn known_departments(source: &mut dyn Source, opts: &LoadOptions) -> Result<Departments, Error> {
    let mut discard = RejectWriter::discard();
    let cfg = sink_config(opts, None, source.pseudonymised());
    let mut sink = TableSink::new(Table::Departments, cfg, &mut discard);
    source.read(Table::Departments, &mut sink, opts, &mut Vec::new())?;
    let (batches, _) = sink.finish()?;
    Ok(loadable_departments(&batches))
}

/// Where one table's rows go: the settings, the departments that load, and the drain.
struct Target<'a, 'd> {
    opts: &'a LoadOptions,
    known: &'a Departments,
    drain: Option<(usize, &'a mut Drain<'d>)>,
}

/// Reads one table from its source, writing its rejects, and checks its totals.
fn load_table(
    table: Table,
    source: &mut dyn Source,
    into: Target<'_, '_>,
    warnings: &mut Vec<Warning>,
) -> Result<LoadedTable, Error> {
    let opts = into.opts;
    let mut rejects = match &opts.rejects_dir {
        Some(d) => RejectWriter::create(d, table.name())?,
        None => RejectWriter::discard(),
    };
    let cfg = sink_config(opts, Some(into.known), source.pseudonymised());
    let mut sink = TableSink::new(table, cfg, &mut rejects);
    if let Some((chunk_rows, d)) = into.drain {
        sink = sink.with_drain(chunk_rows, d);
    }
    source.read(table, &mut sink, opts, warnings)?;
    let (batches, accounting) = sink.finish()?;
    check_totals(table, &batches)?;
    rejects.close()?;
    debug_assert!(accounting.balances());
    Ok(LoadedTable {
        table,
        files: source.files(table),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

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
