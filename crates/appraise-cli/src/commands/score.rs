//! `appraise score`: the KPIs of a period and the three before it, scored through the
//! scorecard, with comparison, rank intervals and diagnostics.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_data::{Dataset, Table};
use appraise_kpi::{Engine, KpiDef, KpiMatrix, Period};
use appraise_score::{Appraisal, Department, Input, score};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};

use crate::cli::{ClusterArgs, OutputFormat, QueryArgs, ScoreArgs};
use crate::output;

/// Periods scored for the trend: the current one and up to three before it.
const TREND_PERIODS: usize = 4;

/// The folder of a warehouse where KPI matrices are kept (docs/cluster.md).
const KPI_CACHE: &str = "_cache";

pub(crate) fn run(args: ScoreArgs) -> Result<ExitCode> {
    let period: Period = args.appraisal.period.parse().map_err(anyhow::Error::from)?;
    if args.output.format == OutputFormat::Parquet && args.output.out.is_none() {
        anyhow::bail!(appraise_data::Error::Input {
            reason: "--format parquet writes files".into(),
            hint: Some("add --out DIR".into()),
        });
    }
    // The output folder is checked (and locked) before any work is done.
    let staging = match &args.output.out {
        None => None,
        Some(dir) => {
            let q = &args.appraisal.queries;
            let mut inputs = vec![args.appraisal.data.data.as_path()];
            inputs.extend(args.appraisal.scorecard.as_deref());
            inputs.extend(q.kpis.as_deref());
            inputs.extend(q.calendars.as_deref());
            let policy = super::write_policy(&args.output.write, &inputs);
            Some(appraise_report::staging::Staging::new(dir, &policy)?)
        }
    };
    let opts = super::load_options(
        &args.appraisal.data.read,
        args.appraisal.scorecard.as_deref(),
    )?;
    let data = appraise_data::load_dir(&args.appraisal.data.data, &opts)
        .with_context(|| format!("loading {}", args.appraisal.data.data.display()))?;
    super::report_rejections(&data);
    let rules = Rules {
        timezone: opts.timezone,
        scorecard: args.appraisal.scorecard.as_deref(),
        queries: &args.appraisal.queries,
        cluster: &args.appraisal.cluster,
        allow_empty: args.appraisal.allow_empty,
    };
    let scored = appraise(
        &args.appraisal.data.data,
        &data,
        &period,
        &rules,
        &mut super::Laps::start("kpis"),
    )?;
    for w in scored
        .coverage
        .iter()
        .chain(&scored.warnings)
        .chain(&scored.appraisal.current.warnings)
    {
        eprintln!("warning: {w}");
    }
    let appraisal = scored.appraisal;
    match staging {
        None => {
            let mut ranking = appraisal.ranking_table()?;
            if args.output.format == OutputFormat::Table {
                ranking = output::two_decimals(&ranking)?;
            }
            output::write_batches(&[ranking], args.output.format, None)?
        }
        Some(staging) => {
            write_tables(&appraisal, staging.path(), args.output.format)?;
            let dir = staging.commit()?;
            eprintln!("ranking and scores: {}", dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// By which rules a period is appraised: the scorecard and KPI library (the built-in
/// ones where `None`), where queries run, and whether an uncovered period may be.
#[derive(Clone, Copy)]
pub(crate) struct Rules<'a> {
    /// The appraisal's zone ([`super::zone`]).
    pub timezone: chrono_tz::Tz,
    pub scorecard: Option<&'a Path>,
    pub queries: &'a QueryArgs,
    pub cluster: &'a ClusterArgs,
    pub allow_empty: bool,
}

/// An appraisal with what went into it.
pub(crate) struct Scored {
    pub appraisal: Appraisal,
    /// The KPI matrix of the period appraised.
    pub matrix: KpiMatrix,
    /// The KPI files the scorecard uses.
    pub kpis: Vec<KpiDef>,
    /// The engine that ran them, for further queries over the same tables.
    pub engine: Engine,
    /// What the scorecard check found (KPIs left out, dimensions overridden).
    pub warnings: Vec<String>,
    /// Months of the period the data does not reach (or, allowed, an empty period).
    pub coverage: Vec<String>,
}

/// Reads the scorecard and the KPI library, runs the KPIs for `period` and the periods
/// before it that the data reaches, and scores them all; `laps` gets the time of the
/// steps `kpis` and `scoring`. A period the data does not cover is an error unless
/// `allow_empty`.
pub(crate) fn appraise(
    data_dir: &Path,
    data: &Dataset,
    period: &Period,
    rules: &Rules<'_>,
    laps: &mut super::Laps,
) -> Result<Scored> {
    let Rules {
        timezone,
        scorecard,
        queries,
        cluster,
        allow_empty,
    } = *rules;
    let card = crate::policy::scorecard(scorecard)?;
    let library = super::kpi::library(queries)?;
    let warnings = card.check(&library).map_err(anyhow::Error::from)?;
    let mut options = super::engine_options(timezone, cluster);
    // Over a warehouse, the earlier periods' matrices are kept and reused.
    if appraise_data::warehouse::is_warehouse(data_dir) {
        options.kpi_cache = Some(data_dir.join(KPI_CACHE));
    }
    let engine =
        Engine::new(data, super::kpi::calendar(queries)?, &options).map_err(anyhow::Error::from)?;
    let departments = departments(data);
    if departments.is_empty() {
        // A header-only departments file, or every department rejected: nothing to rank.
        anyhow::bail!(appraise_data::Error::Input {
            reason: format!("{}: no department was loaded", data_dir.display()),
            hint: Some(
                "the departments table needs at least one valid row; `appraise validate --data DIR` lists the rejected ones"
                    .into()
            ),
        });
    }
    // Earlier periods only where the data reaches back to them.
    let first = data
        .table(Table::Exchanges)
        .time_span()
        .map(|(first, _)| first);
    let periods: Vec<Period> = period
        .last_n(TREND_PERIODS)
        .into_iter()
        .filter(|p| p == period || first.is_some_and(|f| p.end_us(timezone) > f))
        .collect();
    let kpis: Vec<KpiDef> = library
        .into_iter()
        .filter(|k| card.kpi(&k.id).is_some())
        .collect();
    // Before any KPI runs: the period must hold data in every table the KPIs read.
    engine.scope(Some(period)).map_err(anyhow::Error::from)?;
    let mut read = std::collections::BTreeSet::new();
    for k in &kpis {
        read.extend(super::block_on(engine.tables_read(k))?.map_err(anyhow::Error::from)?);
    }
    let coverage = appraise_kpi::coverage::check_period(data, period, timezone, &read, allow_empty)
        .map_err(anyhow::Error::from)?;
    let mut scored = Vec::with_capacity(periods.len());
    let mut current_matrix = None;
    for p in periods.iter().rev() {
        // The period appraised is always computed; earlier ones may come from the cache.
        let run = async {
            if p == period {
                engine.run(p, &kpis).await
            } else {
                engine.run_cached(p, &kpis).await
            }
        };
        let matrix = super::block_on(run)?.map_err(anyhow::Error::from)?;
        laps.next("scoring");
        let input = Input {
            departments: &departments,
            library: &kpis,
            matrix: &matrix,
        };
        scored.push(score(&card, &input).map_err(anyhow::Error::from)?);
        laps.next("kpis");
        current_matrix.get_or_insert(matrix);
    }
    laps.next("scoring");
    let current = scored.remove(0);
    let matrix = current_matrix.context("no period to score")?;
    Ok(Scored {
        appraisal: Appraisal::new(card, current, scored),
        matrix,
        kpis,
        engine,
        warnings,
        coverage,
    })
}

/// The departments table as the scoring sees it.
fn departments(data: &Dataset) -> Vec<Department> {
    let mut out = Vec::new();
    for b in &data.table(Table::Departments).batches {
        let column = |name: &str| b.column_by_name(name).map(|c| c.as_string::<i32>().clone());
        let (Some(id), Some(name), Some(name_en), Some(level), Some(group)) = (
            column("dept_id"),
            column("name"),
            column("name_en"),
            column("level"),
            column("peer_group"),
        ) else {
            continue;
        };
        for i in 0..b.num_rows() {
            let text = |a: &datafusion::arrow::array::StringArray| {
                if a.is_null(i) {
                    String::new()
                } else {
                    a.value(i).to_string()
                }
            };
            out.push(Department {
                id: text(&id),
                name: text(&name),
                name_en: text(&name_en),
                level: text(&level),
                peer_group: if group.is_null(i) {
                    text(&level)
                } else {
                    text(&group)
                },
            });
        }
    }
    out
}

/// Writes every table of the appraisal into `dir` (`ranking`, `scores`, `sensitivity`,
/// `trend`, `correlations`, `profiles`), in `format` (`table` writes CSV).
pub(crate) fn write_tables(appraisal: &Appraisal, dir: &Path, format: OutputFormat) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (format, ext) = match format {
        OutputFormat::Table | OutputFormat::Csv => (OutputFormat::Csv, "csv"),
        OutputFormat::Json => (OutputFormat::Json, "json"),
        OutputFormat::Parquet => (OutputFormat::Parquet, "parquet"),
    };
    let tables: [(&str, RecordBatch); 6] = [
        ("ranking", appraisal.ranking_table()?),
        ("scores", appraisal.scores_table()?),
        ("sensitivity", appraisal.sensitivity_table()?),
        ("trend", appraisal.trend_table()?),
        ("correlations", appraisal.correlations_table()?),
        ("profiles", appraisal.profiles_table()?),
    ];
    for (name, mut batch) in tables {
        // The CSV summaries are for people: safe to open in a spreadsheet. scores.csv
        // stays exact, as in the report.
        if format == OutputFormat::Csv && name != "scores" {
            batch = appraise_report::tables::for_spreadsheets(&batch);
        }
        output::write_batches(&[batch], format, Some(&dir.join(format!("{name}.{ext}"))))?;
    }
    Ok(())
}
