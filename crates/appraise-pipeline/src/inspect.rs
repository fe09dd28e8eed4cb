//! The commands that read data without appraising it: `validate` (every row accounted
//! for, rejects written), `kpi run` (a KPI matrix), `kpi check` (the KPIs planned) and
//! `sql` (a researcher's query), `evidence` (the rows behind a department's KPIs).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use appraise_data::Dataset;
use appraise_data::staging::Staging;
use appraise_data::warehouse::{self, Verified};
use appraise_kpi::{Engine, EngineOptions, KpiDef, Period};
use appraise_report::tables::Stream;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use futures::StreamExt;

use crate::{Error, Settings, block_on};

/// Where rejected rows go: a folder staged like any output, committed when it was
/// asked for or when rows were rejected.
pub struct Rejects {
    staging: Staging,
    asked: bool,
}

impl Rejects {
    /// The folder used when none is asked for.
    pub const DEFAULT: &str = "reports/out/rejects";

    /// Rejects into `asked`, else [`Rejects::DEFAULT`], which may not hold what
    /// `settings` read.
    pub fn start(asked: Option<&Path>, settings: &Settings) -> Result<Rejects, Error> {
        let target = asked.unwrap_or(Path::new(Self::DEFAULT));
        Ok(Rejects {
            staging: Staging::new(target, &settings.write_policy())?,
            asked: asked.is_some(),
        })
    }

    /// Where the loader writes them meanwhile.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// Commits them when asked for or when there are any; where they are.
    pub fn finish(self, rejected: u64) -> Result<Option<PathBuf>, Error> {
        if self.asked || rejected > 0 {
            Ok(Some(self.staging.commit()?))
        } else {
            Ok(None)
        }
    }
}

/// What [`validate`] found.
pub struct Validated {
    /// The data, every row accounted for.
    pub data: Dataset,
    /// Of a warehouse: its committed files, checked against its manifest.
    pub verified: Option<Verified>,
    /// Where the rejected rows are, if written.
    pub rejects: Option<PathBuf>,
}

/// Loads the data, writes the rejected rows (`rejects`, else [`Rejects::DEFAULT`]
/// when rows were rejected), and of a warehouse checks every committed file first.
pub fn validate(settings: &Settings, rejects: Option<&Path>) -> Result<Validated, Error> {
    let mut options = settings.options()?;
    let rejects = Rejects::start(rejects, settings)?;
    options.rejects_dir = Some(rejects.path().to_path_buf());
    let dir = settings.data()?;
    let verified = if warehouse::is_warehouse(dir) {
        Some(warehouse::verify(dir)?)
    } else {
        None
    };
    let data = crate::load(settings.data()?, &options)?;
    let rejects = rejects.finish(data.tables.iter().map(|t| t.accounting.rejected).sum())?;
    Ok(Validated {
        data,
        verified,
        rejects,
    })
}

/// The KPI matrix of `period` for the KPIs `ids` (all when empty), as a table, with
/// the data it was computed from.
pub fn kpi_matrix(
    settings: &Settings,
    period: &Period,
    ids: &[String],
) -> Result<(Dataset, RecordBatch), Error> {
    let kpis = appraise_kpi::select(settings.library()?, ids)?;
    let options = settings.options()?;
    let data = crate::load(settings.data()?, &options)?;
    let engine = Engine::new(
        &data,
        settings.calendar()?,
        &settings.engine(options.timezone)?,
    )?;
    let matrix = block_on(engine.run(period, &kpis), settings.query_timeout)??;
    let batch = matrix.to_batch()?;
    Ok((data, batch))
}

/// How the KPIs of `ids` (all where empty) run for `period`: the fused statements with
/// their plans, and the KPIs that run alone ([`Engine::explain`]); over empty tables.
pub fn explain_kpis(settings: &Settings, period: &Period, ids: &[String]) -> Result<String, Error> {
    let kpis = appraise_kpi::select(settings.library()?, ids)?;
    let engine = Engine::without_data(settings.calendar()?, &settings.engine(settings.zone()?)?)?;
    Ok(block_on(
        engine.explain(period, &kpis),
        settings.query_timeout,
    )??)
}

