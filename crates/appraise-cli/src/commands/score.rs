//! `appraise score`: the KPIs of a period and up to seven before it, scored through the
//! scorecard, with comparison, rank intervals and diagnostics.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use appraise_score::Appraisal;

use crate::cli::{OutputFormat, ReadArgs, ScoreArgs};
use crate::output;

pub(crate) fn run(args: ScoreArgs) -> Result<ExitCode> {
    let a = &args.policy;
    let period = a.period.clone();
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
            let q = &a.queries;
            let mut inputs: Vec<&Path> = Vec::new();
            inputs.extend(args.data.as_deref());
            inputs.extend(args.kpi_matrix.as_deref());
            inputs.extend(args.read.departments.as_deref());
            inputs.extend(a.scorecard.as_deref());
            inputs.extend(q.kpis.as_deref());
            inputs.extend(q.calendars.as_deref());
            let policy = super::write_policy(&args.output.write, &inputs);
            Some(appraise_data::staging::Staging::new(dir, &policy)?)
        }
    };
    let opts = super::load_options(&args.read, a.scorecard.as_deref())?;
    let rules = super::rules(
        opts.timezone,
        a.scorecard.as_deref(),
        &a.queries,
        &a.cluster,
        a.allow_empty,
    )?;
    let (appraisal, warnings) = match (&args.kpi_matrix, &args.data) {
        (Some(matrix), _) => score_matrix(matrix, &args.read, &opts, &period, rules)?,
        (None, Some(dir)) => {
            let data = appraise_data::load_dir(dir, &opts)
                .with_context(|| format!("loading {}", dir.display()))?;
            super::report_rejections(&data);
            let scored = appraise_pipeline::appraise(
                dir,
                &data,
                &period,
                rules,
                &mut appraise_pipeline::Laps::start("kpis"),
            )?;
            let mut warnings = scored.coverage;
            warnings.extend(scored.warnings);
            (scored.appraisal, warnings)
        }
        (None, None) => anyhow::bail!(appraise_data::Error::Input {
            reason: "nothing to score".into(),
            hint: Some("pass --data DIR, or --kpi-matrix FILE with --departments FILE".into()),
        }),
    };
    for w in warnings.iter().chain(&appraisal.current.warnings) {
        eprintln!("warning: {w}");
    }
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

/// `--kpi-matrix FILE --departments FILE`: the matrix's rows of `period` scored as they
/// are, with no data and no earlier period.
fn score_matrix(
    matrix: &Path,
    read: &ReadArgs,
    opts: &appraise_data::LoadOptions,
    period: &appraise_kpi::Period,
    rules: appraise_pipeline::Rules,
) -> Result<(Appraisal, Vec<appraise_data::Warning>)> {
    let Some(file) = &read.departments else {
        anyhow::bail!(appraise_data::Error::Input {
            reason: "--kpi-matrix needs the departments".into(),
            hint: Some("add --departments FILE (departments.csv of the data)".into()),
        });
    };
    let data = appraise_data::load_departments(file, opts)?;
    super::report_rejections(&data);
    let departments = appraise_pipeline::departments(&data);
    let matrix = appraise_kpi::KpiMatrix::read_csv(matrix, period, opts.max_record_bytes)?;
    let (appraisal, mut warnings) =
        appraise_pipeline::appraise_matrix(&departments, &matrix, rules)?;
    warnings.splice(0..0, data.warnings);
    Ok((appraisal, warnings))
}

/// Writes every table of the appraisal into `dir` in `format` (`table` writes CSV).
pub(crate) fn write_tables(appraisal: &Appraisal, dir: &Path, format: OutputFormat) -> Result<()> {
    use appraise_report::tables::{TableFormat, write_appraisal};
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let format = match format {
        OutputFormat::Table | OutputFormat::Csv => TableFormat::Csv,
        OutputFormat::Json => TableFormat::Json,
        OutputFormat::Parquet => TableFormat::Parquet,
    };
    write_appraisal(appraisal, dir, format)?;
    Ok(())
}