/// Plans each of `kpis`, and its evidence query, against empty tables (the settings'
/// calendar): each with what is wrong with it, if anything.
pub fn check_kpis(
    settings: &Settings,
    kpis: Vec<KpiDef>,
) -> Result<Vec<(KpiDef, Option<appraise_kpi::Error>)>, Error> {
    let engine = Engine::without_data(settings.calendar()?, &EngineOptions::default())?;
    // Any period will do: the tables are empty, only the plans matter.
    let period: Period = "2026Q1".parse()?;
    engine.scope(Some(&period))?;
    let mut checked = Vec::with_capacity(kpis.len());
    for k in kpis {
        let checked_both = async {
            engine.check(&k).await?;
            engine.check_evidence(&k).await
        };
        let problem = block_on(checked_both, settings.query_timeout)?.err();
        checked.push((k, problem));
    }
    Ok(checked)
}

/// A read-only query over the tables of `period` (all rows when `None`), streamed
/// into `out` as it comes, instants as local time in the appraisal's zone; with
/// `explain`, its plan instead. The data it read and the result's schema.
pub fn query(
    settings: &Settings,
    sql: &str,
    period: Option<&Period>,
    explain: bool,
    out: &mut Stream,
) -> Result<(Dataset, SchemaRef), Error> {
    let options = settings.options()?;
    let data = crate::load(settings.data()?, &options)?;
    let tz = options.timezone;
    let engine = Engine::new(&data, settings.calendar()?, &settings.engine(tz)?)?;
    engine.scope(period)?;
    let work = async {
        let mut df = engine.query(sql).await?;
        if explain {
            df = df
                .explain(false, false)
                .map_err(appraise_kpi::Error::from)?;
        }
        let mut stream = df
            .execute_stream()
            .await
            .map_err(appraise_kpi::Error::from)?;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(appraise_kpi::Error::from)?;
            out.push(&in_zone(&batch, tz)?)?;
        }
        Ok::<_, Error>(stream.schema())
    };
    let schema = block_on(work, settings.query_timeout)??;
    Ok((data, schema))
}

/// Instants as local time in `tz` with their offset, as every other output speaks; a
/// Parquet file keeps them as UTC instants either way.
fn in_zone(batch: &RecordBatch, tz: chrono_tz::Tz) -> Result<RecordBatch, Error> {
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in batch.schema().fields().iter().zip(batch.columns()) {
        match f.data_type() {
            DataType::Timestamp(unit, Some(_)) => {
                let local = DataType::Timestamp(*unit, Some(tz.name().into()));
                let cast = datafusion::arrow::compute::cast(c, &local);
                columns.push(cast.map_err(appraise_kpi::Error::from)?);
                fields.push(Field::new(f.name(), local, f.is_nullable()));
            }
            _ => {
                columns.push(c.clone());
                fields.push(f.as_ref().clone());
            }
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns);
    Ok(batch.map_err(appraise_kpi::Error::from)?)
}

/// What `evidence` wrote.
#[derive(Debug)]
pub struct EvidenceWritten {
    /// The output folder, committed.
    pub out: PathBuf,
    /// Each KPI's file name and rows, in the library's order.
    pub files: Vec<(String, usize)>,
    /// The KPIs without an evidence query.
    pub without: Vec<String>,
}

/// The rows behind `department`'s values of the KPIs `ids` (all when empty) in
/// `period`: one CSV file per KPI in `out`, `<kpi>.csv`, instants as local time in the
/// appraisal's zone (docs/kpis.md, "Evidence").
pub fn evidence(
    settings: &Settings,
    period: &Period,
    department: &str,
    ids: &[String],
    out: &Path,
) -> Result<EvidenceWritten, Error> {
    let staging = Staging::new(out, &settings.write_policy())?;
    let kpis = appraise_kpi::select(settings.library()?, ids)?;
    let mut options = settings.options()?;
    options.rejects_dir = None;
    let data = crate::load(settings.data()?, &options)?;
    let tz = options.timezone;
    let engine = Engine::new(&data, settings.calendar()?, &settings.engine(tz)?)?;
    if !engine.departments().iter().any(|d| d == department) {
        return Err(Error::Input {
            reason: format!("no department {department:?} in the data"),
            hint: Some("give a dept_id of the departments table".into()),
        });
    }
    let mut written = EvidenceWritten {
        out: out.to_path_buf(),
        files: Vec::new(),
        without: Vec::new(),
    };
    for kpi in &kpis {
        let Some(rows) = block_on(
            engine.evidence(period, kpi, department),
            settings.query_timeout,
        )??
        else {
            written.without.push(kpi.id.clone());
            continue;
        };
        let name = format!("{}.csv", kpi.id);
        write_csv(&rows, tz, &staging.path().join(&name))?;
        written
            .files
            .push((name, rows.iter().map(RecordBatch::num_rows).sum()));
    }
    written.out = staging.commit()?;
    Ok(written)
}

/// Every department's evidence of `kpis` in `period`, `folder/<card stem>/<kpi>.csv`
/// (the folder beside its card), instants as local time in `tz`. Each evidence query
/// runs once for all departments.
pub(crate) fn write_evidence(
    engine: &Engine,
    period: &Period,
    kpis: &[KpiDef],
    tz: chrono_tz::Tz,
    folder: &Path,
    timeout: std::time::Duration,
) -> Result<(), Error> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::compute::partition;
    let stems = appraise_report::names::file_stems(engine.departments().iter().map(String::as_str));
    for kpi in kpis {
        let Some(rows) = block_on(engine.evidence_all(period, kpi), timeout)?? else {
            continue;
        };
        // One batch at least ([`Engine::evidence_all`]): the columns of a department
        // without rows.
        let Some(schema) = rows.first().map(RecordBatch::schema) else {
            continue;
        };
        let mut by_department: std::collections::HashMap<String, Vec<RecordBatch>> =
            std::collections::HashMap::new();
        for batch in &rows {
            let Some(departments) = batch.column_by_name("department_id") else {
                continue;
            };
            let departments = datafusion::arrow::compute::cast(departments, &DataType::Utf8)
                .map_err(appraise_kpi::Error::from)?;
            let ranges =
                partition(std::slice::from_ref(&departments)).map_err(appraise_kpi::Error::from)?;
            let ids = departments.as_string::<i32>();
            for range in ranges.ranges() {
                if ids.is_valid(range.start) {
                    let id = ids.value(range.start).to_string();
                    let part = batch.slice(range.start, range.end - range.start);
                    by_department.entry(id).or_default().push(part);
                }
            }
        }
        for (id, stem) in &stems {
            let dir = folder.join(stem);
            std::fs::create_dir_all(&dir)
                .map_err(|source| Error::io(format!("creating {}", dir.display()), source))?;
            let rows = by_department
                .remove(*id)
                .unwrap_or_else(|| vec![RecordBatch::new_empty(schema.clone())]);
            write_csv(&rows, tz, &dir.join(format!("{}.csv", kpi.id)))?;
        }
    }
    Ok(())
}

/// How many items a card lists per KPI to fix.
const FIX_ITEMS: usize = 5;

/// What the cards list to fix: the items of every KPI some card lists
/// ([`appraise_report::fix_kpis`]), each evidence query run once for all departments.
/// `files`: whether the evidence was written beside the cards.
pub(crate) fn fixes(
    engine: &Engine,
    period: &Period,
    kpis: &[KpiDef],
    appraisal: &appraise_score::Appraisal,
    files: bool,
    timeout: std::time::Duration,
) -> Result<appraise_report::Fixes, Error> {
    let wanted: std::collections::BTreeSet<String> = appraisal
        .current
        .departments
        .iter()
        .flat_map(|d| appraise_report::fix_kpis(appraisal, &d.department.id))
        .collect();
    let mut fixes = appraise_report::Fixes {
        files,
        ..Default::default()
    };
    // One query after another: side by side, the percentile items (each holding the
    // response times of the period) took a run at 50M exchanges past 1 GiB.
    for kpi in kpis.iter().filter(|k| wanted.contains(&k.id)) {
        if let Some(items) = block_on(engine.items(period, kpi, FIX_ITEMS), timeout)?? {
            fixes.items.insert(kpi.id.clone(), items);
        }
    }
    Ok(fixes)
}

/// `rows` as a CSV file at `path`, instants as local time in `tz`.
fn write_csv(rows: &[RecordBatch], tz: chrono_tz::Tz, path: &Path) -> Result<(), Error> {
    let rows = rows
        .iter()
        .map(|b| in_zone(b, tz))
        .collect::<Result<Vec<_>, _>>()?;
    appraise_report::tables::write(&rows, appraise_report::tables::TableFormat::Csv, path)?;
    Ok(())
}
